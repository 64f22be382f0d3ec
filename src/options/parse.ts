import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import {
  approxMs,
  DAY,
  formatCount,
  formatMs,
  HOUR,
  MAX_MESSAGES,
  MAX_RATE,
  MAX_RUN_MS,
  MIN_RATE,
  MINUTE,
  SECOND,
  shown,
  START_AT_AHEAD_MS,
  START_AT_BEHIND_MS,
} from './bounds.js';
import { UsageError } from '../errors.js';
import { checkOptionFile, FILE_LIMITS } from './files.js';
import type { ThreadMode } from '../group.js';
import { MQTT_REMAINING_MAX } from './packet-limits.js';
import { maskUrl } from '../mqtt/broker-url.js';
import { HEADER_SIZE } from '../mqtt/payload.js';
import { at, known } from '../mqtt/checked.js';

// Files are read through files.ts; these names stay for the modules that import them from here.
export { checkOutputFile, FILE_LIMITS, readOptionFile } from './files.js';

/** Option values from strings: every error is a UsageError naming the option. */

const SCHEMES = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:'];
const DURATION_UNITS: ReadonlyMap<string, number> = new Map([
  ['ms', 1],
  ['s', SECOND],
  ['m', MINUTE],
  ['h', HOUR],
  ['d', DAY],
]);
const COUNT_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 * 1024 };

/**
 * Where a bare number is a duration: nowhere (`unit`: `10` could be seconds or milliseconds, so
 * text needs its unit), or in seconds (`s`: where MQTT itself counts in seconds, keepalive and
 * session expiry).
 */
export type BareNumbers = 'unit' | 's';

/** `500ms`, `10s`, `2m`, `1h`, `1d`, `1.5s`, in whole milliseconds. A JS number (the typed library API) is milliseconds, or seconds where `bare` is `s`. */
export function parseDuration(option: string, value: unknown, bare: BareNumbers = 'unit'): number {
  return Math.round(parseFractionalDuration(option, value, bare));
}

/** As parseDuration, keeping fractions of a millisecond (`0.25ms`). */
export function parseFractionalDuration(option: string, value: unknown, bare: BareNumbers = 'unit'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new UsageError(option, `${option} must be a duration like 500ms, 10s or 2m (got ${value})`);
    return bare === 's' ? value * SECOND : value;
  }
  const text = String(value).trim().toLowerCase();
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text);
  if (!match) {
    throw new UsageError(
      option,
      `${option} must be a duration like 500ms, 10s or 2m (got ${JSON.stringify(String(value))})`,
    );
  }
  if (match[2] === undefined && bare === 'unit') {
    throw new UsageError(option, `${option} needs a unit: 10s, 500ms or 2m (got ${JSON.stringify(String(value))})`);
  }
  return Number(match[1]) * known(DURATION_UNITS, match[2] ?? 's');
}

/** A duration within [min, max] milliseconds; fractions of a millisecond kept if `fractional`. */
export function parseBoundedDuration(
  option: string,
  value: unknown,
  min: number,
  max: number,
  options: { bare?: BareNumbers; fractional?: boolean } = {},
): number {
  const ms = options.fractional
    ? parseFractionalDuration(option, value, options.bare)
    : parseDuration(option, value, options.bare);
  if (ms < min) throw new UsageError(option, `${option} must be at least ${formatMs(min)} (got ${shown(value)})`);
  if (ms > max) throw new UsageError(option, `${option} must be at most ${formatMs(max)} (got ${shown(value)})`);
  return ms;
}

/** `all`, or client indices and ranges: `0`, `0-4`, `0,3,7-9`. */
export function parseClientSet(option: string, value: unknown, clients: number): number[] {
  const text = String(value).trim().toLowerCase();
  if (text === 'all') return Array.from({ length: clients }, (_, i) => i);
  const chosen = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) {
      throw new UsageError(
        option,
        `${option} must be all, or client indices and ranges like 0, 0-4 or 0,3,7-9 (got ${JSON.stringify(String(value))})`,
      );
    }
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new UsageError(option, `${option}: range ${part.trim()} runs backwards`);
    if (to >= clients)
      throw new UsageError(option, `${option}: client ${to} does not exist (clients are 0-${clients - 1})`);
    for (let i = from; i <= to; i++) chosen.add(i);
  }
  return [...chosen].sort((a, b) => a - b);
}

function parseScaled(option: string, value: unknown, units: Record<string, number>, what: string): number {
  const text = String(value).trim().toLowerCase();
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(text);
  const unit = match ? units[at(match, 2)] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError(option, `${option} must be ${what} (got ${JSON.stringify(String(value))})`);
  }
  const n = Number(match[1]) * unit;
  if (!Number.isSafeInteger(n))
    throw new UsageError(option, `${option} must be a whole number (got ${JSON.stringify(String(value))})`);
  return n;
}

/** `1000`, `10k`, `1m` (million). */
export function parseCount(option: string, value: unknown): number {
  return parseScaled(option, value, COUNT_UNITS, 'a whole number like 1000, 10k or 1m');
}

