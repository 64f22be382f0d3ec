/**
 * The types of options, given and resolved, read off the option table so they cannot drift
 * from it: a new entry is a new RunOptions key and, with a parser, a new resolved option.
 */
import type { GroupProfile, ThreadMode, TlsOptions } from '../group.js';
import type { OptionInputs } from './spec.js';
import type { OptionKey, OptionTable } from './table.js';
import type { OutputKind } from '../report/outputs.js';
import type { ThresholdSpec } from '../report/thresholds.js';

type Entry<K extends OptionKey> = OptionTable[K];

/**
 * What a caller may pass to `run()`; the CLI passes yargs' strings straight in. Durations: a
 * string needs its unit (`'10s'`, `'500ms'`), as on the command line and in scenario files; a
 * number is milliseconds (seconds for `keepalive` and `sessionExpiry`, as in MQTT). Every value
 * is held to the same bounds as its flag (README, "Bounds").
 */
export type RunOptions = {
  -readonly [K in keyof OptionTable as Entry<K> extends { cliOnly: true } ? never : K]?: OptionInputs[Entry<K>['kind']];
};

/** An option's name among the resolved options. */
export type ResolvedName<K extends OptionKey> = Entry<K> extends { resolved: infer N extends string } ? N : K;

/** A parsed option's value: the parser's result, or its `absent` value when it has no default. */
type Parsed<S> = S extends { parse: (...args: never[]) => infer R }
  ? R | (S extends { default: unknown } ? never : S extends { absent: infer A } ? A : undefined)
  : never;

/** The options that resolve on their own, through their entry's parser. */
export type ParsedOptions = {
  -readonly [K in OptionKey as Entry<K> extends { parse: unknown } ? ResolvedName<K> : never]: Parsed<Entry<K>>;
};

/** What is resolved by code of its own (resolve.ts), as it depends on other options, the environment or files. */
interface OwnResolution {
  runId: string;
  brokers: string[];
  embeddedBroker: boolean;
  durationMs: number | undefined;
  username: string | undefined;
  password: string | undefined;
  idPrefix: string;
  /** Largest incoming packet (bytes), sent as MQTT 5 Maximum Packet Size and enforced on receive. */
  maxPacketSize: number;
  mode: ThreadMode;
  /** Worker threads that will run: clients, K, or 0. */
  threads: number;
  /** Indices of the clients that do `workMs` of work per message. */
  workClients: number[];
  /** First connects per second, fleet-wide; 0 = unpaced. */
  connectRate: number;
  /** MQTT 5 session expiry interval in seconds; undefined: not sent. */
  sessionExpirySec: number | undefined;
  /** PEM contents, read up front so workers never touch the file system for them; per-client files (certFile, keyFile) are read by each client. */
  tls: TlsOptions;
  /** The fleet, group by group: one group for a plain run, a scenario's groups otherwise. */
  groups: GroupProfile[];
  /** The scenario file, if the fleet came from one. */
  scenario: string | null;
  metrics: { host: string; port: number } | null;
  outputs: { kind: OutputKind; path: string }[];
  /** --threshold, then the scenario's `thresholds`, in that order. */
  thresholds: ThresholdSpec[];
  /** This process runs shard `index` of `count`; null: the whole fleet. */
  shard: { index: number; count: number } | null;
}

/**
 * Options after parsing and validation: plain data, safe to clone into worker threads. Among
 * them: `workMs` (CPU per received message for the working clients; 0 = none), `protocolVersion`
 * (4 for 3.1.1, or 5), `workload` (the module's absolute path, or null), `startAt` (epoch ms
 * publishing may start at the earliest; null: when ready), `localAddresses` (used round-robin by
 * client index; empty: the system picks).
 */
export interface ResolvedOptions extends ParsedOptions, OwnResolution {}
