import { UsageError } from '../errors.js';
import { FILE_LIMITS, readOptionFile } from '../options/parse.js';
import { maskUrl } from '../mqtt/broker-url.js';
import type { ShardResult } from '../report/events.js';
import type { GroupProfile } from '../group.js';

/** Declared with the other lines a run prints (report/events.ts); named here too, where results are read. */
export type { ShardResult };

/** A group as it can be written down: no credentials (in URLs neither), no TLS keys. */
export function publicGroup(g: GroupProfile): GroupProfile {
  return {
    ...g,
    username: undefined,
    password: undefined,
    brokers: g.brokers.map((b) => ({
      url: maskUrl(b.url),
      cluster: b.cluster,
      tls: { rejectUnauthorized: b.tls.rejectUnauthorized },
    })),
  };
}

/**
 * Shard results from files: a result file (`--out result=`), or NDJSON with `shard-result`
 * lines (`--json` output of sharded runs, e.g. gathered with `kubectl logs`).
 */
export function readShardResults(files: readonly string[]): ShardResult[] {
  const results: ShardResult[] = [];
  for (const file of files) {
    const text = readOptionFile('merge', file, FILE_LIMITS.runData);
    const found = text
      .split('\n')
      .map((line, n) => ({ line: line.trim(), n }))
      .filter(({ line }) => line.includes('"shard-result"'))
      .map(({ line, n }) => {
        try {
          return JSON.parse(line) as ShardResult;
        } catch {
          throw new UsageError('merge', `${file}:${n + 1}: a shard-result line that is not valid JSON`);
        }
      })
      .filter((r) => r.type === 'shard-result');
    if (found.length === 0) {
      try {
        const whole = JSON.parse(text) as ShardResult;
        if (whole.type === 'shard-result') found.push(whole);
      } catch {
        // not one JSON document either: reported below
      }
    }
    if (found.length === 0)
      throw new UsageError('merge', `${file} holds no shard result (write one with --shard I/N --out result=FILE)`);
    for (const r of found) {
      // Read from a file: whatever its type says, the version may be anything.
      const version: unknown = r.version;
      if (version !== 1)
        throw new UsageError(
          'merge',
          `${file}: shard result version ${String(version)} is not one this mqtt-fleet reads`,
        );
      results.push(r);
    }
  }
  return results;
}
