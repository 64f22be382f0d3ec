/**
 * A group of clients that share a profile: the whole fleet of a plain `run`, or one group of a
 * scenario file. Plain data, cloned into every thread that runs the group's clients. The options
 * layer makes it; metrics count by it and reports print it, so it sits low, beside protocol.ts.
 */
import { at } from './mqtt/checked.js';

/** Where a group's sessions run: a worker thread each, a pool of K threads, or the main event loop. */
export type ThreadMode = 'thread-per-client' | 'pool' | 'single-loop';

/** TLS versions --tls-min-version takes (Node's default minimum is TLSv1.2). */
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  /** Per-client certificate and key: absolute path templates ({i}, {id}, {n}, {group}), each client reads its own. */
  certFile?: string;
  keyFile?: string;
  minVersion?: (typeof TLS_VERSIONS)[number];
  /** SNI and the name the broker's certificate is checked against, instead of the URL's host. */
  servername?: string;
  /** ALPN protocols offered on mqtts:// connections. */
  alpn?: string[];
  /** SSLKEYLOGFILE: absolute path; every TLS session's secrets are appended, for Wireshark. */
  keylog?: string;
  rejectUnauthorized: boolean;
}

export interface BrokerRef {
  url: string;
  /**
   * Brokers of one cluster share messages: a subscriber hears publishers on any broker of its
   * cluster. A plain run's brokers form one cluster; a scenario's named brokers are each their
   * own, unless they name a common `cluster`.
   */
  cluster: string;
  tls: TlsOptions;
}

export interface Subscription extends SubscriptionOptions {
  /** Topic filter template; `$share/<name>/<filter>` for a shared subscription. */
  filter: string;
  qos: 0 | 1 | 2;
}

/**
 * MQTT 5 subscription options [MQTT 5 3.8.3.1] and the Subscription Identifier [3.8.2.1.2];
 * absent: the protocol's default (off, retain handling 0, no identifier).
 */
export interface SubscriptionOptions {
  /** No Local: the broker does not send the client its own publishes on this filter. */
  noLocal?: boolean;
  /** Retain As Published: forwarded messages keep the retain flag they were published with. */
  retainAsPublished?: boolean;
  /** 0: retained messages on every subscribe; 1: only when the subscription is new; 2: never. */
  retainHandling?: 0 | 1 | 2;
  /** Subscription Identifier (1..268,435,455): the broker echoes it on every message this filter matches. */
  subscriptionId?: number;
}

/**
 * MQTT 5 properties of every publish of a group, besides its user properties [MQTT 5 3.3.2.3];
 * absent ones are not sent. Response topic and correlation data are static for the group.
 */
export interface PublishProperties {
  /** Message Expiry Interval: the broker drops the message (queued or retained) after this. */
  messageExpirySec?: number;
  contentType?: string;
  /** Payload Format Indicator 1: the payload is UTF-8 (a broker may check it, refusing with 0x99). */
  payloadUtf8?: boolean;
  /** Response Topic template ({i}, {id}, {n}, {group}), rendered per client. */
  responseTopic?: string;
  /** Correlation Data, as the UTF-8 bytes of this text. */
  correlationData?: string;
}

/** MQTT 5 CONNECT properties a group sends besides session expiry and maximum packet size [MQTT 5 3.1.2.11]. */
export interface ConnectProperties {
  userProperties?: Record<string, string>;
  /** Request Response Information: ask the broker for a Response Information in CONNACK. */
  requestResponseInformation?: boolean;
  /** Request Problem Information: false asks the broker to leave reason strings and user properties out of failures. */
  requestProblemInformation?: boolean;
}

/**
 * How a receiver tells this run's messages apart and accounts for them: a 24-byte header at the
 * start of the payload (`payload`), the same header in an MQTT 5 user property so the payload can
 * be anything (`property`), or not at all (`none`: counted as published, received as foreign).
 */
export type Tracking = 'payload' | 'property' | 'none';

/**
 * One stage of a staged publish plan: over `durationMs` the per-client rate goes linearly from
 * where the previous stage ended (0 before the first) to `rate`; a held stage repeats the rate.
 */
export interface Stage {
  durationMs: number;
  rate: number;
}

export interface PublishPlan {
  /** Topic template. */
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Messages per second per client; a staged plan's highest stage rate. */
  rate: number;
  count: number | undefined;
  /** A staged plan: the sum of its stages. */
  durationMs: number | undefined;
  /** --stages: the rate follows these instead of staying at `rate`; null for a constant rate. */
  stages: Stage[] | null;
  /** Payload size in bytes, when no template is given. */
  size: number;
  /** Payload template ({i}, {id}, {seq}, {ts}, {group}, {rand:N}); null: `size` bytes with the header, or a source below. */
  payload: string | null;
  /** `@file:PATTERN`: payloads from these files (absolute paths), round-robin by sequence number, byte for byte. */
  files?: { paths: string[]; largest: number } | null;
  /** `@workload`: payloads from the workload module's `payload(ctx, seq, stream)`. */
  generator?: boolean;
  /** MQTT 5 user properties on every publish. */
  userProperties: Record<string, string> | null;
  /** MQTT 5: the other properties on every publish (publish-properties.ts); null for none. */
  properties?: PublishProperties | null;
  /** MQTT 5: topic aliases assigned by the client, within the broker's Topic Alias Maximum. */
  topicAlias?: boolean;
  tracking: Tracking;
  /** spread: client n of the group's N starts its schedule n/N of a period late; together: all at once. */
  phase: 'spread' | 'together';
}

