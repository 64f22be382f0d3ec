/**
 * What a run tells its caller while it goes and at the end. The CLI prints these as NDJSON with
 * `--json`, one object per line; the README documents every field.
 */
import type { GeneratorVerdict } from './generator.js';
import type { StepFigures } from '../metrics/steps.js';
import type { StatsLine } from '../metrics/stats-line.js';
import type { SerializedError } from '../errors.js';
import type { LatencySummary } from '../metrics/histogram.js';
import type { GroupProfile, ThreadMode } from '../group.js';
import type {
  ClientState,
  Counters,
  LoopDelay,
  PrintedMessage,
  PublisherFinal,
  StreamFinal,
  SubscriberFinal,
} from '../protocol.js';
import type { ShortfallReason } from './shortfall.js';
import type { RequestCounts } from '../metrics/round-trip.js';
import type { RequestFigures } from '../metrics/round-trip-totals.js';
import type { ThresholdOutcome } from './thresholds.js';

export interface StatusLine {
  type: 'status';
  /** Milliseconds since the run started. */
  t: number;
  client: number;
  clientId: string;
  state: ClientState;
  attempt?: number;
  of?: number;
  /** gave-up: attempts its last round made. */
  attempts?: number;
  error?: SerializedError;
  published?: number;
  /** published, with several streams: each stream's count, in order. */
  streams?: number[];
  /** Final states: distinct messages this client received. */
  received?: number;
  /** left, churned: closed without DISCONNECT. */
  abrupt?: boolean;
  /** Final states, MQTT 5: the non-zero acknowledgement reason codes this client got, in words, with their count. */
  reasonCodes?: Record<string, number>;
}

/** With --print-messages: one received message, with the receiving client's id and thread. */
export interface MessageLine extends PrintedMessage {
  type: 'message';
  t: number;
}

export type LatencyFigures = LatencySummary & {
  /** With --work: latency of the clients that do not work, and of those that do. */
  others?: LatencySummary;
  working?: LatencySummary;
};

export interface Summary {
  type: 'summary';
  runId: string;
  startedAt: string;
  /** `mixed` when a scenario's groups run in different modes. */
  mode: ThreadMode | 'mixed';
  /** Worker threads that ran clients (0 in single-loop mode). */
  threads: number;
  /** With --scenario: the file, and each group's size and mode. */
  scenario?: string;
  groups?: { name: string; clients: number; mode: ThreadMode; threads: number }[];
  /** A shard's own summary: which shard (its streams within the shard only; `merge` accounts for the rest). */
  shard?: { index: number; count: number };
  /** A merged summary: how many shard results went in. */
  shards?: number;
  brokers: string[];
  qos: 0 | 1 | 2;
  /** --phase of the paced groups: `spread` over the period, `together`, `mixed` across groups; null when none is paced. */
  phase: 'spread' | 'together' | 'mixed' | null;
  clients: number;
  /** Clients that connected at least once. */
  connected: number;
  gaveUp: number;
  failed: number;
  /** Successful connects after a client's first. */
  reconnects: number;
  /** --churn: disconnects on schedule (each followed by a reconnect, counted in `reconnects` too): never a failure. */
  churned: number;
  /** --client-stages: clients that left as the plan said (a client that rejoins and leaves again counts twice). */
  left: number;
  /**
   * Per group with a will: wills that should have arrived (abrupt planned leaves and churns of
   * its clients, times the receivers subscribed to each will topic) and wills that did (messages
   * without this run's header on one of its will topics).
   */
  wills: Record<string, { expected: number; received: number }>;
  /** Messages the publish plan has the publishers send (count, or rate x duration, each). */
  planned: number;
  published: number;
  acked: number;
  sendFailed: number;
  /** Deliveries of this run's messages, duplicates included. */
  received: number;
  expected: number;
  lost: number;
  inFlight: number;
  /** Expected, never received, sent while the subscriber was not subscribed: not a broker loss. */
  unsubscribed: number;
  duplicates: number;
  outOfOrder: number;
  foreign: number;
  /** Messages of an earlier run with the same run id (sent before this run began): ignored. */
  stale: number;
  /** Deliveries with the retain flag set: retained messages replayed on subscribe. */
  retained: number;
  /** MQTT 5 reason codes the broker sent (non-zero acknowledgements, SUBACK failures, DISCONNECT), with counts. */
  reasonCodes: Record<string, number>;
  /** From launch until every client was connected and subscribed (the start barrier). */
  connectMs: number;
  /** Each step of the clients' lives as a distribution (ms), merged exactly across threads and shards. */
  steps: StepFigures;
  /** From the start barrier until the last message was published or received. */
  durationMs: number;
  /** Rates after the warm-up (--warmup), over the duration less the warm-up. */
  publishedPerSec: number;
  receivedPerSec: number;
  /**
   * --warmup: its length and the messages sent during it (as published, and as received with
   * duplicates), kept out of latency, send lag and rates; lost/duplicates still cover them. Null without one.
   */
  warmup: { ms: number; published: number; received: number } | null;
  /** Receive minus actual send time: what the broker took, once the message was out. */
  latencyMs: LatencyFigures;
  /**
   * Receive minus scheduled send time (paced messages): what a user of the broker would have
   * felt, the generator's own delays included (no coordinated omission). Null when no group is
   * paced (--rate 0: no schedule, only latencyMs applies).
   */
  scheduledLatencyMs: LatencySummary | null;
  /** Actual minus scheduled send time of paced messages, at the publisher; null when no group is paced. */
  sendLagMs: LatencySummary | null;
  /** Paced messages sent more than one period after their scheduled time. */
  lateSends: number;
  /** Event-loop delay while publishing, of the worst thread (the main thread in single-loop mode); null if none was measured. */
  loopDelayMs: { p50: number; p99: number; max: number } | null;
  /**
   * Whether mqtt-fleet itself could not keep up (send lag, event-loop delay, CPU near its cores):
   * then the figures describe the generator, not the broker. `reasons` say which sign, its
   * figure and what to change; empty when not limited.
   */
  generatorLimited: GeneratorVerdict;
  /**
   * Request/response (scenario groups with `request` and `respond`): every request sent ends in
   * exactly one of answered, timedOut (late responses included) or pending (its client ended
   * first), and roundTripMs is the distribution of the answered ones. Null when no group sends
   * or answers requests.
   */
  requests: RequestFigures | null;
  /** CPU time each working client burns per received message (--work); 0 when none. */
  workMs: number;
  peakRssMb: number;
  cpuMs: { user: number; system: number };
  interrupted: boolean;
  /** Why the run fell short (exit code 1, unless interrupted); empty when it did not. */
  shortfall: ShortfallReason[];
  /** Each --threshold (and scenario threshold), in the order given, and how it came out; empty without any. */
  thresholds: ThresholdOutcome[];
  exitCode: number;
}

