import { isIP } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { OutputKind } from './report/outputs.js';
import { UsageError } from './errors.js';
import { approxMs, formatMs, MAX_CLIENTS, MAX_INFLIGHT, MAX_RECONNECT_ATTEMPTS, MAX_RUN_MS, MAX_WAIT_MS, MAX_WORK_MS, MIN_STATS_INTERVAL_MS, START_AT_AHEAD_MS, START_AT_BEHIND_MS } from './bounds.js';
import { checkMqttString, groupPacketProblem, type PacketField } from './packet-limits.js';
import {
  checkBrokerUrl,
  checkOutputFile,
  FILE_LIMITS,
  integer,
  newRunId,
  parseBoolean,
  parseBoundedDuration,
  parseClientSet,
  parseDuration,
  parseKeepalive,
  parseMessageCount,
  parseMqttVersion,
  parseNumber,
  parsePayloadSize,
  parsePort,
  parsePositiveCount,
  parsePublishDuration,
  parseQos,
  parseRate,
  parseSessionExpiry,
  parseThreads,
  planProblem,
  readOptionFile,
  resolveWorkload,
} from './parse.js';

export { newRunId, parseCount, parseDuration, parseSize } from './parse.js';
import { fleetThreads, type GroupProfile } from './group.js';
import { loadScenario, type Scenario } from './scenario/load.js';
import { resolveScenarioGroups, scenarioClientCount } from './scenario/groups.js';
import { checkTemplate } from './session/templates.js';
import { resolveMaxPacketSize } from './packet-size.js';

/**
 * What a caller may pass to `run()`; the CLI passes yargs' strings straight in. Durations: a
 * string needs its unit (`'10s'`, `'500ms'`), as on the command line and in scenario files; a
 * number is milliseconds (seconds for `keepalive` and `sessionExpiry`, as in MQTT). Every value
 * is held to the same bounds as its flag (README, "Bounds").
 */
export interface RunOptions {
  /** Broker URLs, used round-robin by client index. An empty list or none: start the embedded Aedes broker; an empty URL is refused. */
  brokers?: string[] | string;
  clients?: number | string;
  qos?: number | string;
  /** Payload size in bytes, header included (`64`, `1kb`, `1kib`). */
  size?: number | string;
  /** Messages per second per client; 0 publishes as fast as flow control allows. */
  rate?: number | string;
  /** Messages per client (`1000`, `10k`). */
  count?: number | string;
  /** Publishing time (`10s`, `2m`, or a number of milliseconds); at most 24 days. */
  duration?: number | string;
  topic?: string;
  /** Topic filter each client subscribes to; `''` for publish-only clients. */
  subTopic?: string;
  retain?: boolean;
  clean?: boolean;
  /** Seconds (a number, or a bare number as text), or a duration string (`1m`). */
  keepalive?: number | string;
  username?: string;
  password?: string;
  idPrefix?: string;
  reconnectAttempts?: number | string;
  reconnectDelay?: number | string;
  connectTimeout?: number | string;
  /** The largest incoming packet a client accepts (`1mib`); default: the run's largest payload plus 128 KiB, at least 1 MiB. */
  maxPacketSize?: number | string;
  /** How long to wait for messages still on their way once publishing ends. */
  drainTimeout?: number | string;
  /** Hold publishing until every client is connected and subscribed. */
  barrier?: boolean;
  /** `per-client` (default), a pool of K ≥ 1 threads, or 0 for one event loop. */
  threads?: number | string;
  /** Unacknowledged publishes allowed per client. */
  maxInflight?: number | string;
  printMessages?: boolean;
  /** How often `stats` events are emitted. */
  statsInterval?: number | string;
  /** An id for this run; client ids and payload tags derive from it. */
  runId?: string;
  /** CPU time burnt in the message handler per received message (`20ms`, `0.5ms`). */
  work?: number | string;
  /** Which clients do `work`: `all`, `0`, `0-4`, `0,3,7-9`. */
  workClients?: string | number;
  /** New connections per second across the fleet at the start; 0 = all at once. */
  connectRate?: number | string;
  /** Connection attempts in flight at once across the process: one bound shared by every thread. */
  connectConcurrency?: number | string;
  /** `3.1.1` (default) or `5`. */
  mqttVersion?: string | number;
  /** MQTT 5 session expiry (`1h`, `300s`; a bare number is seconds): the broker keeps the session this long after a disconnect. */
  sessionExpiry?: number | string;
  /** Retry connection refusals that retrying cannot fix (bad credentials, not authorised, banned). */
  retryRefused?: boolean;
  /** Read the password from this file (first line), instead of argv or the environment. */
  passwordFile?: string;
  /** TLS: CA certificate(s) to trust (PEM file). */
  ca?: string;
  /** TLS client certificate and key (PEM files). */
  cert?: string;
  key?: string;
  /** TLS: accept a broker certificate that does not verify. */
  insecure?: boolean;
  /** A module of per-client hooks (setup, onConnect, onMessage, tick, teardown), run in each client's thread. */
  workload?: string;
  /** How long a workload hook may take before its client is failed. */
  hookTimeout?: number | string;
  /** A scenario file (YAML or JSON): groups of clients with their own brokers, topics and plans. */
  scenario?: string;
  /** Serve Prometheus metrics on this port during the run (0: any free port). */
  metricsPort?: number | string;
  metricsHost?: string;
  /** Extra outputs, `kind=path`: `csv=run.csv` (time series), `ndjson=run.ndjson` (every event), `result=shard.json` (mergeable). */
  out?: string | string[];
  /** Run only shard I of N of the fleet (`2/5`): clients whose index modulo N is I. */
  shard?: string;
  /** With JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) and no --shard: the number of shards. */
  shards?: number | string;
  /** Hold publishing until this time (ISO 8601), so separate shards start together. */
  startAt?: string;
  /** Source addresses to spread connections over: a list (`127.0.0.2,127.0.0.3`) or an IPv4 CIDR range (`127.0.1.0/24`). */
  localAddress?: string | string[];
}

