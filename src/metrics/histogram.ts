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
    mean: round3(histogram.mean / 1000),
  };
}
