import { at, InternalError } from '../mqtt/checked.js';

/**
 * When a publisher sent each of its messages, in bounded space: a piecewise-linear function from
 * sequence number to send time (epoch ms), kept by swinging-door compression as messages go out.
 * Every message's send time lies within `errorMs` of the line through the kept points, so a
 * publisher on its schedule costs two points however long it runs; a pause, a catch-up burst or
 * a late timer beyond the tolerance costs one more. When `MAX_POINTS` are kept, they are thinned
 * with twice the tolerance (the error bound grows accordingly): memory stays bounded.
 *
 * On the hot path `add` does a few float operations and, rarely, appends a point: no allocation
 * per message.
 */
export const TIMELINE_TOLERANCE_MS = 2;
const MAX_POINTS = 256;

export class Timeline {
  /** Kept points, flattened [seq, t]; the current segment starts at the last of them. */
  private points: number[] = [];
  private tolerance = TIMELINE_TOLERANCE_MS;
  /** Bound on how far an interpolated send time may be from the real one. */
  private error = TIMELINE_TOLERANCE_MS;
  /** Slopes (ms per message) the current segment may still take to cover every message since its start. */
  private low = -Infinity;
  private high = Infinity;
  private lastSeq = -1;
  private lastT = 0;

  /** Message `seq` (one more than the previous call's) was sent at `t`. */
  add(seq: number, t: number): void {
    const points = this.points;
    const n = points.length;
    if (n === 0) {
      // Exact size: a pushed-to empty array takes room for 17 numbers, and an idle publisher keeps it.
      this.points = [seq, t];
      this.lastSeq = seq;
      this.lastT = t;
      return;
    }
    // Checked here rather than through at(): this runs per message, and a shared accessor would see every element kind.
    const anchorSeq = points[n - 2];
    const anchorT = points[n - 1];
    if (anchorSeq === undefined || anchorT === undefined)
      throw new InternalError(`timeline of ${n} values has no last point`);
    const dx = seq - anchorSeq;
    const low = Math.max(this.low, (t - this.tolerance - anchorT) / dx);
    const high = Math.min(this.high, (t + this.tolerance - anchorT) / dx);
    if (low <= high) {
      this.low = low;
      this.high = high;
    } else {
      // This message does not fit the segment: end it at the previous message, on a slope that
      // covers every message since its start, and start the next segment there.
      const end = this.segmentEnd(anchorSeq, anchorT);
      points.push(this.lastSeq, end);
      const from = seq - this.lastSeq;
      this.low = (t - this.tolerance - end) / from;
      this.high = (t + this.tolerance - end) / from;
      if (points.length >= 2 * MAX_POINTS) this.thin();
    }
    this.lastSeq = seq;
    this.lastT = t;
  }

  /** The kept points, flattened [seq, t], ending at the last message sent; and the error bound. */
  final(): { points: number[]; errorMs: number } {
    const points = [...this.points];
    const n = points.length;
    if (n > 0 && this.lastSeq > at(points, n - 2))
      points.push(this.lastSeq, this.segmentEnd(at(points, n - 2), at(points, n - 1)));
    return { points, errorMs: this.error };
  }

  /** The current segment's time at `lastSeq`: the real one, moved into the slopes allowed (never decreasing). */
  private segmentEnd(anchorSeq: number, anchorT: number): number {
    const dx = this.lastSeq - anchorSeq;
    const slope = Math.min(this.high, Math.max(this.low, 0, (this.lastT - anchorT) / dx));
    return anchorT + slope * dx;
  }

  /**
   * Too many points (a publisher that keeps changing pace): keep fewer, with twice the tolerance.
   * The points kept are a subset of the old ones, each within the new tolerance of the new line,
   * so every message is within the old error plus the new tolerance. The current segment's start
   * is kept exactly, so its slopes stay valid.
   */
  private thin(): void {
    const old = this.points;
    const n = old.length;
    const coarser = new Timeline();
    coarser.tolerance = this.tolerance * 2;
    for (let i = 0; i < n - 2; i += 2) coarser.add(at(old, i), at(old, i + 1));
    const points = coarser.final().points;
    points.push(at(old, n - 2), at(old, n - 1));
    this.points = points;
    this.error += coarser.tolerance;
    this.tolerance = coarser.tolerance;
  }
}

/**
 * The first sequence number a timeline's publisher sent at or after `t` (epoch ms), by the line
 * through its points; one past the last message if none was. The messages sent in [a, b) are
 * then the numbers in [sentFrom(points, a), sentFrom(points, b)).
 */
export function sentFrom(points: readonly number[], t: number): number {
  const n = points.length / 2;
  if (n === 0) return 0;
  if (t <= at(points, 1)) return at(points, 0);
  if (t > at(points, 2 * n - 1)) return at(points, 2 * n - 2) + 1;
  // The first point at or after t; the one before it is earlier than t.
  let lo = 1;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(points, 2 * mid + 1) < t) lo = mid + 1;
    else hi = mid;
  }
  const s0 = at(points, 2 * lo - 2);
  const t0 = at(points, 2 * lo - 1);
  const s1 = at(points, 2 * lo);
  const t1 = at(points, 2 * lo + 1);
  let s = Math.min(s1, Math.max(s0 + 1, Math.ceil(s0 + ((t - t0) * (s1 - s0)) / (t1 - t0))));
  // Rounding: step to the exact first number whose time is not before t.
  const timeOf = (seq: number): number => t0 + ((seq - s0) * (t1 - t0)) / (s1 - s0);
  while (s > s0 + 1 && timeOf(s - 1) >= t) s--;
  while (s < s1 && timeOf(s) < t) s++;
  return s;
}
