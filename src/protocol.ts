/**
 * Every message between the main thread and a lane of sessions (a worker thread, or the main
 * thread itself in single-loop mode). One discriminated union each way, switched on `type`.
 * Only structured-cloneable data: no functions, no class instances. At the end, what the run's
 * other threads and the broker's process are given and answer, declared here too so that the
 * side that spawns them need not import an entry point.
 */
import type { SerializedError } from './errors.js';
import type {
  Comings,
  ConnectProperties,
  PublishProperties,
  RequestPlan,
  RespondPlan,
  Stage,
  SubscriptionOptions,
  TlsOptions,
} from './group.js';

/**
 * How one client's life goes. `ready` = connected and subscribed, waiting for the start barrier.
 * With --client-stages: `waiting` = not connected by the plan (yet, or again), `left` = went
 * away by the plan; with --churn: `churned` = disconnected on schedule, reconnecting at once.
 */
export type ClientState =
  | 'connecting'
  | 'connected'
  | 'ready'
  | 'disconnected'
  | 'reconnecting'
  | 'published'
  | 'waiting'
  | 'left'
  | 'churned'
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
  /** Where this client's row of its group's credentials file starts (bytes); absent: no file. */
  credentialsAt?: number;
  /** Which of LaneStart.settings.brokers this client uses. */
  broker: number;
  /** null: this client does not publish. */
  pubTopic: string | null;
  /** With several streams (SessionSettings.streams): each one's rendered topic, the first being pubTopic. */
  streamTopics?: string[];
  /** Rendered filters, with their MQTT 5 options; empty: this client does not subscribe. */
  subscriptions: ({ filter: string; qos: 0 | 1 | 2 } & SubscriptionOptions)[];
  /**
   * Who this client receives as, for delivery accounting: itself, or the shared subscription
   * (`$share/...`) it is one member of, whose members together must see each message once.
   */
  receiverKey: string;
  /**
   * The publishers this client should hear, by the plan (topic matching within a broker
   * cluster), as flattened [first, end, bound] triples (metrics/planned.ts): a message with this
   * run's header from anyone else, or numbered past its publisher's plan, is foreign.
   */
  hears: number[];
  will: { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean } | null;
  /** Which latency histogram this client's received messages go to (index into LaneStart.latencyGroups). */
  latencyGroup: number;
  /** CPU milliseconds to burn per received message (the slow-client case); 0 for none. */
  workMs: number;
  /** --phase spread: this client's schedule starts this long after the start barrier (i/N of its group's period). */
  phaseMs: number;
  /** With --connect-rate: the first attempt waits this long after LaneStart.launchedAt. */
  connectDelayMs: number;
  /** With --local-address: the source address this client connects from. */
  localAddress?: string;
  /** Request/response: this client's rendered response topic (one of its subscriptions too). */
  responseTopic?: string;
}

/** Settings of one group's sessions (a lane never mixes groups): the group's profile and the run's. */
export interface SessionSettings {
  runTag: number;
  group: string;
  brokers: { url: string; tls: TlsOptions }[];
  /** Publish QoS, size, plan. */
  qos: 0 | 1 | 2;
  size: number;
  /** A staged plan's highest rate. */
  rate: number;
  count: number | undefined;
  durationMs: number | undefined;
  /** --stages: the rate over time (group.ts PublishPlan); null for a constant rate. */
  stages: Stage[] | null;
  retain: boolean;
  payloadTemplate: string | null;
  /** `@file:` payload files (absolute paths), sent round-robin; read once per lane. */
  payloadFiles?: string[] | null;
  /** `@workload`: each payload from the workload module's `payload` function. */
  payloadGenerator?: boolean;
  userProperties: Record<string, string> | null;
  /** MQTT 5 properties of every publish besides user properties (group.ts); null for none. */
  publishProperties: PublishProperties | null;
  /** MQTT 5: the client assigns topic aliases, as many as the broker's Topic Alias Maximum allows. */
  topicAlias: boolean;
  tracking: 'payload' | 'property' | 'none';
  clean: boolean;
  keepaliveSec: number;
  username: string | undefined;
  password: string | undefined;
  /** The group's CSV of credentials; each lane reads its own clients' rows (session/credentials.ts). */
  credentials?: string | null;
  reconnectAttempts: number;
  reconnectDelayMs: number;
  connectTimeoutMs: number;
  /** Largest incoming packet in bytes: announced to MQTT 5 brokers, enforced on every connection. */
  maxPacketSize: number;
  maxInflight: number;
  barrier: boolean;
  printMessages: boolean;
  /**
   * mqtt-packet's cache of 65,536 pre-built two-byte buffers: faster writes, but ~100 ms of CPU
   * and megabytes per thread to build. Worth it for a few busy threads, not for a thread per client.
   */
  writeCache: boolean;
  protocolVersion: 4 | 5;
  /** --mqtt-client: the lean client wherever the session's features allow (`auto`), or MQTT.js always. */
  mqttClient: 'auto' | 'mqttjs';
  sessionExpirySec: number | undefined;
  /** MQTT 5 CONNECT user properties and request/response information; null for none. */
  connectProperties: ConnectProperties | null;
  retryRefused: boolean;
  /** On stop, how long outstanding QoS 1/2 acknowledgements may take before DISCONNECT. */
  drainTimeoutMs: number;
  /** Absolute path of the --workload module, loaded in each client's thread; null for none. */
  workload: string | null;
  /** How long a workload hook may take before the client is failed. */
  hookTimeoutMs: number;
  /** --warmup: messages sent this long after the start barrier are counted apart, out of every figure. */
  warmupMs: number;
  /** How the group's clients come and go (--client-stages, --client-leave, --churn). */
  comings: Comings;
  /** The group's size across the fleet: a churn slice is a fraction of it. */
  groupCount: number;
  /**
   * A scenario's `publish` list: each stream's own plan (the fields above hold the first's), one
   * Publisher each (session/streams.ts); absent with one stream.
   */
  streams?: StreamSettings[];
  /** Request/response (group.ts): the group sends requests, answers them, or neither (absent or null). */
  request?: RequestPlan | null;
  respond?: RespondPlan | null;
}

