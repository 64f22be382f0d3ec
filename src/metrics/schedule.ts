import type { Stage } from '../group.js';

/**
 * Where client n of its group's `count` starts its schedule after the start barrier: spread, n/N
 * of the period, so N clients at one rate never publish in lockstep (the tool's own burst would be
 * measured, not the broker); together, all at once. n counts across the whole fleet's plan, so
 * shards together spread as one run does. A staged plan's publisher reads this back as n/N of a
 * message at its peak `rate` (session/publisher.ts).
 */
export function phaseDelayMs(rate: number, phase: 'spread' | 'together', n: number, count: number): number {
  if (rate <= 0 || phase === 'together') return 0;
  return (n / count) * (1000 / rate);
}

/** A stage placed on the plan's clock: where it starts, its rates at each end, and the messages due before it. */
interface Segment {
  startMs: number;
  durationMs: number;
  from: number;
  to: number;
  /** Messages due before the segment starts (the integral of the rate up to it). */
  before: number;
}

/**
 * The per-client rate of a staged plan as a function of time since the start (piecewise
 * linear), and its integral, the messages due by a time (piecewise quadratic). Message n is due
 * when the integral reaches n: `timeOf` inverts the integral exactly within each segment, so a
 * publisher's due times, the accounting's bound and the offered rate all come from one curve.
 */
export class RateSchedule {
  private readonly segments: Segment[] = [];
  /** The sum of the stage durations. */
  readonly durationMs: number;
  /** Messages due over the whole plan (not rounded). */
  readonly total: number;

  constructor(stages: readonly Stage[]) {
    let startMs = 0;
    let before = 0;
    let from = 0;
    for (const { durationMs, rate } of stages) {
      this.segments.push({ startMs, durationMs, from, to: rate, before });
      before += ((from + rate) / 2) * (durationMs / 1000);
      startMs += durationMs;
      from = rate;
    }
    this.durationMs = startMs;
    this.total = before;
  }

  /** Messages due by `ms` after the start: the integral of the rate from 0 to ms. */
  messagesBy(ms: number): number {
    if (ms <= 0) return 0;
    if (ms >= this.durationMs) return this.total;
    const s = this.segmentAt(ms);
    const tau = (ms - s.startMs) / 1000;
    const slope = s.durationMs > 0 ? (s.to - s.from) / (s.durationMs / 1000) : 0;
    return s.before + s.from * tau + (slope * tau * tau) / 2;
  }

  /** The per-client rate at `ms` after the start (0 outside the plan). */
  rateAt(ms: number): number {
    if (ms < 0 || ms >= this.durationMs) return 0;
    const s = this.segmentAt(ms);
    return s.from + ((s.to - s.from) * (ms - s.startMs)) / s.durationMs;
  }

  /**
   * When message `n` (from 0) is due, in ms after the start: the earliest time the integral
   * reaches n. Infinity from the plan's total on, as a constant rate's message rate x duration
   * falls at the end and is never sent: a plan of total T sends ceil(T) messages, even when it
   * ends on a plateau at 0. Segments at rate 0 send nothing, so a message due after one waits
   * for the next segment that rises.
   */
  timeOf(n: number): number {
    if (n <= 0) return 0;
    // The integral is a sum of floats: a whole-number total may come out a hair above itself.
    if (n >= this.total - 1e-9 * Math.max(1, this.total)) return Infinity;
    // The first segment whose end reaches n: the integral is non-decreasing.
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.segments[mid]!;
      if (s.before + ((s.from + s.to) / 2) * (s.durationMs / 1000) >= n) hi = mid;
      else lo = mid + 1;
    }
    const s = this.segments[lo]!;
    const m = n - s.before;
    if (m <= 0) return s.startMs;
    const seconds = s.durationMs / 1000;
    const slope = (s.to - s.from) / seconds;
    // from·τ + slope·τ²/2 = m, in the form that stays exact when the slope is 0 or tiny.
    const disc = Math.max(0, s.from * s.from + 2 * slope * m);
    const tau = (2 * m) / (s.from + Math.sqrt(disc));
    return s.startMs + Math.min(s.durationMs, tau * 1000);
  }

  /** The last segment starting at or before `ms` (0 <= ms < durationMs): a zero-length one (a step) never is. */
  private segmentAt(ms: number): Segment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.startMs <= ms) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo]!;
  }
}
