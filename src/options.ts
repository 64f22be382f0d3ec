import { randomBytes } from 'node:crypto';
import { UsageError } from './errors.js';
import { HEADER_SIZE } from './session/payload.js';
import { checkTemplate } from './session/templates.js';

/** What a caller may pass to `run()`; the CLI passes yargs' strings and numbers straight in. */
export interface RunOptions {
  /** Broker URLs, used round-robin by client index. Empty or absent: start the embedded Aedes broker. */
  brokers?: string[] | string;
  clients?: number | string;
  qos?: number | string;
  /** Payload size in bytes, header included (`64`, `1kb`, `1kib`). */
  size?: number | string;
  /** Messages per second per client; 0 publishes as fast as flow control allows. */
  rate?: number | string;
  /** Messages per client (`1000`, `10k`). */
  count?: number | string;
  /** Publishing time (`10s`, `2m`, or milliseconds). */
  duration?: number | string;
  topic?: string;
  /** Topic filter each client subscribes to; `''` for publish-only clients. */
  subTopic?: string;
  retain?: boolean;
  clean?: boolean;
  /** Seconds, or a duration string. */
  keepalive?: number | string;
  username?: string;
  password?: string;
  idPrefix?: string;
  reconnectAttempts?: number | string;
  reconnectDelay?: number | string;
  connectTimeout?: number | string;
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
  /** Connection attempts in flight at once across the fleet (split over threads). */
  connectConcurrency?: number | string;
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
  maxInflight: 100,
  connectConcurrency: 64,
  statsInterval: '1s',
} as const;

const SCHEMES = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:'];
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const COUNT_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 * 1024 };

/** `500ms`, `10s`, `2m`, `1h`, `1.5s`; a bare number is taken in `bareUnit`. Whole milliseconds. */
export function parseDuration(option: string, value: unknown, bareUnit: 'ms' | 's' = 'ms'): number {
  return Math.round(parseFractionalDuration(option, value, bareUnit));
}

/** As parseDuration, keeping fractions of a millisecond (`0.25ms`). */
export function parseFractionalDuration(option: string, value: unknown, bareUnit: 'ms' | 's' = 'ms'): number {
  const text = String(value).trim().toLowerCase();
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!match) {
    throw new UsageError(option, `${option} must be a duration like 500ms, 10s or 2m (got ${JSON.stringify(String(value))})`);
  }
  return Number(match[1]) * DURATION_UNITS[match[2] ?? bareUnit]!;
}

/** `all`, or client indices and ranges: `0`, `0-4`, `0,3,7-9`. */
export function parseClientSet(option: string, value: unknown, clients: number): number[] {
  const text = String(value).trim().toLowerCase();
  if (text === 'all') return Array.from({ length: clients }, (_, i) => i);
  const chosen = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) {
      throw new UsageError(option, `${option} must be all, or client indices and ranges like 0, 0-4 or 0,3,7-9 (got ${JSON.stringify(String(value))})`);
    }
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new UsageError(option, `${option}: range ${part.trim()} runs backwards`);
    if (to >= clients) throw new UsageError(option, `${option}: client ${to} does not exist (clients are 0-${clients - 1})`);
    for (let i = from; i <= to; i++) chosen.add(i);
  }
  return [...chosen].sort((a, b) => a - b);
}

function parseScaled(option: string, value: unknown, units: Record<string, number>, what: string): number {
  const text = String(value).trim().toLowerCase();
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(text);
  const unit = match ? units[match[2]!] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError(option, `${option} must be ${what} (got ${JSON.stringify(String(value))})`);
  }
  const n = Number(match[1]) * unit;
  if (!Number.isSafeInteger(n)) throw new UsageError(option, `${option} must be a whole number (got ${JSON.stringify(String(value))})`);
  return n;
}

/** `1000`, `10k`, `1m` (million). */
export function parseCount(option: string, value: unknown): number {
  return parseScaled(option, value, COUNT_UNITS, 'a whole number like 1000 or 10k');
}

export function parseSize(option: string, value: unknown): number {
  return parseScaled(option, value, SIZE_UNITS, 'a size in bytes like 64, 1kb or 1kib');
}

function parseNumber(option: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (String(value).trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(option, `${option} must be a number (got ${JSON.stringify(String(value))})`);
  }
  return n;
}

function atLeast(option: string, n: number, min: number, unit = ''): number {
  if (n < min) throw new UsageError(option, `${option} must be at least ${min}${unit} (got ${n}${unit})`);
  return n;
}

function parseThreads(value: unknown): { mode: ThreadMode; threads: number | 'per-client' } {
  const text = String(value).trim().toLowerCase();
  if (text === 'per-client') return { mode: 'thread-per-client', threads: 'per-client' };
  if (!/^\d+$/.test(text)) {
    throw new UsageError('--threads', `--threads must be per-client, 0 (one event loop) or a pool size K >= 1 (got ${JSON.stringify(String(value))})`);
  }
  const k = Number(text);
  return k === 0 ? { mode: 'single-loop', threads: 0 } : { mode: 'pool', threads: k };
}

export function checkBrokerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError('--broker', `--broker must be a URL like mqtt://127.0.0.1:1883 (got ${JSON.stringify(redactUrl(url))})`);
  }
  if (!SCHEMES.includes(parsed.protocol)) {
    throw new UsageError(
      '--broker',
      `--broker has unknown scheme ${JSON.stringify(parsed.protocol.slice(0, -1))}; use one of ${SCHEMES.map((s) => s.slice(0, -1)).join(', ')}`,
    );
  }
  if (!parsed.hostname) throw new UsageError('--broker', `--broker needs a host (got ${JSON.stringify(redactUrl(url))})`);
  return url;
}

