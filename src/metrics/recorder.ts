import { at, InternalError } from '../mqtt/checked.js';

/**
 * Latency recording for the hot path, without hdr-histogram-js in worker threads: the same bucket
 * layout as the main thread's HDR histogram (1 µs .. 1 h, 3 significant digits), so counts taken
 * here add into it exactly. Only touched buckets cross the thread boundary.
 *
 * Layout (HdrHistogram): unitMagnitude 0, subBucketCount 2048 (half 1024), 22 buckets.
 */
export const HIGHEST_TRACKABLE_US = 3_600_000_000;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK = 2 * SUB_BUCKET_HALF_COUNT - 1;
/** 32 - unitMagnitude - subBucketHalfCountMagnitude - 1, for 32-bit leading-zero counts. */
const LEADING_ZERO_COUNT_BASE = 32 - 0 - SUB_BUCKET_HALF_COUNT_MAGNITUDE - 1;
export const COUNTS_LENGTH = 23 * SUB_BUCKET_HALF_COUNT;

/** The counts-array index HdrHistogram uses for `value` (an integer in [0, 2^32)). */
export function countsIndex(value: number): number {
  const bucket = LEADING_ZERO_COUNT_BASE - Math.clz32(value | SUB_BUCKET_MASK);
  const subBucket = value >>> bucket;
  return ((bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (subBucket - SUB_BUCKET_HALF_COUNT);
}

/** The lowest value that lands in counts index `index`. */
export function valueAtIndex(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  let subBucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    subBucket -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return subBucket * 2 ** bucket;
}

/** The highest value that lands in counts index `index` (what HdrHistogram reports for it). */
export function highestValueAtIndex(index: number): number {
  const bucket = Math.max(0, (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1);
  return valueAtIndex(index) + 2 ** bucket - 1;
}

/**
 * Percentiles of a short interval, cheaply: the main thread computes these every stats tick,
 * on the same event loop as the clients in single-loop mode, so no full-histogram scans.
 */
export class IntervalLatency {
  private readonly counts = new Map<number, number>();
  total = 0;

  add(pairs: readonly number[]): void {
    for (let n = 0; n < pairs.length; n += 2) {
      const index = at(pairs, n);
      const count = at(pairs, n + 1);
      this.counts.set(index, (this.counts.get(index) ?? 0) + count);
      this.total += count;
    }
  }

  /** Values (µs) at the given percentiles, ascending percentiles expected. */
  percentiles(ps: readonly number[]): number[] {
    const buckets = [...this.counts].sort((a, b) => a[0] - b[0]);
    const out: number[] = [];
    let seen = 0;
    let next = 0;
    for (const p of ps) {
      const target = Math.max(1, Math.ceil((p / 100) * this.total));
      while (next < buckets.length && seen + at(buckets, next)[1] < target) seen += at(buckets, next++)[1];
      out.push(highestValueAtIndex(at(buckets, Math.min(next, buckets.length - 1))[0]));
    }
    return out;
  }

  reset(): void {
    this.counts.clear();
    this.total = 0;
  }
}

export class LatencyRecorder {
  private readonly counts = new Uint32Array(COUNTS_LENGTH);
  private touched: number[] = [];

  record(us: number): void {
    const value = us < 1 ? 1 : us >= HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : Math.round(us);
    const index = countsIndex(value);
    // Checked here rather than through at(): this runs per message, and a shared accessor would see every element kind.
    const count = this.counts[index];
    if (count === undefined) throw new InternalError(`latency index ${index} out of range`);
    if (count === 0) this.touched.push(index);
    this.counts[index] = count + 1;
  }

  /** Counts since the last drain as flattened [index, count] pairs, and reset. */
  drain(): number[] {
    const out: number[] = [];
    for (const index of this.touched) {
      out.push(index, at(this.counts, index));
      this.counts[index] = 0;
    }
    this.touched = [];
    return out;
  }
}

/**
 * LatencyRecorder's counts for rare events (connects, subscriptions, acknowledgements), kept in
 * a map: a thread per client holds one per step, and a full counts array each would cost far
 * more memory than the few values it ever sees. Drains to the same [index, count] pairs.
 */
export class SparseRecorder {
  private counts = new Map<number, number>();

  record(us: number): void {
    const index = countsIndex(us < 1 ? 1 : us >= HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : Math.round(us));
    this.counts.set(index, (this.counts.get(index) ?? 0) + 1);
  }

  get empty(): boolean {
    return this.counts.size === 0;
  }

  drain(): number[] {
    const out: number[] = [];
    for (const [index, count] of this.counts) out.push(index, count);
    this.counts = new Map();
    return out;
  }
}
