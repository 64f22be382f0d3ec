import { UsageError } from '../errors.js';
import { FILE_LIMITS, readOptionFile } from '../parse.js';
import { maskUrl } from '../secrets.js';
import type { Summary } from '../events.js';
import type { GroupProfile } from '../group.js';
import type { Counters, LoopDelay, PublisherFinal, StreamFinal, SubscriberFinal } from '../protocol.js';

/**
 * What one shard knows, in a form that merges exactly with the other shards': counters, each
 * client's fate, every stream's sequence state (a subscriber here may hear publishers there),
 * and HDR histograms (compressed base64). Also the plan, so `merge` can rebuild the whole
 * fleet's topology. No secrets: credentials and TLS material are left out.
 */
export interface ShardResult {
  type: 'shard-result';
  version: 1;
  runId: string;
  shard: { index: number; count: number };
  startedAt: string;
  startAt: number | null;
  plan: {
    groups: GroupProfile[];
    scenario: string | null;
    barrier: boolean;
    workMs: number;
    workClients: number[];
    /** --warmup (absent in results of older versions: none). */
    warmupMs?: number;
    latencyGroups: string[];
  };
  clients: number[];
  connected: number;
  gaveUp: number;
  failed: number;
  reconnects: number;
  totals: Counters;
  reasonCodes: [string, number][];
  connectMs: number;
  goAt: number;
  lastPublishAt: number;
  lastReceiveAt: number;
  latency: string[];
  /** Receive minus scheduled, and actual minus scheduled send time (absent in results of older versions). */
  scheduledLatency?: string;
  sendLag?: string;
  loopDelays: LoopDelay[];
  publishers: PublisherFinal[];
  streams: StreamFinal[];
  /** When each subscriber here was subscribed (absent in results of older versions: taken as always). */
  subscribers?: SubscriberFinal[];
  /** Epoch ms every client here was connected and subscribed (or out); null if that never happened. */
  readyAt?: number | null;
  /** The shard ran against an embedded broker of its own: its figures do not merge with others'. */
  embeddedBroker?: boolean;
  peakRssMb: number;
  cpuMs: { user: number; system: number };
  interrupted: string | null;
  /** The shard's own summary (streams within the shard only). */
  summary: Summary;
}

/** A group as it can be written down: no credentials (in URLs neither), no TLS keys. */
export function publicGroup(g: GroupProfile): GroupProfile {
  return {
    ...g,
    username: undefined,
    password: undefined,
    brokers: g.brokers.map((b) => ({ url: maskUrl(b.url), cluster: b.cluster, tls: { rejectUnauthorized: b.tls.rejectUnauthorized } })),
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
    if (found.length === 0) throw new UsageError('merge', `${file} holds no shard result (write one with --shard I/N --out result=FILE)`);
    for (const r of found) {
      if (r.version !== 1) throw new UsageError('merge', `${file}: shard result version ${r.version} is not one this mqtt-fleet reads`);
      results.push(r);
    }
  }
  return results;
}