export type ThreadMode = 'thread-per-client' | 'pool' | 'single-loop';

/** Options after parsing and validation: plain data, safe to clone into worker threads. */
export interface ResolvedOptions {
  runId: string;
  brokers: string[];
  embeddedBroker: boolean;
  clients: number;
  qos: 0 | 1 | 2;
  size: number;
  rate: number;
  count: number | undefined;
  durationMs: number | undefined;
  topic: string;
  subTopic: string;
  retain: boolean;
  clean: boolean;
  keepaliveSec: number;
  username: string | undefined;
  password: string | undefined;
  idPrefix: string;
  reconnectAttempts: number;
  reconnectDelayMs: number;
  connectTimeoutMs: number;
  /** Largest incoming packet (bytes), sent as MQTT 5 Maximum Packet Size and enforced on receive. */
  maxPacketSize: number;
  drainTimeoutMs: number;
  barrier: boolean;
  mode: ThreadMode;
  /** Worker threads that will run: clients, K, or 0. */
  threads: number;
  maxInflight: number;
  printMessages: boolean;
  statsIntervalMs: number;
  /** Milliseconds of CPU per received message for the working clients; 0 = none. */
  workMs: number;
  /** Indices of the clients that do `workMs` of work per message. */
  workClients: number[];
  /** First connects per second, fleet-wide; 0 = unpaced. */
  connectRate: number;
  connectConcurrency: number;
  /** MQTT protocol level: 4 (3.1.1) or 5. */
  protocolVersion: 4 | 5;
  /** MQTT 5 session expiry interval in seconds; undefined: not sent. */
  sessionExpirySec: number | undefined;
  retryRefused: boolean;
  /** PEM contents, read up front so workers never touch the file system for them. */
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  /** Absolute path of the workload module, or null. */
  workload: string | null;
  hookTimeoutMs: number;
  /** The fleet, group by group: one group for a plain run, a scenario's groups otherwise. */
  groups: GroupProfile[];
  /** The scenario file, if the fleet came from one. */
  scenario: string | null;
  metrics: { host: string; port: number } | null;
  outputs: { kind: OutputKind; path: string }[];
  /** This process runs shard `index` of `count`; null: the whole fleet. */
  shard: { index: number; count: number } | null;
  /** Epoch ms publishing may start at the earliest (--start-at); null: when ready. */
  startAt: number | null;
  /** Source addresses, used round-robin by client index; empty: the system picks. */
  localAddresses: string[];
}

