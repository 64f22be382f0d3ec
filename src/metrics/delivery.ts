import type { PublisherFinal, StreamFinal } from '../protocol.js';

export interface Delivery {
  /** Messages the subscribers should have received, by topic matching. */
  expected: number;
  /** Distinct messages received. */
  unique: number;
  /** Expected, never received, and acknowledged (or written, at QoS 0) to the broker. */
  lost: number;
  /** Expected, never received, and still unacknowledged when the run ended: fate unknown. */
  inFlight: number;
  duplicates: number;
  outOfOrder: number;
}

/**
 * Exact end-of-run accounting over every (publisher -> subscriber) stream. A missing sequence
 * number is lost if the broker had acknowledged it, in flight if not. Without a start barrier a
 * subscriber may have joined late, so its stream counts from the first number it saw.
 */
export function accountDelivery(
  expected: ReadonlyMap<string, readonly number[]>,
  publishers: ReadonlyMap<number, PublisherFinal>,
  streams: readonly StreamFinal[],
  barrier: boolean,
): Delivery {
  // A shared subscription's members each saw part of a stream: together, one stream.
  const parts = new Map<string, StreamFinal[]>();
  for (const s of streams) {
    const id = `${s.publisher}>${s.key}`;
    const list = parts.get(id);
    if (list) list.push(s);
    else parts.set(id, [s]);
  }
  const seen = new Map<string, StreamFinal>();
  for (const [id, list] of parts) seen.set(id, list.length === 1 ? list[0]! : mergeFinals(list));
  const pairs = new Set<string>();
  for (const [key, list] of expected) for (const publisher of list) pairs.add(`${publisher}>${key}`);
  for (const key of seen.keys()) pairs.add(key); // heard without being expected: still accounted

  const unackedSorted = new Map<number, number[]>();
  for (const [client, p] of publishers) unackedSorted.set(client, [...p.unacked].sort((a, b) => a - b));

  const out: Delivery = { expected: 0, unique: 0, lost: 0, inFlight: 0, duplicates: 0, outOfOrder: 0 };
  for (const key of pairs) {
    const publisher = Number(key.slice(0, key.indexOf('>')));
    const stream = seen.get(key);
    const sent = publishers.get(publisher)?.published ?? (stream ? stream.highest + 1 : 0);
    const from = barrier || !stream ? 0 : stream.lowest;
    const unacked = unackedSorted.get(publisher) ?? [];
    out.expected += sent - from;
    if (stream) {
      out.unique += stream.received;
      out.duplicates += stream.duplicates;
      out.outOfOrder += stream.outOfOrder;
    }
    const gaps = stream ? [...stream.missing] : [];
    const tail = stream ? stream.highest + 1 : 0;
    if (tail < sent) gaps.push(tail, sent);
    for (let n = 0; n < gaps.length; n += 2) {
      const start = Math.max(gaps[n]!, from);
      const end = Math.min(gaps[n + 1]!, sent);
      if (end <= start) continue;
      const pending = countInRange(unacked, start, end);
      out.inFlight += pending;
      out.lost += end - start - pending;
    }
  }
  return out;
}

/** Sequence numbers a stream final saw, as sorted [start, end) ranges. */
function seenRanges(s: StreamFinal): [number, number][] {
  const out: [number, number][] = [];
  let at = 0;
  for (let n = 0; n < s.missing.length; n += 2) {
    if (s.missing[n]! > at) out.push([at, s.missing[n]!]);
    at = s.missing[n + 1]!;
  }
  if (s.highest + 1 > at) out.push([at, s.highest + 1]);
  return out;
}

/** Several members' view of one stream as one: union of what they saw; overlaps are duplicates. */
export function mergeFinals(list: readonly StreamFinal[]): StreamFinal {
  const ranges = list.flatMap(seenRanges).sort((a, b) => a[0] - b[0]);
  const union: [number, number][] = [];
  for (const [a, b] of ranges) {
    const last = union.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else union.push([a, b]);
  }
  const distinct = union.reduce((n, [a, b]) => n + b - a, 0);
  const highest = Math.max(...list.map((s) => s.highest));
  const missing: number[] = [];
  let at = 0;
  for (const [a, b] of union) {
    if (a > at) missing.push(at, a);
    at = b;
  }
  const received = list.reduce((n, s) => n + s.received, 0);
  return {
    subscriber: list[0]!.subscriber,
    key: list[0]!.key,
    publisher: list[0]!.publisher,
    received: distinct,
    duplicates: list.reduce((n, s) => n + s.duplicates, 0) + received - distinct,
    outOfOrder: list.reduce((n, s) => n + s.outOfOrder, 0),
    lowest: Math.min(...list.map((s) => (s.lowest < 0 ? Infinity : s.lowest))),
    highest,
    missing,
  };
}

/** How many of the sorted `values` lie in [start, end). */
function countInRange(values: readonly number[], start: number, end: number): number {
  return lowerBound(values, end) - lowerBound(values, start);
}

function lowerBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
