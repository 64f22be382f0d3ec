import { generatorVerdict } from '../report/generator.js';
import { stepFigures } from '../metrics/step-histograms.js';
import type { LatencyFigures, Summary } from '../report/events.js';
import { ExitCode, stopExitCode, stopReason } from '../report/exit-codes.js';
import { fleetMode, publishStreams, type GroupProfile } from '../group.js';
import type { Delivery } from '../metrics/delivery.js';
import { newHistogram, summarizeLatency, type Histogram } from '../metrics/histogram.js';
import { maskUrl } from '../mqtt/broker-url.js';
import type { Counters, LoopDelay } from '../protocol.js';
import { reasonKeyText } from '../mqtt/refusal.js';
import { shortfallOf } from '../report/shortfall.js';
import { at } from '../mqtt/checked.js';
import type { RequestCounts } from '../metrics/round-trip.js';
import { requestFigures } from '../metrics/round-trip-totals.js';
import {
  judgeFinal,
  STEP_FIGURES,
  type StepFigure,
  type ThresholdFigures,
  type ThresholdSpec,
} from '../report/thresholds.js';

/** Everything a summary is made of: from one run's coordinator, or merged from shard results. */
export interface RunFigures {
  runId: string;
  startedAt: string;
  groups: readonly GroupProfile[];
  scenario: string | null;
  clients: number;
  connected: number;
  gaveUp: number;
  failed: number;
  reconnects: number;
  /** --churn, --client-stages and wills (absent in shard results: merged runs show none). */
  comings?: { churned: number; left: number; wills: Record<string, { expected: number; received: number }> };
  /** Messages the publish plan has these clients send, and how many clients have a plan. */
  planned: number;
  publishers: number;
  totals: Counters;
  delivery: Delivery;
  reasonCodes: ReadonlyMap<string, number>;
  connectMs: number;
  goAt: number;
  lastPublishAt: number;
  lastReceiveAt: number;
  /** HDR histograms (µs), one per latency group. */
  latency: readonly Histogram[];
  latencyGroups: readonly string[];
  /** HDR histograms (µs), one per step of the clients' lives (metrics/steps.ts STEPS order). */
  steps: readonly Histogram[];
  /** Request/response counts and round trips (HDR, µs); absent or null when no group sends or answers requests. */
  requests?: { counts: RequestCounts; roundTrip: Histogram } | null;
  /** HDR histograms (µs) of paced messages: receive minus scheduled send time, actual minus scheduled send time. */
  scheduledLatency: Histogram;
  sendLag: Histogram;
  loopDelays: readonly LoopDelay[];
  workMs: number;
  /** --warmup: messages sent this long after the start barrier are out of every figure. */
  warmupMs: number;
  peakRssMb: number;
  cpuMs: { user: number; system: number };
  interrupted: string | null;
  shard: { index: number; count: number } | null;
  /** Merged: how many shard results went in. */
  shards?: number;
  /** CPU used while publishing as a share of the process's cores (merged: the busiest shard's); null when not measured. */
  cpuShare: number | null;
  /** Worker threads that ran this process's clients (or the shards' together). */
  threads: number;
  /** Worker threads that died or were terminated: their clients' accounting is incomplete, so the run exits 1 even when interrupted. */
  lostThreads?: number;
  /** --threshold and the scenario's thresholds (none for a merged summary). */
  thresholds?: readonly ThresholdSpec[];
  /** The thresholds (by index) that stopped the run with abortOnFail, when, and at what figure. */
  thresholdsCrossed?: ReadonlyMap<number, { t: number; value: number }>;
}

