import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

import { at } from '../mqtt/checked.js';
import { HIGHEST_TRACKABLE_US as HIGHEST_US, valueAtIndex } from './recorder.js';

/** Latencies are recorded in microseconds, 1 µs to 1 h, three significant digits (HDR). */

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export function recordMicros(histogram: Histogram, us: number): void {
  // Clock steps can make a latency negative; 1 µs is the floor, not an error.
  histogram.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : Math.round(us));
}

/** Compact, cloneable form for crossing threads and files; merges exactly on decode. */
export function encodeHistogram(histogram: Histogram): string {
  return histogram.totalCount === 0 ? '' : hdr.encodeIntoCompressedBase64(histogram);
}

export function addEncoded(into: Histogram, encoded: string): void {
  if (encoded === '') return;
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  into.add(decoded);
  decoded.destroy();
}

/** Add a LatencyRecorder's drained [index, count] pairs: same layout, so exact. */
export function addCounts(into: Histogram, pairs: readonly number[]): void {
  for (let n = 0; n < pairs.length; n += 2) into.recordValueWithCount(valueAtIndex(at(pairs, n)), at(pairs, n + 1));
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** What meanOf reads of hdr-histogram-js's JavaScript histogram (useWebAssembly: false). */
interface Buckets {
  readonly countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
  medianEquivalentValue(value: number): number;
}

/**
 * hdr-histogram-js's `mean`, the same sum in the same order, read straight off the counts. Its
 * getter walks a RecordedValuesIterator, which builds an iteration record per filled bucket and
 * converts two values per bucket up to the highest: about 3 ms per histogram, ten of them at the
 * end of every run, and more before V8 has optimized it. Here: one read per bucket, stopping at
 * the last count.
 */
export function meanOf(histogram: Histogram): number {
  const total = histogram.totalCount;
  if (total === 0) return 0;
  const h = histogram as unknown as Buckets;
  let sum = 0;
  let seen = 0;
  for (let i = 0; i < h.countsArrayLength && seen < total; i++) {
    const count = h.getCountAtIndex(i);
    if (count === 0) continue;
    seen += count;
    sum += h.medianEquivalentValue(h.highestEquivalentValue(h.valueFromIndex(i))) * count;
  }
  return sum / total;
}

/** Percentiles in milliseconds, rounded to the microsecond. */
export function summarizeLatency(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  const at = (p: number): number => round3(histogram.getValueAtPercentile(p) / 1000);
  return {
    count: histogram.totalCount,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    // The bucket's highest equivalent value, as percentiles are: identical before and after a merge.
    max: at(100),
    mean: round3(meanOf(histogram) / 1000),
  };
}
