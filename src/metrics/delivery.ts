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
  expected: ReadonlyMap<number, readonly number[]>,
  publishers: ReadonlyMap<number, PublisherFinal>,
  streams: readonly StreamFinal[],
  barrier: boolean,
): Delivery {
  const seen = new Map<string, StreamFinal>();
  for (const s of streams) seen.set(`${s.publisher}>${s.subscriber}`, s);
  const pairs = new Set<string>();
  for (const [subscriber, list] of expected) for (const publisher of list) pairs.add(`${publisher}>${subscriber}`);
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
