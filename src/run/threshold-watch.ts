/**
 * --abort-on-fail: the thresholds judged at every stats interval on the figures so far
 * (cumulative since the start barrier, the warm-up apart); the first one crossed for good stops
 * the run as an interrupt would, with every figure kept.
 */
import type { Aggregate } from '../metrics/aggregate.js';
import { newHistogram, summarizeLatency, type Histogram, type LatencySummary } from '../metrics/histogram.js';
import { STEP_INDEX } from '../metrics/steps.js';
import type { Logger } from '../report/log.js';
import {
  crossedNow,
  STEP_FIGURES,
  type StepFigure,
  type ThresholdFigures,
  type ThresholdSpec,
} from '../report/thresholds.js';
import { at } from '../mqtt/checked.js';

/** Rates need this much time past the warm-up before they say anything. */
const RATE_SETTLE_MS = 1000;

export class ThresholdWatch {
  /** Thresholds (by index among all of the run's) that stopped it: when, and at what figure. */
  readonly crossed = new Map<number, { t: number; value: number }>();
  private readonly watched: [number, ThresholdSpec][];

  constructor(
    thresholds: readonly ThresholdSpec[],
    private readonly warmupMs: number,
    private readonly stop: (reason: string) => void,
    private readonly log: Logger,
  ) {
    this.watched = thresholds.flatMap((spec, n) => (spec.abortOnFail ? [[n, spec] as [number, ThresholdSpec]] : []));
  }

  get active(): boolean {
    return this.watched.length > 0 && this.crossed.size === 0;
  }

  /** At a stats line: `t` ms since the run started, `goAt` the start barrier (0: not open yet), `now` epoch ms. */
  check(aggregate: Aggregate, t: number, goAt: number, now: number): void {
    if (!this.active || goAt === 0 || now < goAt) return;
    const figures = liveFigures(aggregate, now - goAt - this.warmupMs);
    for (const [n, spec] of this.watched) {
      const value = crossedNow(spec, figures);
      if (value === null) continue;
      this.crossed.set(n, { t, value });
      this.log.warn(
        { threshold: spec.expr, value },
        `threshold ${spec.expr} crossed (${Math.round(value * 1000) / 1000} so far, ${t} ms in): stopping the run, figures kept`,
      );
      this.stop(`threshold ${spec.expr} crossed`);
      return;
    }
  }
}

/** The figures so far. Loss is known only once every stream is accounted for at the end: not judged here. */
export function liveFigures(agg: Aggregate, steadyMs: number): ThresholdFigures {
  const t = agg.totals;
  const perSec = (n: number): number | null => (steadyMs < RATE_SETTLE_MS ? null : Math.round((n * 1000) / steadyMs));
  const paced = agg.sendLag.totalCount > 0;
  return {
    latency: merged(agg.latency),
    scheduledLatency: paced ? summarizeLatency(agg.scheduledLatency) : null,
    sendLag: paced ? summarizeLatency(agg.sendLag) : null,
    roundTrip: agg.requests.seen ? summarizeLatency(agg.requests.roundTrip) : null,
    timedOut: agg.requests.seen ? agg.requests.counts.timedOut : null,
    steps: Object.fromEntries(
      Object.entries(STEP_FIGURES).map(([name, step]) => [name, summarizeLatency(at(agg.steps, STEP_INDEX[step]))]),
    ) as Record<StepFigure, LatencySummary>,
    lost: null,
    inFlight: null,
    duplicates: t.duplicates,
    received: t.received,
    published: t.published,
    gaveUp: agg.inState('gave-up'),
    failed: agg.inState('failed'),
    reconnects: agg.reconnects,
    lateSends: t.lateSends,
    receivedPerSec: perSec(t.received - t.warmupReceived),
    publishedPerSec: perSec(t.published - t.warmupPublished),
  };
}

function merged(histograms: readonly Histogram[]): LatencySummary {
  const all = newHistogram();
  for (const h of histograms) all.add(h);
  const summary = summarizeLatency(all);
  all.destroy();
  return summary;
}