export const DEFAULTS = {
  clients: 20,
  qos: 0,
  size: 64,
  rate: 10,
  duration: '10s',
  topic: 'fleet/{i}',
  subTopic: 'fleet/{i}',
  keepalive: 60,
  reconnectAttempts: 3,
  reconnectDelay: '1s',
  connectTimeout: '10s',
  drainTimeout: '5s',
  threads: 'per-client',
  // Mosquitto's default max_inflight_messages: a broker past its in-flight quota may drop QoS 2 messages it has PUBREC'd.
  maxInflight: 20,
  connectConcurrency: 64,
  hookTimeout: '5s',
  statsInterval: '1s',
} as const;

const OUTPUT_KINDS: readonly OutputKind[] = ['csv', 'ndjson', 'result'];

/** `--shard I/N`, or JOB_COMPLETION_INDEX with `--shards N` (a Kubernetes Indexed Job). */
function parseShard(input: RunOptions, env: NodeJS.ProcessEnv, clients: number): { index: number; count: number } | null {
  let index: number;
  let count: number;
  if (input.shard !== undefined && input.shards !== undefined) {
    throw new UsageError('--shards', '--shards does not go with --shard: --shard I/N names both, --shards N takes I from JOB_COMPLETION_INDEX');
  }
  if (input.shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(String(input.shard).trim());
    if (!match) throw new UsageError('--shard', `--shard must be I/N, e.g. 0/4 (got ${JSON.stringify(String(input.shard))})`);
    index = Number(match[1]);
    count = Number(match[2]);
  } else if (input.shards !== undefined) {
    count = integer('--shards', parseNumber('--shards', input.shards));
    if (env.JOB_COMPLETION_INDEX === undefined) throw new UsageError('--shards', '--shards needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), or use --shard I/N');
    index = integer('--shards', parseNumber('JOB_COMPLETION_INDEX', env.JOB_COMPLETION_INDEX));
  } else {
    return null;
  }
  if (count < 1) throw new UsageError('--shard', `--shard: the number of shards must be at least 1 (got ${count})`);
  if (index < 0 || index >= count) throw new UsageError('--shard', `--shard: index ${index} is not in 0..${count - 1}`);
  if (count > clients) throw new UsageError('--shard', `--shard: ${count} shards for ${clients} clients would leave shards without a client; use at most ${clients}`);
  return { index, count };
}

