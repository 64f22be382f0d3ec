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

export class LatencyRecorder {
  private readonly counts = new Uint32Array(COUNTS_LENGTH);
  private touched: number[] = [];

  record(us: number): void {
    const value = us < 1 ? 1 : us >= HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : Math.round(us);
    const index = countsIndex(value);
    if (this.counts[index]!++ === 0) this.touched.push(index);
  }

  /** Counts since the last drain as flattened [index, count] pairs, and reset. */
  drain(): number[] {
    const out: number[] = [];
    for (const index of this.touched) {
      out.push(index, this.counts[index]!);
      this.counts[index] = 0;
    }
    this.touched = [];
    return out;
  }
}