/** One mode's figures, side by side with the others'. */
export interface ComparisonRow {
  mode: Summary['mode'];
  threads: number;
  connectMs: number;
  publishedPerSec: number;
  receivedPerSec: number;
  /** receivedPerSec relative to the first mode compared. */
  throughputRatio: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  othersMs: { p50: number; p99: number; max: number } | null;
  workingMs: { p50: number; p99: number; max: number } | null;
  loopDelayP99Ms: number | null;
  peakRssMb: number;
  cpuSeconds: number;
  lost: number;
  gaveUp: number;
  exitCode: number;
}

/** `compare`'s result: one row per mode: a table on stderr, and with --json one NDJSON line. */
/** What `compare` concludes from its own figures (report/verdict.ts): who won what, and which mode to pick for this workload. */
export interface Verdict {
  /** The mode (its label) with the lowest p99: of all clients, or, with --work, of the clients beside the slow ones. */
  lowestP99: string | null;
  mostThroughput: string | null;
  /** Every mode received within 5% of the best: throughput does not decide. */
  sameThroughput: boolean;
  leastCpu: string | null;
  leastMemory: string | null;
  /** The mode to pick for this workload, null when no mode ran cleanly. */
  choice: string | null;
  /** The paragraph printed after the table and on the HTML page. */
  text: string;
}

export interface Comparison {
  type: 'comparison';
  runId: string;
  startedAt: string;
  clients: number;
  qos: number;
  workMs: number;
  rows: ComparisonRow[];
  /** What the figures mean for the user's choice of mode (report/verdict.ts). */
  verdict: Verdict;
  interrupted: boolean;
  exitCode: number;
}

export type RunEvent = StatusLine | StatsLine | MessageLine | Summary | ShardResult;

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
  /** Request/response: the shard's counts and its round trips' HDR histogram, encoded as `latency` (absent: none, or an older version). */
  requests?: { counts: RequestCounts; roundTrip: string };
  /** Each step's HDR histogram (metrics/steps.ts STEPS order), encoded as `latency` (absent in results of older versions). */
  steps?: string[];
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