/** `a,b,c` and/or IPv4 CIDR ranges (`127.0.1.0/24`: every host address in it). */
function parseLocalAddresses(value: string | string[] | undefined): string[] {
  const parts = (value === undefined ? [] : Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((p) => p.trim()).filter(Boolean);
  const out: string[] = [];
  for (const part of parts) {
    const cidr = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(part);
    if (cidr) {
      const bits = Number(cidr[5]);
      const octets = cidr.slice(1, 5).map(Number);
      if (bits < 16 || bits > 32 || octets.some((o) => o > 255)) throw new UsageError('--local-address', `--local-address: ${part} is not an IPv4 range from /16 to /32`);
      const base = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
      const size = 2 ** (32 - bits);
      const start = (base & ~(size - 1)) >>> 0;
      // Leave out the network and broadcast addresses of ranges with room for them.
      for (let a = size > 2 ? 1 : 0; a < (size > 2 ? size - 1 : size); a++) {
        const ip = (start + a) >>> 0;
        out.push([ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.'));
      }
      continue;
    }
    if (isIP(part) === 0) throw new UsageError('--local-address', `--local-address: ${JSON.stringify(part)} is not an IP address or CIDR range`);
    out.push(part);
  }
  return out;
}

function parseStartAt(value: string | undefined): number | null {
  if (value === undefined) return null;
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(at)) {
    throw new UsageError('--start-at', `--start-at must be an ISO 8601 time like 2026-11-24T18:00:00Z (got ${JSON.stringify(value)})`);
  }
  // Its timer must fit setTimeout, and a time long gone is a mistake, not a late shard.
  const now = Date.now();
  if (at - now > START_AT_AHEAD_MS) throw new UsageError('--start-at', `--start-at must be at most ${formatMs(START_AT_AHEAD_MS)} ahead (got ${JSON.stringify(value)})`);
  if (now - at > START_AT_BEHIND_MS) throw new UsageError('--start-at', `--start-at must be at most ${formatMs(START_AT_BEHIND_MS)} ago (got ${JSON.stringify(value)})`);
  return at;
}

/** Connections per second at the start (0: all at once), paced so the last client connects within a run's longest time. */
function parseConnectRate(value: unknown, clients: number): number {
  const rate = parseRate('--connect-rate', value ?? 0, '/s');
  const lastMs = rate > 0 ? ((clients - 1) / rate) * 1000 : 0;
  if (lastMs > MAX_RUN_MS) {
    throw new UsageError('--connect-rate', `--connect-rate ${rate}/s takes ${approxMs(lastMs)} to connect ${clients} clients; pacing may take at most ${formatMs(MAX_RUN_MS)}`);
  }
  return rate;
}

/** Flags that make strings MQTT carries with a two-byte length (and the payload, its packet), checked as the fleet's last client renders them. */
function checkFlatPackets(o: ResolvedOptions, input: RunOptions): void {
  const problem = groupPacketProblem(o.groups[0]!, o.runId);
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

/** `--out kind=path`, repeatable; each file must be writable now, not found unwritable after the run. */
function parseOutputs(value: string | string[] | undefined, shard: ResolvedOptions['shard']): { kind: OutputKind; path: string }[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const outputs = list.map((entry) => {
    const match = /^([a-z]+)=(.+)$/.exec(String(entry));
    const kind = match?.[1] as OutputKind | undefined;
    if (!match || !kind || !OUTPUT_KINDS.includes(kind)) {
      throw new UsageError('--out', `--out must be kind=path with kind ${OUTPUT_KINDS.join(' or ')} (got ${JSON.stringify(String(entry))})`);
    }
    if (kind === 'result' && !shard) throw new UsageError('--out', '--out result= needs --shard I/N (or --shards): only a shard writes a mergeable result');
    return { kind, path: checkOutputFile('--out', match[2]!, `--out ${kind}`) };
  });
  const seen = new Map<string, OutputKind>();
  for (const { kind, path } of outputs) {
    const other = seen.get(path);
    if (other) throw new UsageError('--out', `--out ${other} and ${kind} both write ${JSON.stringify(path)}: give each its own file`);
    seen.set(path, kind);
  }
  return outputs;
}


/**
 * Parse and validate every option at once, before anything starts. Throws UsageError naming the
 * option (or, for a scenario, the file, line and path). Scenario `defaults` sit under the options
 * given here, which sit under each group's own settings.
 */
export function resolveOptions(input: RunOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  if (input.scenario === undefined) {
    const resolved = resolveFlat(input, env);
    resolved.groups = [groupFromFlags(resolved)];
    resolved.maxPacketSize = resolveMaxPacketSize(input.maxPacketSize, resolved.groups);
    checkFlatPackets(resolved, input);
    return checkShardBroker(resolved);
  }
  for (const flag of ['clients', 'topic', 'subTopic', 'workClients'] as const) {
    if (input[flag] !== undefined) throw new UsageError(`--${kebab(flag)}`, `--${kebab(flag)} does not go with --scenario: the scenario's groups say it`);
  }
  const scenario = loadScenario(input.scenario, env);
  const { defaults, spelling } = scenarioDefaults(scenario);
  const merged: RunOptions = { ...defaults, ...definedOnly(input) };
  delete merged.scenario;
  let resolved: ResolvedOptions;
  try {
    resolved = resolveFlat({ ...merged, clients: scenarioClientCount(scenario) }, env);
  } catch (err) {
    // A bad default from the file is reported at its line, not as a flag the user never typed.
    const key = err instanceof UsageError ? camel(err.option.replace(/^--/, '')) : '';
    if (err instanceof UsageError && key in defaults && !(key in definedOnly(input))) {
      scenario.fail(['defaults', spelling.get(key) ?? key], err.message.replace(err.option, '').trim());
    }
    throw err;
  }
  const groups = resolveScenarioGroups(scenario, resolved);
  resolved.groups = groups;
  resolved.maxPacketSize = resolveMaxPacketSize(merged.maxPacketSize, groups);
  resolved.scenario = scenario.file;
  // Read by run(): named brokers for every group need no embedded one.
  resolved.embeddedBroker = groups.some((g) => g.brokers.length === 0) && resolved.brokers.length === 0;
  // Nothing in mqtt-fleet reads these two for a scenario (the groups say it); kept true for library callers.
  resolved.mode = groups.every((g) => g.mode === groups[0]!.mode) ? groups[0]!.mode : resolved.mode;
  resolved.threads = fleetThreads(groups);
  return checkShardBroker(resolved);
}

/** Shards each starting an embedded broker would be separate fleets, which `merge` would add up as one. */
function checkShardBroker(resolved: ResolvedOptions): ResolvedOptions {
  if (resolved.shard && resolved.embeddedBroker) {
    throw new UsageError('--shard', '--shard needs --broker (or brokers for every scenario group): each shard would start an embedded broker of its own, and their results would not be one fleet');
  }
  return resolved;
}

const SCENARIO_DEFAULT_KEYS = new Set<string>([
  'brokers', 'qos', 'size', 'rate', 'count', 'duration', 'retain', 'clean', 'keepalive', 'username', 'password', 'idPrefix',
  'reconnectAttempts', 'reconnectDelay', 'connectTimeout', 'drainTimeout', 'barrier', 'threads', 'maxInflight', 'printMessages',
  'statsInterval', 'runId', 'work', 'connectRate', 'connectConcurrency', 'mqttVersion', 'sessionExpiry', 'retryRefused',
  'passwordFile', 'ca', 'cert', 'key', 'insecure', 'workload', 'hookTimeout', 'maxPacketSize',
]);
const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A scenario's `defaults`: run options in camelCase or kebab-case; files relative to the scenario.
 * `spelling` maps each camelCase name back to the key written in the file, for error positions.
 */
function scenarioDefaults(scenario: Scenario): { defaults: RunOptions; spelling: Map<string, string> } {
  const out: Record<string, unknown> = {};
  const spelling = new Map<string, string>();
  for (const [key, value] of Object.entries(scenario.defaults)) {
    const name = camel(key);
    if (!SCENARIO_DEFAULT_KEYS.has(name)) {
      scenario.failKey(['defaults', key], `is not a run option that a scenario can default; expected one of ${[...SCENARIO_DEFAULT_KEYS].join(', ')}`);
    }
    spelling.set(name, key);
    // A scenario is text like the command line: `duration: 10` is the string "10", which needs its unit,
    // where a number from a library caller would be milliseconds. Not a password: YAML has already
    // rounded a long number, so the text would not be what was written; it is refused instead.
    const text = typeof value === 'number' && name !== 'password' ? String(value) : value;
    out[name] = ['ca', 'cert', 'key', 'passwordFile', 'workload'].includes(name) && typeof text === 'string' ? resolvePath(scenario.dir, text) : text;
  }
  return { defaults: out as RunOptions, spelling };
}

function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The flag spelling of a RunOptions key: `subTopic` is `sub-topic`. */
export const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The one group of a plain run, from its flags. */
function groupFromFlags(o: ResolvedOptions): GroupProfile {
  return {
    name: 'fleet',
    first: 0,
    count: o.clients,
    brokers: o.brokers.map((url) => ({ url, cluster: 'default', tls: o.tls })),
    clientId: `${o.idPrefix}{i}`,
    username: o.username,
    password: o.password,
    protocolVersion: o.protocolVersion,
    clean: o.clean,
    sessionExpirySec: o.sessionExpirySec,
    keepaliveSec: o.keepaliveSec,
    subscriptions: o.subTopic === '' ? [] : [{ filter: o.subTopic, qos: o.qos }],
    publish: {
      topic: o.topic,
      qos: o.qos,
      retain: o.retain,
      rate: o.rate,
      count: o.count,
      durationMs: o.durationMs,
      size: o.size,
      payload: null,
      userProperties: null,
      tracking: 'payload',
    },
    will: null,
    mode: o.mode,
    threads: o.threads,
    workload: o.workload,
  };
}

function resolveFlat(input: RunOptions, env: NodeJS.ProcessEnv): ResolvedOptions {
  // An empty list is the embedded broker; an empty URL in it is refused, not dropped.
  const brokers = (input.brokers === undefined ? [] : Array.isArray(input.brokers) ? input.brokers : [input.brokers]).map(String).map((url) => checkBrokerUrl(url));
  const clients = parsePositiveCount('--clients', input.clients ?? DEFAULTS.clients, MAX_CLIENTS);
  const qos = parseQos('--qos', input.qos ?? DEFAULTS.qos);
  const size = parsePayloadSize('--size', input.size ?? DEFAULTS.size);
  const rate = parseRate('--rate', input.rate ?? DEFAULTS.rate);
  const count = input.count === undefined ? undefined : parseMessageCount('--count', input.count);
  let durationMs = input.duration === undefined ? undefined : parsePublishDuration('--duration', input.duration);
  if (count === undefined && durationMs === undefined) durationMs = parseDuration('--duration', DEFAULTS.duration);
  if (rate === 0 && count === undefined) {
    throw new UsageError('--rate', '--rate 0 (unpaced) needs --count, so the run has a bound');
  }
  const plan = planProblem({ rate, count, durationMs });
  if (plan !== null) throw new UsageError('--rate', `--rate ${plan}`);
  const topic = input.topic ?? DEFAULTS.topic;
  checkTemplate('--topic', topic, false);
  const subTopic = input.subTopic ?? DEFAULTS.subTopic;
  if (subTopic !== '') checkTemplate('--sub-topic', subTopic, true);
  const keepaliveSec = parseKeepalive('--keepalive', input.keepalive ?? DEFAULTS.keepalive);
  const reconnectAttempts = parsePositiveCount('--reconnect-attempts', input.reconnectAttempts ?? DEFAULTS.reconnectAttempts, MAX_RECONNECT_ATTEMPTS);
  const { mode, threads } = parseThreads(input.threads ?? DEFAULTS.threads);
  const runId = input.runId ?? env.MQTT_FLEET_RUN_ID ?? newRunId();
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(runId)) throw new UsageError('--run-id', '--run-id must be 1-32 letters, digits, - or _');
  const idPrefix = input.idPrefix ?? `mqtt-fleet-${runId}-`;
  const statsIntervalMs = parseBoundedDuration('--stats-interval', input.statsInterval ?? DEFAULTS.statsInterval, MIN_STATS_INTERVAL_MS, MAX_WAIT_MS);
  const workMs = input.work === undefined ? 0 : parseBoundedDuration('--work', input.work, 0, MAX_WORK_MS, { fractional: true });
  if (input.workClients !== undefined && workMs === 0) throw new UsageError('--work-clients', '--work-clients needs --work');
  if (input.metricsHost !== undefined && input.metricsPort === undefined) throw new UsageError('--metrics-host', '--metrics-host needs --metrics-port');
  const workClients = workMs > 0 ? parseClientSet('--work-clients', input.workClients ?? 'all', clients) : [];
  const username = input.username ?? env.MQTT_USERNAME;
  if (input.passwordFile !== undefined && input.password !== undefined) {
    throw new UsageError('--password-file', '--password-file and --password both give a password: use one');
  }
  const password =
    input.passwordFile !== undefined
      ? readOptionFile('--password-file', input.passwordFile, FILE_LIMITS.password).split(/\r?\n/)[0]!
      : (input.password ?? env.MQTT_PASSWORD);
  // A scenario's defaults (or a library caller) may give a number: refused without showing it.
  if (password !== undefined && typeof password !== 'string') throw new UsageError('--password', `--password must be a string (got a ${typeof password}; the value is not shown)`);
  // Checked here as well as per group: a scenario's groups inherit them.
  checkMqttString('--username', username, 'a user name');
  checkMqttString(input.passwordFile !== undefined ? '--password-file' : '--password', password, 'a password');
  const protocolVersion = parseMqttVersion('--mqtt-version', input.mqttVersion ?? '3.1.1');
  let sessionExpirySec: number | undefined;
  if (input.sessionExpiry !== undefined) {
    if (protocolVersion !== 5) throw new UsageError('--session-expiry', '--session-expiry needs --mqtt-version 5 (MQTT 3.1.1 has no session expiry)');
    sessionExpirySec = parseSessionExpiry('--session-expiry', input.sessionExpiry);
  }
  const tls = {
    rejectUnauthorized: !parseBoolean('--insecure', input.insecure ?? false),
    ...(input.ca === undefined ? {} : { ca: readOptionFile('--ca', input.ca, FILE_LIMITS.pem) }),
    ...(input.cert === undefined ? {} : { cert: readOptionFile('--cert', input.cert, FILE_LIMITS.pem) }),
    ...(input.key === undefined ? {} : { key: readOptionFile('--key', input.key, FILE_LIMITS.pem) }),
  };
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new UsageError(tls.cert === undefined ? '--cert' : '--key', '--cert and --key go together: a client certificate needs its key');
  }
  if (password !== undefined && username === undefined) {
    throw new UsageError('--password', '--password needs --username (MQTT 3.1.1 sends a password only with a user name)');
  }
  const shard = parseShard(input, env, clients);
  const resolved: ResolvedOptions = {
    runId,
    brokers,
    embeddedBroker: brokers.length === 0,
    clients,
    qos,
    size,
    rate,
    count,
    durationMs,
    topic,
    subTopic,
    retain: parseBoolean('--retain', input.retain ?? false),
    clean: parseBoolean('--clean', input.clean ?? true),
    keepaliveSec,
    username,
    password,
    idPrefix,
    reconnectAttempts,
    reconnectDelayMs: parseBoundedDuration('--reconnect-delay', input.reconnectDelay ?? DEFAULTS.reconnectDelay, 0, MAX_WAIT_MS),
    connectTimeoutMs: parseBoundedDuration('--connect-timeout', input.connectTimeout ?? DEFAULTS.connectTimeout, 1, MAX_WAIT_MS),
    // Set by resolveOptions once the groups, and so the largest payload, are known.
    maxPacketSize: 0,
    drainTimeoutMs: parseBoundedDuration('--drain-timeout', input.drainTimeout ?? DEFAULTS.drainTimeout, 0, MAX_WAIT_MS),
    barrier: parseBoolean('--barrier', input.barrier ?? true),
    mode,
    threads: threads === 'per-client' ? clients : threads,
    maxInflight: parsePositiveCount('--max-inflight', input.maxInflight ?? DEFAULTS.maxInflight, MAX_INFLIGHT),
    printMessages: parseBoolean('--print-messages', input.printMessages ?? false),
    statsIntervalMs,
    workMs,
    workClients,
    connectRate: parseConnectRate(input.connectRate, clients),
    protocolVersion,
    sessionExpirySec,
    retryRefused: parseBoolean('--retry-refused', input.retryRefused ?? false),
    tls,
    workload: input.workload === undefined ? null : resolveWorkload('--workload', input.workload),
    hookTimeoutMs: parseBoundedDuration('--hook-timeout', input.hookTimeout ?? DEFAULTS.hookTimeout, 1, MAX_WAIT_MS),
    connectConcurrency: parsePositiveCount('--connect-concurrency', input.connectConcurrency ?? DEFAULTS.connectConcurrency, MAX_CLIENTS),
    groups: [],
    scenario: null,
    metrics:
      input.metricsPort === undefined
        ? null
        : { host: input.metricsHost ?? '127.0.0.1', port: parsePort('--metrics-port', input.metricsPort) },
    shard,
    outputs: parseOutputs(input.out, shard),
    startAt: parseStartAt(input.startAt),
    localAddresses: parseLocalAddresses(input.localAddress),
  };
  if (resolved.shard && input.runId === undefined && env.MQTT_FLEET_RUN_ID === undefined) {
    throw new UsageError('--shard', '--shard needs --run-id (or MQTT_FLEET_RUN_ID), the same for every shard, so client ids and payload tags agree');
  }
  if (resolved.mode === 'pool' && resolved.threads > clients) resolved.threads = clients;
  return resolved;
}