export function parseSize(option: string, value: unknown): number {
  return parseScaled(option, value, SIZE_UNITS, 'a size in bytes like 64, 1kb or 1kib');
}

/** A decimal number (`10`, `0.5`, `-1`): no `0x10`, `1e3` or `Infinity`, which Number() would take. */
export function parseNumber(option: string, value: unknown): number {
  const text = String(value).trim();
  const n = typeof value === 'number' ? value : /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n)) {
    throw new UsageError(option, `${option} must be a number (got ${JSON.stringify(String(value))})`);
  }
  return n;
}

export function atLeast(option: string, n: number, min: number, unit = ''): number {
  if (n < min) throw new UsageError(option, `${option} must be at least ${min}${unit} (got ${n}${unit})`);
  return n;
}

export function atMost(option: string, n: number, max: number, shownMax = String(max), unit = ''): number {
  if (n > max) throw new UsageError(option, `${option} must be at most ${shownMax}${unit} (got ${n}${unit})`);
  return n;
}

/** `true` or `false`, nothing else: `"nope"`, `"false"` as text or `1` is refused rather than read as either. */
export function parseBoolean(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new UsageError(option, `${option} must be true or false (got ${JSON.stringify(value)})`);
  return value;
}

/*
 * The rules shared by flags and scenario files: each takes the label to name (`--qos`, or a
 * scenario path like `groups[1].publish.qos`), so one rule gives one message in both places.
 */

/** A count from 1 to `max` (`20`, `10k`): clients, messages, in-flight publishes. */
export function parsePositiveCount(option: string, value: unknown, max: number): number {
  return atMost(option, atLeast(option, parseCount(option, value), 1), max, formatCount(max));
}

/** Messages per client: at most MAX_MESSAGES. */
export function parseMessageCount(option: string, value: unknown): number {
  return parsePositiveCount(option, value, MAX_MESSAGES);
}

/** How long a client publishes: 1 ms to MAX_RUN_MS. */
export function parsePublishDuration(option: string, value: unknown): number {
  return parseBoundedDuration(option, value, 1, MAX_RUN_MS);
}

/** Per second (messages per client, or connections); 0: unpaced. Otherwise from MIN_RATE to MAX_RATE. */
export function parseRate(option: string, value: unknown, unit = ' msg/s'): number {
  const rate = atMost(option, atLeast(option, parseNumber(option, value), 0, unit), MAX_RATE, String(MAX_RATE), unit);
  if (rate > 0 && rate < MIN_RATE)
    throw new UsageError(option, `${option} must be 0 (unpaced) or at least ${MIN_RATE}${unit} (got ${rate}${unit})`);
  return rate;
}

/**
 * A publish plan must fit what the tool can track and time: at most MAX_MESSAGES per client
 * (rate x duration), and at most MAX_RUN_MS of publishing (count / rate). Null when it fits.
 */
export function planProblem(plan: {
  rate: number;
  count: number | undefined;
  durationMs: number | undefined;
}): string | null {
  const { rate, count, durationMs } = plan;
  if (rate === 0) return null;
  if (durationMs !== undefined && (count === undefined || count > (rate * durationMs) / SECOND)) {
    const messages = Math.ceil((rate * durationMs) / SECOND);
    if (messages > MAX_MESSAGES) {
      return `${rate} msg/s for ${approxMs(durationMs)} plans ${messages} messages per client; at most ${formatCount(MAX_MESSAGES)} (sequence numbers are 32-bit): lower the rate or the duration, or give a count`;
    }
  }
  if (durationMs === undefined && count !== undefined && (count / rate) * SECOND > MAX_RUN_MS) {
    return `${rate} msg/s for ${count} messages takes ${approxMs((count / rate) * SECOND)}; a run publishes for at most ${formatMs(MAX_RUN_MS)}: raise the rate or lower the count`;
  }
  return null;
}

export function parseQos(option: string, value: unknown): 0 | 1 | 2 {
  const n = parseNumber(option, value);
  if (n !== 0 && n !== 1 && n !== 2) throw new UsageError(option, `${option} must be 0, 1 or 2 (got ${n})`);
  return n;
}

export const PHASES = ['spread', 'together'] as const;
export type Phase = (typeof PHASES)[number];

/** How paced clients' schedules sit against each other: `spread` over the period, or `together`. */
export function parsePhase(option: string, value: unknown): Phase {
  if (value === 'spread' || value === 'together') return value;
  throw new UsageError(option, `${option} must be spread or together (got ${String(value)})`);
}

/** Payload bytes, header included: room for the header, and within one MQTT packet (checked exactly, with its topic, in packet-limits.ts). */
export function parsePayloadSize(option: string, value: unknown): number {
  const size = parseSize(option, value);
  if (size < HEADER_SIZE)
    throw new UsageError(option, `${option} must be at least ${HEADER_SIZE} bytes, the payload header (got ${size})`);
  if (size > MQTT_REMAINING_MAX)
    throw new UsageError(
      option,
      `${option} must be at most ${MQTT_REMAINING_MAX} bytes, MQTT's largest packet, less its topic (got ${size})`,
    );
  return size;
}