export interface Will {
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export interface GroupProfile {
  name: string;
  /** Index of the group's first client in the fleet. */
  first: number;
  count: number;
  brokers: BrokerRef[];
  /** Client id template: {i} fleet index, {n} index within the group, {group}, {run}. */
  clientId: string;
  username: string | undefined;
  password: string | undefined;
  /** A CSV of per-client user names and passwords (absolute path), read by each lane for its own clients. */
  credentials?: string | null;
  protocolVersion: 4 | 5;
  clean: boolean;
  sessionExpirySec: number | undefined;
  /** MQTT 5 CONNECT properties; null for none. */
  connectProperties?: ConnectProperties | null;
  keepaliveSec: number;
  subscriptions: Subscription[];
  /** What the group publishes: its only stream, or the first of `streams`. */
  publish: PublishPlan | null;
  /**
   * A scenario's `publish` list: every stream of each client, each with its own plan and its own
   * sequence numbers (a source of its own: mqtt/payload.ts sourceId); absent with one stream.
   */
  streams?: PublishPlan[];
  will: Will | null;
  mode: ThreadMode;
  /** Worker threads for this group: its client count, K, or 0. */
  threads: number;
  workload: string | null;
  /** --client-stages, --client-leave, --churn (scenario: clientStages, clientLeave, churn). */
  comings: Comings;
  /** Request/response (MQTT 5): this group's publishes are requests awaiting a response; absent or null: plain publishes. */
  request?: RequestPlan | null;
  /** Request/response: this group answers the requests its subscriptions bring; absent or null: it does not. */
  respond?: RespondPlan | null;
}

/** How each mode, and a fleet of mixed ones, is named to people: tables, reports, pages. */
export const MODE_LABELS: Readonly<Record<ThreadMode | 'mixed', string>> = {
  'thread-per-client': 'thread per client',
  pool: 'pool',
  'single-loop': 'single loop',
  mixed: 'mixed modes',
};

/** The mode of a fleet: the groups' common mode, or `mixed`. */
export function fleetMode(groups: readonly GroupProfile[]): ThreadMode | 'mixed' {
  const modes = new Set(groups.map((g) => g.mode));
  const [only, ...others] = modes;
  return only !== undefined && others.length === 0 ? only : 'mixed';
}

/** Every stream a group's clients publish, in order: none, its one `publish`, or its `streams`. */
export function publishStreams(group: Pick<GroupProfile, 'publish' | 'streams'>): PublishPlan[] {
  if (group.streams !== undefined && group.streams.length > 0) return group.streams;
  return group.publish === null ? [] : [group.publish];
}

/** Which of its group's brokers the group's n-th client connects to: round-robin. */
export function brokerOf(group: GroupProfile, n: number): number {
  return group.brokers.length === 0 ? 0 : n % group.brokers.length;
}

/** The broker cluster a client connects to (round-robin over its group's brokers). */
export function clusterOf(group: GroupProfile, n: number): string {
  return group.brokers.length === 0 ? 'default' : at(group.brokers, brokerOf(group, n)).cluster;
}

export function fleetThreads(groups: readonly GroupProfile[]): number {
  return groups.reduce((n, g) => n + (g.mode === 'single-loop' ? 0 : g.threads), 0);
}

/** One stage of a --client-stages plan: over `durationMs`, the connected count goes (linearly) to `clients`. */
export interface ClientStage {
  durationMs: number;
  clients: number;
}

/** How a client goes away: DISCONNECT first (no will), or its socket destroyed (the broker publishes its will). */
export type LeaveMode = 'clean' | 'abrupt';

/** Every `everyMs`, `fraction` of the group's clients (a rotating slice) disconnect and reconnect at once. */
export interface Churn {
  everyMs: number;
  fraction: number;
  mode: LeaveMode;
}

/** How a group's clients come and go (all null/clean: connected throughout, as usual). */
export interface Comings {
  /** --client-stages: null for none (every client connects at the start and stays). */
  clientStages: ClientStage[] | null;
  /** How a client leaves on the way down. */
  clientLeave: LeaveMode;
  churn: Churn | null;
}

/**
 * A group whose publishes are requests: each carries the client's response topic and correlation
 * data unique to it (client and sequence number), and waits `timeoutMs` for its response.
 */
export interface RequestPlan {
  /** Topic template ({i}, {id}, {n}, {group}) each client subscribes to and names as its response topic. */
  responseTopic: string;
  timeoutMs: number;
  /** QoS of the response topic's subscription. */
  qos: 0 | 1 | 2;
}

/** A group that answers requests: the built-in responder echoes each one, a workload's onRequest hook may delay, replace or drop it. */
export interface RespondPlan {
  /** QoS of the responses. */
  qos: 0 | 1 | 2;
}
