/**
 * The options whose value depends on others (the fleet's size, the shard, the groups): their
 * parsers, used by resolve.ts. Options that stand alone are parsed by their table entry.
 */
import { UsageError } from '../errors.js';
import { approxMs, formatMs, MAX_RUN_MS } from './bounds.js';
import type { GroupProfile } from '../group.js';
import { checkOutputFile, integer, parseNumber, parseRate } from './parse.js';
import { groupPacketProblem, type PacketField } from './packet-limits.js';
import type { OutputKind } from '../report/outputs.js';
import type { ResolvedOptions, RunOptions } from './types.js';
import { at } from '../mqtt/checked.js';
import { parseThreshold, type ThresholdSpec } from '../report/thresholds.js';

const OUTPUT_KINDS: readonly OutputKind[] = ['csv', 'ndjson', 'result', 'hdr'];

/** `--shard I/N`, or JOB_COMPLETION_INDEX with `--shards N` (a Kubernetes Indexed Job). */
export function parseShard(
  input: RunOptions,
  env: NodeJS.ProcessEnv,
  clients: number,
): { index: number; count: number } | null {
  let index: number;
  let count: number;
  if (input.shard !== undefined && input.shards !== undefined) {
    throw new UsageError(
      '--shards',
      '--shards does not go with --shard: --shard I/N names both, --shards N takes I from JOB_COMPLETION_INDEX',
    );
  }
  if (input.shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(String(input.shard).trim());
    if (!match)
      throw new UsageError('--shard', `--shard must be I/N, e.g. 0/4 (got ${JSON.stringify(String(input.shard))})`);
    index = Number(match[1]);
    count = Number(match[2]);
  } else if (input.shards !== undefined) {
    count = integer('--shards', parseNumber('--shards', input.shards));
    if (env.JOB_COMPLETION_INDEX === undefined)
      throw new UsageError(
        '--shards',
        '--shards needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), or use --shard I/N',
      );
    index = integer('--shards', parseNumber('JOB_COMPLETION_INDEX', env.JOB_COMPLETION_INDEX));
  } else {
    return null;
  }
  if (count < 1) throw new UsageError('--shard', `--shard: the number of shards must be at least 1 (got ${count})`);
  if (index < 0 || index >= count) throw new UsageError('--shard', `--shard: index ${index} is not in 0..${count - 1}`);
  if (count > clients)
    throw new UsageError(
      '--shard',
      `--shard: ${count} shards for ${clients} clients would leave shards without a client; use at most ${clients}`,
    );
  return { index, count };
}

/** Connections per second at the start (0: all at once), paced so the last client connects within a run's longest time. */
export function parseConnectRate(value: unknown, clients: number): number {
  const rate = parseRate('--connect-rate', value, '/s');
  const lastMs = rate > 0 ? ((clients - 1) / rate) * 1000 : 0;
  if (lastMs > MAX_RUN_MS) {
    throw new UsageError(
      '--connect-rate',
      `--connect-rate ${rate}/s takes ${approxMs(lastMs)} to connect ${clients} clients; pacing may take at most ${formatMs(MAX_RUN_MS)}`,
    );
  }
  return rate;
}

/** `--out kind=path`, repeatable; each file must be writable now, not found unwritable after the run. */
export function parseOutputs(
  value: string | string[] | undefined,
  shard: ResolvedOptions['shard'],
): { kind: OutputKind; path: string }[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const outputs = list.map((entry) => {
    const match = /^([a-z]+)=(.+)$/.exec(String(entry));
    const kind = match?.[1] as OutputKind | undefined;
    if (!match || !kind || !OUTPUT_KINDS.includes(kind)) {
      throw new UsageError(
        '--out',
        `--out must be kind=path with kind ${OUTPUT_KINDS.join(' or ')} (got ${JSON.stringify(String(entry))})`,
      );
    }
    if (kind === 'result' && !shard)
      throw new UsageError(
        '--out',
        '--out result= needs --shard I/N (or --shards): only a shard writes a mergeable result',
      );
    return { kind, path: checkOutputFile('--out', at(match, 2), `--out ${kind}`) };
  });
  const seen = new Map<string, OutputKind>();
  for (const { kind, path } of outputs) {
    const other = seen.get(path);
    if (other)
      throw new UsageError(
        '--out',
        `--out ${other} and ${kind} both write ${JSON.stringify(path)}: give each its own file`,
      );
    seen.set(path, kind);
  }
  return outputs;
}

/** Flags that make strings MQTT carries with a two-byte length (and the payload, its packet), checked as the fleet's last client renders them. */
export function checkFlatPackets(group: GroupProfile, runId: string, input: RunOptions): void {
  const problem = groupPacketProblem(group, runId);
  if (problem === null) return;
  const labels: Partial<Record<PacketField, string>> = {
    clientId: '--id-prefix',
    username: '--username',
    password: input.passwordFile !== undefined ? '--password-file' : '--password',
    topic: '--topic',
    subscribe: '--sub-topic',
    size: '--size',
  };
  const label = labels[problem.field] ?? `--${problem.field}`;
  throw new UsageError(label, `${label} ${problem.message}`);
}

/** `--threshold`, once or more; with --abort-on-fail every one of them is also judged during the run. */
export function parseThresholds(value: string | string[] | undefined, abortOnFail: boolean): ThresholdSpec[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list.map((expr) => parseThreshold('--threshold', expr, abortOnFail));
}
