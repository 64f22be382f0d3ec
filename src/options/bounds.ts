/**
 * Every bound on what a run may ask for, in one place, each with its reason. Options are checked
 * against these before anything is allocated per client (README, "Bounds").
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * The longest a run may publish (--duration, or --count at --rate): every timer we set stays
 * under setTimeout's 2^31 - 1 ms (24.8 days), past which Node fires it after 1 ms instead.
 */
export const MAX_RUN_MS = 24 * DAY;
/** Waits (--connect-timeout, --reconnect-delay, --drain-timeout, --hook-timeout, --stats-interval): past an hour, not a measurement. */
export const MAX_WAIT_MS = HOUR;
/** Stats lines more often than this cost more than they tell. */
export const MIN_STATS_INTERVAL_MS = 100;
/** --work: CPU burnt per received message. */
export const MAX_WORK_MS = 10 * SECOND;
/** --start-at: a shard may wait this long for the agreed start... */
export const START_AT_AHEAD_MS = DAY;
/** ...and start this late (a retried pod); further back is a typo or a stale manifest. */
export const START_AT_BEHIND_MS = HOUR;

/** The whole fleet, across shards: every process plans every client (about 1 KB and 10 µs each). */
export const MAX_CLIENTS = 1_000_000;
/** Messages per client: sequence numbers are 32-bit, and each receiver keeps a bit per message of each stream. */
export const MAX_MESSAGES = 1_000_000_000;
/** Messages (or connections) per second; a paced rate below the minimum waits hours between messages. */
export const MAX_RATE = 1_000_000;
export const MIN_RATE = 0.0001;
/** Attempts per (re)connect: with the default delay and timeout, 1000 attempts is hours of one client retrying. */
export const MAX_RECONNECT_ATTEMPTS = 1000;
/** [MQTT-2.3.1] packet identifiers are 16-bit (and MQTT 5's Receive Maximum at most 65,535). */
export const MAX_INFLIGHT = 65_535;

/** `24d`, `1h`, `100ms`, `1.5s`: a bound, in the largest unit that shows it exactly. */
export function formatMs(ms: number): string {
  // Days only past one: `24h` reads better than `1d`.
  for (const [unit, size] of [
    ['d', DAY],
    ['h', HOUR],
    ['m', MINUTE],
    ['s', SECOND],
  ] as const) {
    if (ms >= size * (unit === 'd' ? 2 : 1) && Number.isInteger(ms / size)) return `${ms / size}${unit}`;
  }
  return ms >= SECOND ? `${ms / SECOND}s` : `${ms}ms`;
}

/** `46 days`, `3.2 hours`: how long something would take, for messages. */
export function approxMs(ms: number): string {
  for (const [unit, size] of [
    ['days', DAY],
    ['hours', HOUR],
    ['minutes', MINUTE],
  ] as const) {
    if (ms >= size) return `${Number((ms / size).toFixed(1))} ${unit}`;
  }
  return `${Number((ms / SECOND).toFixed(1))} seconds`;
}

/** `1000000 (1m)`, `65535`: a count, and how it is written with a unit. */
export function formatCount(n: number): string {
  if (n >= 1e6 && Number.isInteger(n / 1e6)) return `${n} (${n / 1e6}m)`;
  if (n >= 1e4 && Number.isInteger(n / 1e3)) return `${n} (${n / 1e3}k)`;
  return String(n);
}

/** A value as the user gave it, for messages: text quoted, numbers as they are. */
export function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