/** What one stream of several sets for itself; everything else is its client's. */
export type StreamSettings = Pick<SessionSettings, (typeof STREAM_KEYS)[number]> & { phase: 'spread' | 'together' };

export const STREAM_KEYS = [
  'qos',
  'size',
  'rate',
  'count',
  'durationMs',
  'stages',
  'retain',
  'payloadTemplate',
  'payloadFiles',
  'payloadGenerator',
  'userProperties',
  'publishProperties',
  'topicAlias',
  'tracking',
] as const;

/** What a lane is given when it starts: its sessions and the run's settings. */
export interface LaneStart {
  lane: number;
  /** Where this lane runs: a worker thread of the thread-per-client or pool host, or the main thread. */
  mode: 'thread-per-client' | 'pool' | 'single-loop';
  sessions: SessionSpec[];
  settings: SessionSettings;
  latencyGroups: string[];
  /** Milliseconds between counter batches. */
  batchIntervalMs: number;
  /** Event-loop delay sampling interval (options/plan.ts laneTimers: coarser with many threads). */
  loopResolutionMs: number;
  /** Epoch ms the run launched its lanes: the origin of every session's connect delay. */
  launchedAt: number;
  /** The run's connection attempts in flight, one count shared by every lane (session/slots.ts). */
  connectSlots: SharedArrayBuffer;
  /**
   * Epoch ms before which no message of this run was sent (--start-at with a barrier, else the
   * launch): a message with this run's header sent earlier is from an earlier run with the same id.
   */
  runStart: number;
  /**
   * With a workload: shared cells through which another thread sees a hook that blocks this
   * lane's event loop (session/hook-watch.ts), since no timer of the lane's own can fire then.
   */
  watch?: SharedArrayBuffer;
  /**
   * Every will topic of the fleet, with its group: a message without this run's header on one of
   * them is counted as a will received (for that group). Empty when no group has a will.
   */
  willTopics: [string, string][];
}

// ---- lane -> main ----------------------------------------------------------------------

export interface StatusEvent {
  client: number;
  state: ClientState;
  /** connecting/reconnecting: which attempt, of how many. */
  attempt?: number;
  of?: number;
  /** gave-up: how many attempts its last round made (1 for a refusal retrying cannot help). */
  attempts?: number;
  /** Why: the last connection error, the reason for giving up or failing. */
  error?: SerializedError;
  /** published: how many messages this client published. */
  published?: number;
  /** published, with several streams: how many each stream published, in order. */
  streams?: number[];
  /** Final states: distinct messages this client received. */
  received?: number;
  /** left, churned: the socket was closed without DISCONNECT (the broker publishes the will). */
  abrupt?: boolean;
  /**
   * Final states, MQTT 5: the non-zero reason codes of the acknowledgements this client got
   * (PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK; refusals from 0x80) in words, with their count.
   */
  reasonCodes?: Record<string, number>;
}

/** Counter deltas since the previous batch of the same lane. */
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
  /**
   * Messages without this run's header (someone else's traffic, another run's retained message),
   * or with it from a publisher the plan does not have this client hear, or numbered past that
   * publisher's plan (a second process with the same run id, a forged header).
   */
  foreign: number;
  /** Messages of an earlier run with the same run id: sent before this run began (retained, or queued for a persistent session). */
  stale: number;
  /** Deliveries that carried the retain flag (a retained message, replayed on subscribe). */
  retained: number;
  bytesOut: number;
  bytesIn: number;
  /** Paced messages sent more than one period after their scheduled time (publisher side). */
  lateSends: number;
  /** --warmup: messages sent before the warm-up ended, as published and as received (duplicates included). */
  warmupPublished: number;
  warmupReceived: number;
}

export interface PrintedMessage {
  client: number;
  clientId: string;
  thread: number;
  topic: string;
  /** The publishing client's fleet index. */
  from: number;
  /** Which of its streams, when it publishes several and this is not its first. */
  stream?: number;
  seq: number;
  latencyMs: number;
}