/** A URL safe to show: credentials replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = parsed.password ? '***' : '';
    }
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

/** Parse and validate every option at once, before anything starts. Throws UsageError naming the option. */
export function resolveOptions(input: RunOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const brokers = (input.brokers === undefined ? [] : Array.isArray(input.brokers) ? input.brokers : [input.brokers])
    .map(String)
    .filter((b) => b.trim() !== '')
    .map(checkBrokerUrl);
  const clients = atLeast('--clients', integer('--clients', parseCount('--clients', input.clients ?? DEFAULTS.clients)), 1);
  const qos = parseNumber('--qos', input.qos ?? DEFAULTS.qos);
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new UsageError('--qos', `--qos must be 0, 1 or 2 (got ${qos})`);
  const size = parseSize('--size', input.size ?? DEFAULTS.size);
  if (size < HEADER_SIZE) {
    throw new UsageError('--size', `--size must be at least ${HEADER_SIZE} bytes, the payload header (got ${size})`);
  }
  if (size > 256 * 1024 * 1024) throw new UsageError('--size', `--size must be at most 256mib, MQTT's limit (got ${size})`);
  const rate = atLeast('--rate', parseNumber('--rate', input.rate ?? DEFAULTS.rate), 0, ' msg/s');
  const count = input.count === undefined ? undefined : parseCount('--count', input.count);
  if (count !== undefined) atLeast('--count', count, 1);
  let durationMs = input.duration === undefined ? undefined : parseDuration('--duration', input.duration);
  if (durationMs !== undefined) atLeast('--duration', durationMs, 1, 'ms');
  if (count === undefined && durationMs === undefined) durationMs = parseDuration('--duration', DEFAULTS.duration);
  if (rate === 0 && count === undefined) {
    throw new UsageError('--rate', '--rate 0 (unpaced) needs --count, so the run has a bound');
  }
  const topic = input.topic ?? DEFAULTS.topic;
  checkTemplate('--topic', topic, false);
  const subTopic = input.subTopic ?? DEFAULTS.subTopic;
  if (subTopic !== '') checkTemplate('--sub-topic', subTopic, true);
  const keepaliveSec = Math.round(parseDuration('--keepalive', input.keepalive ?? DEFAULTS.keepalive, 's') / 1000);
  if (keepaliveSec > 65535) throw new UsageError('--keepalive', `--keepalive must be at most 65535s (got ${keepaliveSec}s)`);
  const reconnectAttempts = atLeast(
    '--reconnect-attempts',
    integer('--reconnect-attempts', parseNumber('--reconnect-attempts', input.reconnectAttempts ?? DEFAULTS.reconnectAttempts)),
    1,
  );
  const { mode, threads } = parseThreads(input.threads ?? DEFAULTS.threads);
  const runId = input.runId ?? newRunId();
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(runId)) throw new UsageError('--run-id', '--run-id must be 1-32 letters, digits, - or _');
  const idPrefix = input.idPrefix ?? `mqtt-fleet-${runId}-`;
  const statsIntervalMs = atLeast('--stats-interval', parseDuration('--stats-interval', input.statsInterval ?? DEFAULTS.statsInterval), 100, 'ms');
  const workMs = input.work === undefined ? 0 : parseFractionalDuration('--work', input.work);
  if (workMs > 10_000) throw new UsageError('--work', `--work must be at most 10s per message (got ${workMs}ms)`);
  if (input.workClients !== undefined && workMs === 0) throw new UsageError('--work-clients', '--work-clients needs --work');
  const workClients = workMs > 0 ? parseClientSet('--work-clients', input.workClients ?? 'all', clients) : [];
  const username = input.username ?? env.MQTT_USERNAME;
  const password = input.password ?? env.MQTT_PASSWORD;
  if (password !== undefined && username === undefined) {
    throw new UsageError('--password', '--password needs --username (MQTT 3.1.1 sends a password only with a user name)');
  }
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
    retain: input.retain ?? false,
    clean: input.clean ?? true,
    keepaliveSec,
    username,
    password,
    idPrefix,
    reconnectAttempts,
    reconnectDelayMs: parseDuration('--reconnect-delay', input.reconnectDelay ?? DEFAULTS.reconnectDelay),
    connectTimeoutMs: atLeast('--connect-timeout', parseDuration('--connect-timeout', input.connectTimeout ?? DEFAULTS.connectTimeout), 1, 'ms'),
    drainTimeoutMs: parseDuration('--drain-timeout', input.drainTimeout ?? DEFAULTS.drainTimeout),
    barrier: input.barrier ?? true,
    mode,
    threads: threads === 'per-client' ? clients : threads,
    maxInflight: atLeast('--max-inflight', integer('--max-inflight', parseCount('--max-inflight', input.maxInflight ?? DEFAULTS.maxInflight)), 1),
    printMessages: input.printMessages ?? false,
    statsIntervalMs,
    workMs,
    workClients,
    connectRate: atLeast('--connect-rate', parseNumber('--connect-rate', input.connectRate ?? 0), 0, '/s'),
    connectConcurrency: atLeast(
      '--connect-concurrency',
      integer('--connect-concurrency', parseCount('--connect-concurrency', input.connectConcurrency ?? DEFAULTS.connectConcurrency)),
      1,
    ),
  };
  if (resolved.mode === 'pool' && resolved.threads > clients) resolved.threads = clients;
  return resolved;
}

function integer(option: string, n: number): number {
  if (!Number.isInteger(n)) throw new UsageError(option, `${option} must be a whole number (got ${n})`);
  return n;
}
