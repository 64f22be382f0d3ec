import type { PublisherFinal, StreamFinal, SubscriberFinal } from '../protocol.js';
import { at } from '../mqtt/checked.js';
import { sentFrom } from './timeline.js';
import { unionWindows } from './windows.js';

export interface Delivery {
  /** Messages the subscribers should have received, by topic matching. */
  expected: number;
  /** Distinct messages received. */
  unique: number;
  /** Expected, never received, sent while its subscriber was subscribed, and acknowledged (or written, at QoS 0) to the broker. */
  lost: number;
  /** Expected, never received, sent while its subscriber was subscribed, and still unacknowledged when the run ended: fate unknown. */
  inFlight: number;
  /** Expected, never received, and sent while its subscriber was not subscribed (not yet, no longer, or between clean sessions): no broker could have delivered it. */
  unsubscribed: number;
  duplicates: number;
  outOfOrder: number;
}

/**
 * Exact end-of-run accounting over every (publisher -> subscriber) stream the plan expects; a
 * stream the plan does not expect is not accounted for (the receivers already count such
 * traffic as foreign). A missing sequence number is in flight if the broker never acknowledged
 * it (its fate is unknown, wherever it was sent); otherwise it is `unsubscribed` if it was sent
 * while its subscriber was not subscribed (by the publisher's send timeline and the subscriber's
 * windows), and lost if it was. Without a start barrier a subscriber may have joined late, so
 * its stream counts from the first number it saw.
 * `subscribers` null: windows unknown (results of an older mqtt-fleet), every subscriber counts
 * as subscribed throughout.
 */
export function accountDelivery(
  expected: ReadonlyMap<string, readonly number[]>,
  publishers: ReadonlyMap<number, PublisherFinal>,
  streams: readonly StreamFinal[],
  barrier: boolean,
  subscribers: readonly SubscriberFinal[] | null = null,
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
  for (const [id, list] of parts) seen.set(id, list.length === 1 ? at(list, 0) : mergeFinals(list));
  const windows = windowsByKey(subscribers);
  const transit = transitByKey(subscribers);

  const unackedSorted = new Map<number, number[]>();
  for (const [client, p] of publishers)
    unackedSorted.set(
      client,
      [...p.unacked].sort((a, b) => a - b),
    );

  const out: Delivery = { expected: 0, unique: 0, lost: 0, inFlight: 0, unsubscribed: 0, duplicates: 0, outOfOrder: 0 };
  for (const [key, list] of expected) {
    const keyWindows = windows?.get(key) ?? null;
    for (const publisher of list) {
      const stream = seen.get(`${publisher}>${key}`);
      const final = publishers.get(publisher);
      const sent = final?.published ?? (stream ? stream.highest + 1 : 0);
      const from = barrier || !stream ? 0 : stream.lowest;
      const unacked = unackedSorted.get(publisher) ?? [];
      out.expected += Math.max(0, sent - from);
      if (stream) {
        // Numbers past what the publisher sent cannot be its messages: not counted as received.
        out.unique += stream.received - seenIn(stream, sent, stream.highest + 1);
        out.duplicates += stream.duplicates;
        out.outOfOrder += stream.outOfOrder;
      }
      // Older results carry no timeline: their messages count as sent while subscribed.
      const covered = final?.timeline && keyWindows ? coveredSeqs(final, keyWindows, transit.get(key) ?? 0) : null;
      const gaps = stream ? [...stream.missing] : [];
      const tail = stream ? stream.highest + 1 : 0;
      if (tail < sent) gaps.push(tail, sent);
      for (let n = 0; n < gaps.length; n += 2) {
        const start = Math.max(at(gaps, n), from);
        const end = Math.min(at(gaps, n + 1), sent);
        if (end <= start) continue;
        // Never acknowledged: its fate is unknown wherever it was sent, so in flight before anything else.
        const pending = countInRange(unacked, start, end);
        out.inFlight += pending;
        if (covered === null) {
          out.lost += end - start - pending;
          continue;
        }
        let lostInWindows = 0;
        for (let c = 0; c < covered.length; c += 2) {
          const a = Math.max(start, at(covered, c));
          const b = Math.min(end, at(covered, c + 1));
          if (b > a) lostInWindows += b - a - countInRange(unacked, a, b);
        }
        out.lost += lostInWindows;
        out.unsubscribed += end - start - pending - lostInWindows;
      }
    }
  }
  return out;
}

/**
 * The publisher's sequence numbers sent inside the windows, as flattened [start, end) ranges.
 * A missing message whose send time cannot be placed inside a window for certain gets the
 * benefit of the doubt (not subscribed): each window is narrowed by the timeline's error at both
 * edges, and at its end also by `transitMs`, the subscriber's highest latency, since a message
 * sent that shortly before the connection closed may have been on its way.
 */
function coveredSeqs(p: PublisherFinal, windows: readonly number[], transitMs: number): number[] {
  const out: number[] = [];
  const margin = p.timelineErrorMs;
  for (let n = 0; n < windows.length; n += 2) {
    const a = sentFrom(p.timeline, at(windows, n) + margin);
    const b = sentFrom(p.timeline, at(windows, n + 1) - margin - transitMs);
    if (b > a) out.push(a, b);
  }
  return out;
}

/** Each receiver key's highest transit time over its members. */
function transitByKey(subscribers: readonly SubscriberFinal[] | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of subscribers ?? []) out.set(s.key, Math.max(out.get(s.key) ?? 0, s.transitMs ?? 0));
  return out;
}

/** Each receiver key's subscribed windows, its members' together; null when unknown. */
function windowsByKey(subscribers: readonly SubscriberFinal[] | null): Map<string, number[]> | null {
  if (subscribers === null) return null;
  const lists = new Map<string, number[][]>();
  for (const s of subscribers) {
    const list = lists.get(s.key);
    if (list) list.push(s.windows);
    else lists.set(s.key, [s.windows]);
  }
  return new Map([...lists].map(([key, list]) => [key, unionWindows(list)]));
}

/** How many numbers in [start, end) a stream saw. */
function seenIn(s: StreamFinal, start: number, end: number): number {
  if (end <= start) return 0;
  let n = end - start;
  for (let i = 0; i < s.missing.length; i += 2)
    n -= Math.max(0, Math.min(end, at(s.missing, i + 1)) - Math.max(start, at(s.missing, i)));
  return n;
}

/** Sequence numbers a stream final saw, as sorted [start, end) ranges. */
function seenRanges(s: StreamFinal): [number, number][] {
  const out: [number, number][] = [];
  let next = 0;
  for (let n = 0; n < s.missing.length; n += 2) {
    const gapStart = at(s.missing, n);
    if (gapStart > next) out.push([next, gapStart]);
    next = at(s.missing, n + 1);
  }
  if (s.highest + 1 > next) out.push([next, s.highest + 1]);
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
  let next = 0;
  for (const [a, b] of union) {
    if (a > next) missing.push(next, a);
    next = b;
  }
  const received = list.reduce((n, s) => n + s.received, 0);
  const { subscriber, key, publisher } = at(list, 0);
  return {
    subscriber,
    key,
    publisher,
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
    if (at(values, mid) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