/** One publisher's final count, which of its messages were never acknowledged, and when it sent them. */
export interface PublisherFinal {
  /** The source: the client's fleet index, or for its stream k > 0 that stream's (mqtt/payload.ts sourceId). */
  client: number;
  published: number;
  unacked: number[];
  /** Send times as a piecewise-linear function, flattened [seq, epoch ms] points (metrics/timeline.ts). */
  timeline: number[];
  /** How far an interpolated send time may be from the real one. */
  timelineErrorMs: number;
}

/** When one subscriber was subscribed: what it could have been sent, and what not. */
export interface SubscriberFinal {
  client: number;
  /** SessionSpec.receiverKey of the subscriber. */
  key: string;
  /**
   * Flattened [from, to) epoch ms: from the subscription's acknowledgement (or a resumed
   * session's CONNACK) to the connection's close; a persistent session that resumes spans the gap.
   */
  windows: number[];
  /**
   * The highest latency this subscriber saw (ms), at most MAX_TRANSIT_MS: a message sent that
   * shortly before its connection closed may have been on its way, not lost by the broker.
   */
  transitMs: number;
}

/** Cap on SubscriberFinal.transitMs, so one stalled delivery cannot excuse a long stretch of losses. */
export const MAX_TRANSIT_MS = 1000;

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

export type LaneMessage =
  | { type: 'status'; events: StatusEvent[] }
  | {
      type: 'batch';
      counters: Counters;
      /** Per latency group: this interval's latency counts (µs) as [HDR counts index, count] pairs. */
      latency: number[][];
      /** Per step of a client's life (metrics/steps.ts STEPS order): this interval's durations (µs), pairs as above. */
      steps: number[][];
      /** Receive minus scheduled send time (µs) of paced messages, the same pairs. */
      scheduledLatency: number[];
      /** Actual minus scheduled send time (µs) of paced messages, at the publisher, the same pairs. */
      sendLag: number[];
      firstPublishAt: number;
      lastPublishAt: number;
      lastReceiveAt: number;
      messages: PrintedMessage[];
      messagesDropped: number;
      /** This thread's event-loop delay since the previous batch (ms), while publishing; null before. */
      loopDelay: { p99: number; max: number } | null;
      /** MQTT 5 reason codes seen since the previous batch, as `packet:code` and count. */
      reasonCodes: [string, number][];
      /** Will messages received since the previous batch, per group whose will it was. */
      wills: [string, number][];
      /** Request/response since the previous batch (metrics/round-trip.ts); absent when the lane saw none. */
      requests?: RequestBatch;
    }
  | { type: 'final'; publishers: PublisherFinal[]; streams: StreamFinal[]; subscribers: SubscriberFinal[] }
  /** A workload's ctx.log line. */
  | { type: 'log'; client: number; message: string }
  | { type: 'lane-done'; lane: number; loopDelay: LoopDelay | null };

/** What a lane counts of request/response in one batch interval: every request ends in exactly one of answered, timedOut, pending. */
export interface RequestBatch {
  /** Requests sent (each also counts as published). */
  sent: number;
  /** Responses that came within the timeout. */
  answered: number;
  /** Requests whose timeout passed without a response (late ones included). */
  timedOut: number;
  /** Responses that came after their request had timed out (counted in timedOut, not answered). */
  late: number;
  /** Requests still within their timeout when their client ended (the run stopped first). */
  pending: number;
  /** Responses to a request already answered, or carrying correlation data this client never sent. */
  duplicates: number;
  stray: number;
  /** Responder side: requests received, responses sent, requests the hook dropped, responses that could not be sent (offline, publish error). */
  requestsIn: number;
  responded: number;
  dropped: number;
  unsent: number;
  /** Round-trip times (µs), response received minus request sent, as [HDR counts index, count] pairs. */
  roundTrip: number[];
}

/** This thread's event-loop delay while publishing (perf_hooks.monitorEventLoopDelay), in ms. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

// ---- main -> lane ----------------------------------------------------------------------

export type MainMessage =
  /** The start barrier opens: publish from `at` (epoch ms) on; duration counts from there. */
  | { type: 'go'; at: number }
  /** Stop publishing, disconnect cleanly, send finals. */
  | { type: 'stop' };

// ---- the run's helper threads and the broker process -----------------------------------

/** What single-loop mode's watchdog thread (workers/watchdog.ts) is started with. */
export interface WatchdogData {
  buffer: SharedArrayBuffer;
  hookTimeoutMs: number;
  clientIds: [number, string][];
}

/** What the workload check thread (workers/workload-check.ts) answers about one module. */
export type WorkloadCheckResult =
  { ok: true; hooks?: string[] } | { ok: false; name: string; message: string; where: string | null };

/** To the embedded broker's process (workers/broker-process.ts), over IPC. */
export type BrokerParentMessage = { type: 'stop' };
/** From the embedded broker's process. */
export type BrokerChildMessage =
  { type: 'listening'; host: string; port: number } | { type: 'failed'; message: string };

export function assertNever(value: never): never {
  throw new Error(`unhandled message ${JSON.stringify(value)}`);
}
