import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { UsageError } from './errors.js';
import type { ThreadMode } from './options.js';
import { maskUrl } from './secrets.js';
import { HEADER_SIZE } from './session/payload.js';

/** Option values from strings: every error is a UsageError naming the option. */

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

export function parseNumber(option: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (String(value).trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(option, `${option} must be a number (got ${JSON.stringify(String(value))})`);
  }
  return n;
}

export function atLeast(option: string, n: number, min: number, unit = ''): number {
  if (n < min) throw new UsageError(option, `${option} must be at least ${min}${unit} (got ${n}${unit})`);
  return n;
}

/*
 * The rules shared by flags and scenario files: each takes the label to name (`--qos`, or a
 * scenario path like `groups[1].publish.qos`), so one rule gives one message in both places.
 */

/** A count of at least 1 (`20`, `10k`): clients, messages, in-flight publishes. */
export function parsePositiveCount(option: string, value: unknown): number {
  return atLeast(option, parseCount(option, value), 1);
}

/** A duration of at least 1 ms. */
export function parsePositiveDuration(option: string, value: unknown): number {
  return atLeast(option, parseDuration(option, value), 1, 'ms');
}

/** Messages per second per client; 0: as fast as flow control allows. */
export function parseRate(option: string, value: unknown): number {
  return atLeast(option, parseNumber(option, value), 0, ' msg/s');
}

export function parseQos(option: string, value: unknown): 0 | 1 | 2 {
  const n = parseNumber(option, value);
  if (n !== 0 && n !== 1 && n !== 2) throw new UsageError(option, `${option} must be 0, 1 or 2 (got ${n})`);
  return n;
}

/** MQTT's largest payload: the remaining length field holds at most 256 MiB. */
const MAX_PAYLOAD = 256 * 1024 * 1024;

/** Payload bytes, header included: room for the header, and within MQTT's limit. */
export function parsePayloadSize(option: string, value: unknown): number {
  const size = parseSize(option, value);
  if (size < HEADER_SIZE) throw new UsageError(option, `${option} must be at least ${HEADER_SIZE} bytes, the payload header (got ${size})`);
  if (size > MAX_PAYLOAD) throw new UsageError(option, `${option} must be at most 256mib, MQTT's limit (got ${size})`);
  return size;
}

/** Keepalive in whole seconds (a bare number is seconds); MQTT's field holds at most 65535. */
export function parseKeepalive(option: string, value: unknown): number {
  const seconds = Math.round(parseDuration(option, value, 's') / 1000);
  if (seconds > 65535) throw new UsageError(option, `${option} must be at most 65535s (got ${seconds}s)`);
  return seconds;
}

/** MQTT 5 session expiry in whole seconds (a bare number is seconds); a four-byte field. */
export function parseSessionExpiry(option: string, value: unknown): number {
  const seconds = Math.round(parseDuration(option, value, 's') / 1000);
  if (seconds > 0xffffffff) throw new UsageError(option, `${option} must be at most 4294967295s (got ${seconds}s)`);
  return seconds;
}

/** `3.1.1` (also `4`, `v3.1.1`) or `5` (also `5.0`, `v5`): the protocol level, 4 or 5. */
export function parseMqttVersion(option: string, value: unknown): 4 | 5 {
  const text = String(value).trim().toLowerCase();
  if (['3.1.1', '4', 'v3.1.1'].includes(text)) return 4;
  if (['5', '5.0', 'v5'].includes(text)) return 5;
  throw new UsageError(option, `${option} must be 3.1.1 or 5 (got ${JSON.stringify(String(value))})`);
}

/** A TCP port, 0 (any free port) to 65535. */
export function parsePort(option: string, value: unknown): number {
  const port = integer(option, parseNumber(option, value));
  if (port < 0 || port > 65535) throw new UsageError(option, `${option} must be between 0 and 65535 (got ${port})`);
  return port;
}

/** A workload module's absolute path (relative to `dir`): a readable .mjs, .cjs or .js file. */
export function resolveWorkload(option: string, path: string, dir = process.cwd()): string {
  const absolute = resolvePath(dir, path);
  if (!/\.(mjs|cjs|js)$/.test(absolute)) throw new UsageError(option, `${option} must be a .mjs, .cjs or .js module (got ${JSON.stringify(path)})`);
  if (!existsSync(absolute)) throw new UsageError(option, `${option}: no such file ${JSON.stringify(path)}`);
  readOptionFile(option, absolute); // a directory or an unreadable file fails here, not in a worker
  return absolute;
}

export function parseThreads(value: unknown): { mode: ThreadMode; threads: number | 'per-client' } {
  const text = String(value).trim().toLowerCase();
  if (text === 'per-client') return { mode: 'thread-per-client', threads: 'per-client' };
  if (!/^\d+$/.test(text)) {
    throw new UsageError('--threads', `--threads must be per-client, 0 (one event loop) or a pool size K >= 1 (got ${JSON.stringify(String(value))})`);
  }
  const k = Number(text);
  return k === 0 ? { mode: 'single-loop', threads: 0 } : { mode: 'pool', threads: k };
}

/** A broker URL, checked; `option` names it (`--broker`, or a scenario path). Never echoes its credentials. */
export function checkBrokerUrl(url: string, option = '--broker'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(option, `${option} must be a URL like mqtt://127.0.0.1:1883 (got ${JSON.stringify(maskUrl(url))})`);
  }
  if (!SCHEMES.includes(parsed.protocol)) {
    throw new UsageError(
      option,
      `${option} has unknown scheme ${JSON.stringify(parsed.protocol.slice(0, -1))}; use one of ${SCHEMES.map((s) => s.slice(0, -1)).join(', ')}`,
    );
  }
  if (!parsed.hostname) throw new UsageError(option, `${option} needs a host (got ${JSON.stringify(maskUrl(url))})`);
  return url;
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export function integer(option: string, n: number): number {
  if (!Number.isInteger(n)) throw new UsageError(option, `${option} must be a whole number (got ${n})`);
  return n;
}

/**
 * A file's contents, read once, up front: for an option (certificates, a password, a scenario)
 * or a command's input (`report`, `merge`). The one "cannot read" message, naming `option`.
 */
export function readOptionFile(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(option, `${option}: cannot read ${JSON.stringify(path)} (${code})`);
  }
}

/**
 * A file this command will write, checked now rather than after the run: not a directory, and
 * writable, or creatable in an existing, writable directory. `label` names it in the message
 * (`--out csv`). Returns the absolute path.
 */
export function checkOutputFile(option: string, path: string, label = option): string {
  const absolute = resolvePath(path);
  const where = existsSync(absolute) ? absolute : dirname(absolute);
  if (where !== absolute) {
    if (!existsSync(where)) throw new UsageError(option, `${label}: no such directory ${JSON.stringify(dirname(path))}`);
    if (!statSync(where).isDirectory()) throw new UsageError(option, `${label}: ${JSON.stringify(dirname(path))} is not a directory`);
  } else if (statSync(absolute).isDirectory()) {
    throw new UsageError(option, `${label}: ${JSON.stringify(path)} is a directory; name a file`);
  }
  try {
    accessSync(where, constants.W_OK);
  } catch (err) {
    throw new UsageError(option, `${label}: cannot write ${JSON.stringify(path)} (${(err as NodeJS.ErrnoException).code ?? 'not writable'})`);
  }
  return absolute;
}
