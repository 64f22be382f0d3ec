import type { Failure, Measurement, Workload } from './workloads.js';
import { at } from '../../src/mqtt/checked.js';

/**
 * Medians of one variant over its repetitions, and ratios against the workload's reference and
 * its single loop. A figure that does not apply (no offered rate, no thread, every repetition
 * failed) is null.
 */
export interface VariantResult {
  type: 'result';
  workload: string;
  variant: string;
  /** Repetitions measured, and those that failed (see the `failure` lines). */
  reps: number;
  failures: number;
  clients: number;
  threads: number | null;
  receivedPerSec: number | null;
  /** What the publishers were asked for, and receivedPerSec over it ("kept pace" at >= 0.99). */
  offeredPerSec: number | null;
  keptPace: number | null;
  planned: number | null;
  published: number | null;
  /** receivedPerSec over the reference variant's (median over median). */
  throughputRatio: number | null;
  /** receivedPerSec over the single loop's. */
  throughputVsLoop: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  latencyP999Ms: number | null;
  /** p99 and p99.9 over the single loop's. */
  p99VsLoop: number | null;
  p999VsLoop: number | null;
  othersP99Ms: number | null;
  /** othersP99Ms over the reference variant's. */
  othersP99Ratio: number | null;
  /** With --work: othersP99Ms over the p99 of the same mode without work (its calm p99). */
  othersP99VsCalm: number | null;
  /** othersP99Ms over the single loop's p99 (without work, in workloads with work). */
  othersP99VsLoop: number | null;
  connectMs: number | null;
  /** connectMs over the reference variant's (W5-connect: the C poll loop's). */
  connectRatio: number | null;
  /** The most connections a listen backlog turned away in one repetition (TcpExt ListenOverflows, ListenDrops). */
  listenOverflows: number | null;
  listenDrops: number | null;
  /** The adaptive connect window's largest (median over repetitions). */
  connectWindowPeak: number | null;
  /** CPU time of the whole measured process (median). */
  clientCpuMs: number | null;
  durationMs: number | null;
  /** connectMs + durationMs: from launch to the end of publishing (and receiving). */
  toEndOfPublishingMs: number | null;
  /** The whole process, spawn to exit. */
  wallMs: number | null;
  peakRssMb: number | null;
  rssPerClientKb: number | null;
  /** With a thread per client: peak RSS over threads, and the difference to the `rssFrom` variant over the threads added. */
  rssPerThreadMb: number | null;
  rssPerAddedThreadMb: number | null;
  lost: number | null;
  inFlight: number | null;
  /** CPU time per message received, whole process (start-up included), and the broker's. */
  clientCpuUsPerMsg: number | null;
  brokerCpuUsPerMsg: number | null;
  /** Client and broker CPU time over the process's wall time: how many of the cores they kept busy. */
  coresBusy: number | null;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? at(sorted, mid) : (at(sorted, mid - 1) + at(sorted, mid)) / 2;
}

/** Rounded, or null for what could not be measured (NaN, infinite). */
const round = (n: number, digits = 2): number | null =>
  Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null;

/** The largest of figures that could be read; null when none could. */
const most = (values: (number | null)[]): number | null => {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return known.length ? Math.max(...known) : null;
};

export function summarize(
  workload: Workload,
  byVariant: Map<string, Measurement[]>,
  failures: Failure[],
): VariantResult[] {
  const runsOf = (name: string | undefined): Measurement[] => (name === undefined ? [] : (byVariant.get(name) ?? []));
  const med = (name: string | undefined, pick: (m: Measurement) => number): number => median(runsOf(name).map(pick));
  const ref = workload.reference;
  const loop = workload.loop;
  return workload.variants.map((variant) => {
    const name = variant.name;
    const runs = runsOf(name);
    const rss = med(name, (m) => m.peakRssMb);
    const clients = runs[0]?.clients ?? NaN;
    const threads = med(name, (m) => m.threads);
    const received = med(name, (m) => m.receivedPerSec);
    const othersP99 = med(name, (m) => m.othersP99Ms);
    const from = variant.rssFrom;
    return {
      type: 'result',
      workload: workload.id,
      variant: name,
      reps: runs.length,
      failures: failures.filter((f) => f.variant === name).length,
      clients,
      threads: round(threads, 0),
      receivedPerSec: round(received, 0),
      offeredPerSec: workload.offeredPerSec ?? null,
      keptPace: workload.offeredPerSec ? round(received / workload.offeredPerSec, 3) : null,
      planned: round(
        med(name, (m) => m.planned),
        0,
      ),
      published: round(
        med(name, (m) => m.published),
        0,
      ),
      throughputRatio: round(received / med(ref, (m) => m.receivedPerSec)),
      throughputVsLoop: round(received / med(loop, (m) => m.receivedPerSec)),
      latencyP50Ms: round(
        med(name, (m) => m.latencyP50Ms),
        3,
      ),
      latencyP99Ms: round(
        med(name, (m) => m.latencyP99Ms),
        3,
      ),
      latencyP999Ms: round(
        med(name, (m) => m.latencyP999Ms),
        3,
      ),
      p99VsLoop: round(med(name, (m) => m.latencyP99Ms) / med(loop, (m) => m.latencyP99Ms)),
      p999VsLoop: round(med(name, (m) => m.latencyP999Ms) / med(loop, (m) => m.latencyP999Ms)),
      othersP99Ms: round(othersP99, 3),
      othersP99Ratio: round(othersP99 / med(ref, (m) => m.othersP99Ms)),
      othersP99VsCalm: variant.calm ? round(othersP99 / med(variant.calm, (m) => m.latencyP99Ms)) : null,
      othersP99VsLoop: round(othersP99 / med(loop, (m) => m.latencyP99Ms)),
      connectMs: round(
        med(name, (m) => m.connectMs),
        0,
      ),
      connectRatio: round(med(name, (m) => m.connectMs) / med(ref, (m) => m.connectMs)),
      listenOverflows: most(runs.map((m) => m.listenOverflows)),
      listenDrops: most(runs.map((m) => m.listenDrops)),
      connectWindowPeak: round(
        median(runs.flatMap((m) => (m.connectWindowPeak === null ? [] : [m.connectWindowPeak]))),
        0,
      ),
      clientCpuMs: round(
        med(name, (m) => m.clientCpuMs),
        0,
      ),
      durationMs: round(
        med(name, (m) => m.durationMs),
        0,
      ),
      toEndOfPublishingMs: round(
        med(name, (m) => m.connectMs + m.durationMs),
        0,
      ),
      wallMs: round(
        med(name, (m) => m.wallMs),
        0,
      ),
      peakRssMb: round(rss, 0),
      rssPerClientKb: round((rss * 1024) / clients, 0),
      rssPerThreadMb: threads > 0 && threads === clients ? round(rss / threads, 1) : null,
      rssPerAddedThreadMb: from
        ? round((rss - med(from, (m) => m.peakRssMb)) / (threads - med(from, (m) => m.threads)), 1)
        : null,
      lost: runs.length ? Math.max(...runs.map((m) => m.lost)) : null,
      inFlight: round(
        med(name, (m) => m.inFlight),
        0,
      ),
      clientCpuUsPerMsg: round(
        med(name, (m) => (m.clientCpuMs * 1000) / Math.max(1, m.received)),
        1,
      ),
      brokerCpuUsPerMsg: round(
        med(name, (m) => (m.brokerCpuMs * 1000) / Math.max(1, m.received)),
        1,
      ),
      coresBusy: round(med(name, (m) => (m.clientCpuMs + m.brokerCpuMs) / m.wallMs)),
    };
  });
}
