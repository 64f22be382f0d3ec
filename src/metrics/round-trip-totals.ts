import type { RequestBatch } from '../protocol.js';
import { addCounts, newHistogram, summarizeLatency, type Histogram, type LatencySummary } from './histogram.js';
import { PromBuckets } from './prom-buckets.js';
import { IntervalLatency } from './recorder.js';
import { zeroRequestCounts, type RequestCounts } from './round-trip.js';

/** What a summary says of request/response. */
export interface RequestFigures extends RequestCounts {
  /** Response received minus request sent, of the answered requests (warm-up left out). */
  roundTripMs: LatencySummary;
}

/** The main thread's totals over every lane's batches: counts summed, round trips merged exactly (HDR). */
export class RequestTotals {
  readonly counts = zeroRequestCounts();
  readonly roundTrip: Histogram = newHistogram();
  /** Round trips since the last stats line. */
  readonly interval = new IntervalLatency();
  /** The same round trips in Prometheus buckets, for --metrics-port. */
  readonly prom = new PromBuckets();
  /** Whether any lane reported request/response at all. */
  seen = false;

  add(batch: RequestBatch): void {
    this.seen = true;
    const c = this.counts;
    for (const key of Object.keys(c) as (keyof RequestCounts)[]) c[key] += batch[key];
    addCounts(this.roundTrip, batch.roundTrip);
    this.interval.add(batch.roundTrip);
    this.prom.add(batch.roundTrip);
  }
}

export function requestFigures(counts: RequestCounts, roundTrip: Histogram): RequestFigures {
  return { ...counts, roundTripMs: summarizeLatency(roundTrip) };
}

/**
 * Every request sent has been answered, has timed out, or was left pending by its client's end.
 * What was sent is the larger of what the batches say and what the requesters' `published`
 * statuses say (every publish of a requester is a request): a status can overtake the batch that
 * counts the last requests, and the drain must not end on that.
 */
export function requestsSettled(
  totals: RequestTotals,
  requesters: Iterable<number>,
  publishedBy: ReadonlyMap<number, number>,
): boolean {
  let published = 0;
  for (const client of requesters) published += publishedBy.get(client) ?? 0;
  const c = totals.counts;
  return c.answered + c.timedOut + c.pending >= Math.max(c.sent, published);
}
