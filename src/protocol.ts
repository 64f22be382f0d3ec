/**
 * Every message between the main thread and a shard of sessions (a worker thread, or the main
 * thread itself in single-loop mode). One discriminated union each way, switched on `type`.
 * Only structured-cloneable data: no functions, no class instances.
 */
import type { SerializedError } from './errors.js';

/** How one client's life goes. `ready` = connected and subscribed, waiting for the start barrier. */
export type ClientState =
  | 'connecting'
  | 'connected'
  | 'ready'
  | 'disconnected'
  | 'reconnecting'
  | 'published'
  | 'gave-up'
  | 'failed'
  | 'done';

/** States after which a client does nothing more. */
export const FINAL_STATES: ReadonlySet<ClientState> = new Set(['gave-up', 'failed', 'done']);

/** Fixed per-session facts, decided in the main thread. */
export interface SessionSpec {
  index: number;
  /** Index within the client's group (for templates). */
  n: number;
  clientId: string;
  /** Which of ShardStart.settings.brokers this client uses. */
  broker: number;
  /** null: this client does not publish. */
  pubTopic: string | null;
  /** Rendered filters; empty: this client does not subscribe. */
  subscriptions: { filter: string; qos: 0 | 1 | 2 }[];
  /**
   * Who this client receives as, for delivery accounting: itself, or the shared subscription
   * (`$share/...`) it is one member of, whose members together must see each message once.
   */
  receiverKey: string;
  will: { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean } | null;
  /** Which latency histogram this client's received messages go to (index into ShardStart.latencyGroups). */
  latencyGroup: number;
  /** CPU milliseconds to burn per received message (the slow-client case); 0 for none. */
  workMs: number;
  /** With --connect-rate: the first attempt waits this long after ShardStart.launchedAt. */
  connectDelayMs: number;
  /** With --local-address: the source address this client connects from. */
  localAddress?: string;
}

/** Settings of one group's sessions (a shard never mixes groups): the group's profile and the run's. */
export interface SessionSettings {
  runTag: number;
  group: string;
  brokers: { url: string; tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean } }[];
  /** Publish QoS, size, plan. */
  qos: 0 | 1 | 2;
  size: number;
  rate: number;
  count: number | undefined;
  durationMs: number | undefined;
  retain: boolean;
  payloadTemplate: string | null;
  userProperties: Record<string, string> | null;
  tracking: 'payload' | 'property' | 'none';
  clean: boolean;
  keepaliveSec: number;
  username: string | undefined;
  password: string | undefined;
  reconnectAttempts: number;
  reconnectDelayMs: number;
  connectTimeoutMs: number;
  maxInflight: number;
  barrier: boolean;
  printMessages: boolean;
  /**
   * mqtt-packet's cache of 65,536 pre-built two-byte buffers: faster writes, but ~100 ms of CPU
   * and megabytes per thread to build. Worth it for a few busy threads, not for a thread per client.
   */
  writeCache: boolean;
  /** Connection attempts this shard keeps in flight at most. */
  connectConcurrency: number;
  protocolVersion: 4 | 5;
  sessionExpirySec: number | undefined;
  retryRefused: boolean;
  /** On stop, how long outstanding QoS 1/2 acknowledgements may take before DISCONNECT. */
  drainTimeoutMs: number;
  /** Absolute path of the --workload module, loaded in each client's thread; null for none. */
  workload: string | null;
  /** How long a workload hook may take before the client is failed. */
  hookTimeoutMs: number;
}

/** What a shard is given when it starts: its sessions and the run's settings. */
export interface ShardStart {
  shard: number;
  /** Where this shard runs: a worker thread of the thread-per-client or pool host, or the main thread. */
  mode: 'thread-per-client' | 'pool' | 'single-loop';
  sessions: SessionSpec[];
  settings: SessionSettings;
  latencyGroups: string[];
  /** Milliseconds between counter batches. */
  batchIntervalMs: number;
  /** Epoch ms the run launched its shards: the origin of every session's connect delay. */
  launchedAt: number;
  /**
   * With a workload: shared cells through which another thread sees a hook that blocks this
   * shard's event loop (session/hook-watch.ts), since no timer of the shard's own can fire then.
   */
  watch?: SharedArrayBuffer;
}

// ---- shard -> main ----------------------------------------------------------------------

export interface StatusEvent {
  client: number;
  state: ClientState;
  /** connecting/reconnecting: which attempt, of how many. */
  attempt?: number;
  of?: number;
  /** Why: the last connection error, the reason for giving up or failing. */
  error?: SerializedError;
  /** published: how many messages this client published. */
  published?: number;
  /** Final states: distinct messages this client received. */
  received?: number;
}

/** Counter deltas since the previous batch of the same shard. */
export interface Counters {
  published: number;
  acked: number;
  sendFailed: number;
  /** Deliveries of this run's messages, duplicates included. */
  received: number;
  /** Distinct messages among them. */
  receivedUnique: number;
  duplicates: number;
  outOfOrder: number;
  /** Messages without this run's header: someone else's traffic or an older run's retained message. */
  foreign: number;
  /** Deliveries that carried the retain flag (a retained message, replayed on subscribe). */
  retained: number;
  bytesOut: number;
  bytesIn: number;
}

export interface PrintedMessage {
  client: number;
  clientId: string;
  thread: number;
  topic: string;
  from: number;
  seq: number;
  latencyMs: number;
}

/** One publisher's final count, and which of its messages were never acknowledged. */
export interface PublisherFinal {
  client: number;
  published: number;
  unacked: number[];
}

/** What one subscriber saw of one publisher's sequence. */
export interface StreamFinal {
  subscriber: number;
  /** SessionSpec.receiverKey of the subscriber. */
  key: string;
  publisher: number;
  received: number;
  duplicates: number;
  outOfOrder: number;
  lowest: number;
  highest: number;
  /** Sequence numbers in [0, highest] never seen, as [start, end) pairs, flattened. */
  missing: number[];
}

export type ShardMessage =
  | { type: 'status'; events: StatusEvent[] }
  | {
      type: 'batch';
      counters: Counters;
      /** Per latency group: this interval's latency counts (µs) as [HDR counts index, count] pairs. */
      latency: number[][];
      firstPublishAt: number;
      lastPublishAt: number;
      lastReceiveAt: number;
      messages: PrintedMessage[];
      messagesDropped: number;
      /** This thread's event-loop delay since the previous batch (ms), while publishing; null before. */
      loopDelay: { p99: number; max: number } | null;
      /** MQTT 5 reason codes seen since the previous batch, as `packet:code` and count. */
      reasonCodes: [string, number][];
    }
  | { type: 'final'; publishers: PublisherFinal[]; streams: StreamFinal[] }
  /** A workload's ctx.log line. */
  | { type: 'log'; client: number; message: string }
  | { type: 'shard-done'; shard: number; loopDelay: LoopDelay | null };

/** This thread's event-loop delay while publishing (perf_hooks.monitorEventLoopDelay), in ms. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

// ---- main -> shard ----------------------------------------------------------------------

export type MainMessage =
  /** The start barrier opens: publish from `at` (epoch ms) on; duration counts from there. */
  | { type: 'go'; at: number }
  /** Stop publishing, disconnect cleanly, send finals. */
  | { type: 'stop' };

export function assertNever(value: never): never {
  throw new Error(`unhandled message ${JSON.stringify(value)}`);
}