export function buildSummary(f: RunFigures): Summary {
  const lastActivity = Math.max(f.lastPublishAt, f.lastReceiveAt);
  const durationMs = f.goAt > 0 && lastActivity > 0 ? Math.max(1, lastActivity - f.goAt) : 0;
  // Rates leave the warm-up out: what was sent in it, over the time after it.
  const steadyMs = durationMs - f.warmupMs;
  const perSec = (n: number): number => (steadyMs > 0 ? Math.round((n * 1000) / steadyMs) : 0);
  const qos = Math.max(0, ...f.groups.flatMap((g) => publishStreams(g).map((s) => s.qos))) as 0 | 1 | 2;
  const t = f.totals;
  const loopDelay = worstLoopDelay(f.loopDelays);
  const paced = f.groups.some((g) => publishStreams(g).some((s) => s.rate > 0));
  // Stopped on purpose by a threshold: publishing less than planned is what stopping means, not a shortfall.
  const stoppedEarly = (f.thresholdsCrossed?.size ?? 0) > 0;
  const shortfall = shortfallOf({
    gaveUp: f.gaveUp,
    failed: f.failed,
    qos,
    lost: f.delivery.lost,
    planned: f.planned,
    publishers: f.publishers,
    published: t.published,
    acked: t.acked,
  }).filter((r) => !stoppedEarly || (r !== 'unpublished' && r !== 'unacknowledged'));
  const summary: Summary = {
    type: 'summary',
    runId: f.runId,
    startedAt: f.startedAt,
    mode: fleetMode(f.groups),
    threads: f.threads,
    brokers: [...new Set(f.groups.flatMap((g) => g.brokers.map((b) => maskUrl(b.url))))],
    qos,
    phase: fleetPhase(f.groups),
    ...(f.scenario === null
      ? {}
      : {
          scenario: f.scenario,
          groups: f.groups.map((g) => ({ name: g.name, clients: g.count, mode: g.mode, threads: g.threads })),
        }),
    ...(f.shard ? { shard: f.shard } : {}),
    ...(f.shards !== undefined ? { shards: f.shards } : {}),
    clients: f.clients,
    connected: f.connected,
    gaveUp: f.gaveUp,
    failed: f.failed,
    reconnects: f.reconnects,
    churned: f.comings?.churned ?? 0,
    left: f.comings?.left ?? 0,
    wills: f.comings?.wills ?? {},
    planned: f.planned,
    published: t.published,
    acked: t.acked,
    sendFailed: t.sendFailed,
    received: t.received,
    expected: f.delivery.expected,
    lost: f.delivery.lost,
    inFlight: f.delivery.inFlight,
    unsubscribed: f.delivery.unsubscribed,
    duplicates: f.delivery.duplicates,
    outOfOrder: f.delivery.outOfOrder,
    foreign: t.foreign,
    stale: t.stale,
    retained: t.retained,
    reasonCodes: Object.fromEntries([...f.reasonCodes].map(([key, count]) => [reasonKeyText(key), count])),
    connectMs: f.connectMs,
    steps: stepFigures(f.steps),
    durationMs: Math.round(durationMs),
    publishedPerSec: perSec(t.published - t.warmupPublished),
    receivedPerSec: perSec(t.received - t.warmupReceived),
    warmup: f.warmupMs > 0 ? { ms: f.warmupMs, published: t.warmupPublished, received: t.warmupReceived } : null,
    latencyMs: latencyFigures(f.latency, f.latencyGroups),
    // Unpaced messages (--rate 0) have no schedule: only the actual latency applies to them.
    scheduledLatencyMs: paced ? summarizeLatency(f.scheduledLatency) : null,
    sendLagMs: paced ? summarizeLatency(f.sendLag) : null,
    lateSends: t.lateSends,
    loopDelayMs: loopDelay,
    generatorLimited: generatorVerdict({
      lateSends: t.lateSends,
      pacedSent: f.sendLag.totalCount,
      loopDelayP99: loopDelay?.p99 ?? null,
      cpuShare: f.cpuShare,
    }),
    requests:
      f.requests && f.groups.some((g) => g.request || g.respond)
        ? requestFigures(f.requests.counts, f.requests.roundTrip)
        : null,
    workMs: f.workMs,
    peakRssMb: f.peakRssMb,
    cpuMs: f.cpuMs,
    interrupted: f.interrupted !== null,
    shortfall,
    thresholds: [],
    exitCode: ExitCode.Ok,
  };
  summary.thresholds = judgeFinal(f.thresholds ?? [], thresholdFigures(summary), f.thresholdsCrossed);
  // A lost thread cost accounting that no signal explains: it wins over the stop codes. A
  // shortfall (lost messages, clients that gave up) is never hidden behind a crossed threshold.
  summary.exitCode =
    (f.lostThreads ?? 0) > 0
      ? ExitCode.Shortfall
      : f.interrupted
        ? stopExitCode(stopReason(f.interrupted))
        : shortfall.length > 0
          ? ExitCode.Shortfall
          : summary.thresholds.some((o) => !o.pass)
            ? ExitCode.ThresholdCrossed
            : ExitCode.Ok;
  return summary;
}

/** What thresholds read at the end: the summary's own figures. */
export function thresholdFigures(s: Summary): ThresholdFigures {
  return {
    latency: s.latencyMs,
    scheduledLatency: s.scheduledLatencyMs,
    sendLag: s.sendLagMs,
    roundTrip: s.requests?.roundTripMs ?? null,
    timedOut: s.requests?.timedOut ?? null,
    steps: Object.fromEntries(
      Object.entries(STEP_FIGURES).map(([name, step]) => [name, s.steps[`${step}Ms`]]),
    ) as Record<StepFigure, Summary['latencyMs']>,
    lost: s.lost,
    inFlight: s.inFlight,
    duplicates: s.duplicates,
    received: s.received,
    published: s.published,
    gaveUp: s.gaveUp,
    failed: s.failed,
    reconnects: s.reconnects,
    lateSends: s.lateSends,
    // Nothing ran (stopped before publishing): no rate was measured.
    receivedPerSec: s.durationMs === 0 ? null : s.receivedPerSec,
    publishedPerSec: s.durationMs === 0 ? null : s.publishedPerSec,
  };
}

/** Overall latency from every group's histogram merged; with --work, each group's too. */
function latencyFigures(histograms: readonly Histogram[], groups: readonly string[]): LatencyFigures {
  const all = newHistogram();
  for (const h of histograms) all.add(h);
  const figures: LatencyFigures = summarizeLatency(all);
  all.destroy();
  groups.forEach((group, n) => {
    if (group === 'others' || group === 'working') figures[group] = summarizeLatency(at(histograms, n));
  });
  return figures;
}

/** The paced groups' common phase, `mixed`, or null when no group is paced (nothing has a schedule). */
function fleetPhase(groups: readonly GroupProfile[]): Summary['phase'] {
  const phases = new Set(groups.flatMap((g) => publishStreams(g).flatMap((s) => (s.rate > 0 ? [s.phase] : []))));
  return phases.size === 0 ? null : phases.size === 1 ? [...phases][0]! : 'mixed';
}

function worstLoopDelay(delays: readonly LoopDelay[]): Summary['loopDelayMs'] {
  if (delays.length === 0) return null;
  return {
    p50: Math.max(...delays.map((d) => d.p50)),
    p99: Math.max(...delays.map((d) => d.p99)),
    max: Math.max(...delays.map((d) => d.max)),
  };
}
