import type { RequestBatch } from '../protocol.js';
import { LatencyRecorder } from './recorder.js';

// What worker threads record; the main thread's totals are in round-trip-totals.ts, apart, as they
// need hdr-histogram-js, which only the main thread loads (README, "Lean threads").

/** The counts of a RequestBatch, without the round-trip pairs. */
export type RequestCounts = Omit<RequestBatch, 'roundTrip'>;

export function zeroRequestCounts(): RequestCounts {
  return {
    sent: 0,
    answered: 0,
    timedOut: 0,
    late: 0,
    pending: 0,
    duplicates: 0,
    stray: 0,
    requestsIn: 0,
    responded: 0,
    dropped: 0,
    unsent: 0,
  };
}

/**
 * One lane's request/response counts and round-trip times, on the hot path: field increments and
 * one histogram record per response, drained into the lane's batch. The counts array is made on
 * the first round trip only: lanes without requests (most) carry none of its memory.
 */
export class RequestRecorder {
  counts = zeroRequestCounts();
  private roundTrip: LatencyRecorder | null = null;
  private recorded = false;

  recordRoundTrip(us: number): void {
    (this.roundTrip ??= new LatencyRecorder()).record(us);
    this.recorded = true;
  }

  /** Since the last call; null when nothing happened. */
  take(): RequestBatch | null {
    const c = this.counts;
    let changed = this.recorded;
    for (const key in c) if (c[key as keyof RequestCounts] !== 0) changed = true;
    if (!changed) return null;
    this.counts = zeroRequestCounts();
    this.recorded = false;
    return { ...c, roundTrip: this.roundTrip?.drain() ?? [] };
  }
}