/** Keepalive in whole seconds (a bare number is seconds, as in MQTT); MQTT's field holds at most 65535. */
export function parseKeepalive(option: string, value: unknown): number {
  const seconds = Math.round(parseDuration(option, value, 's') / 1000);
  if (seconds > 65535) throw new UsageError(option, `${option} must be at most 65535s (got ${seconds}s)`);
  return seconds;
}

/** MQTT 5 session expiry in whole seconds (a bare number is seconds, as in MQTT); a four-byte field. */
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

export function resolveWorkload(option: string, path: string, dir = process.cwd()): string {
  const absolute = resolvePath(dir, path);
  if (!/\.(mjs|cjs|js)$/.test(absolute))
    throw new UsageError(option, `${option} must be a .mjs, .cjs or .js module (got ${JSON.stringify(path)})`);
  if (!existsSync(absolute)) throw new UsageError(option, `${option}: no such file ${JSON.stringify(path)}`);
  checkOptionFile(option, absolute, FILE_LIMITS.workload); // a directory or an unreadable file fails here, not in a worker
  return absolute;
}

export function parseThreads(value: unknown): { mode: ThreadMode; threads: number | 'per-client' } {
  const text = String(value).trim().toLowerCase();
  if (text === 'per-client') return { mode: 'thread-per-client', threads: 'per-client' };
  if (!/^\d+$/.test(text)) {
    throw new UsageError(
      '--threads',
      `--threads must be per-client, 0 (one event loop) or a pool size K >= 1 (got ${JSON.stringify(String(value))})`,
    );
  }
  const k = Number(text);
  return k === 0 ? { mode: 'single-loop', threads: 0 } : { mode: 'pool', threads: k };
}

/** A broker URL, checked; `option` names it (`--broker`, or a scenario path). Never echoes its credentials. */
export function checkBrokerUrl(url: string, option = '--broker'): string {
  // An empty URL (`-b ''`, an unset variable) must not quietly mean the embedded broker.
  if (url.trim() === '') {
    throw new UsageError(
      option,
      `${option} must not be empty: give a URL like mqtt://127.0.0.1:1883, or leave --broker out for the embedded broker`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      option,
      `${option} must be a URL like mqtt://127.0.0.1:1883 (got ${JSON.stringify(maskUrl(url))})`,
    );
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

/** An ISO 8601 time (`2026-11-24T18:00:00Z`) within a day ahead and an hour ago: epoch ms. */
export function parseStartAt(option: string, value: string): number {
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(at)) {
    throw new UsageError(
      option,
      `${option} must be an ISO 8601 time like 2026-11-24T18:00:00Z (got ${JSON.stringify(value)})`,
    );
  }
  // Its timer must fit setTimeout, and a time long gone is a mistake, not a late shard.
  const now = Date.now();
  if (at - now > START_AT_AHEAD_MS)
    throw new UsageError(
      option,
      `${option} must be at most ${formatMs(START_AT_AHEAD_MS)} ahead (got ${JSON.stringify(value)})`,
    );
  if (now - at > START_AT_BEHIND_MS)
    throw new UsageError(
      option,
      `${option} must be at most ${formatMs(START_AT_BEHIND_MS)} ago (got ${JSON.stringify(value)})`,
    );
  return at;
}

/** `a,b,c` and/or IPv4 CIDR ranges (`127.0.1.0/24`: every host address in it), one value or a list of them. */
export function parseLocalAddresses(option: string, value: string | string[] | undefined): string[] {
  const parts = (value === undefined ? [] : Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(','))
    .map((p) => p.trim())
    .filter(Boolean);
  const out: string[] = [];
  for (const part of parts) {
    const cidr = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(part);
    if (cidr) {
      const bits = Number(cidr[5]);
      const octets = cidr.slice(1, 5).map(Number);
      if (bits < 16 || bits > 32 || octets.some((o) => o > 255))
        throw new UsageError(option, `${option}: ${part} is not an IPv4 range from /16 to /32`);
      const base = octets.reduce((address, octet) => (address << 8) | octet, 0) >>> 0;
      const size = 2 ** (32 - bits);
      const start = (base & ~(size - 1)) >>> 0;
      // Leave out the network and broadcast addresses of ranges with room for them.
      for (let a = size > 2 ? 1 : 0; a < (size > 2 ? size - 1 : size); a++) {
        const ip = (start + a) >>> 0;
        out.push([ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.'));
      }
      continue;
    }
    if (isIP(part) === 0)
      throw new UsageError(option, `${option}: ${JSON.stringify(part)} is not an IP address or CIDR range`);
    out.push(part);
  }
  return out;
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export function integer(option: string, n: number): number {
  if (!Number.isInteger(n)) throw new UsageError(option, `${option} must be a whole number (got ${n})`);
  return n;
}
