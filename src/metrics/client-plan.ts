/**
 * When each client of a group is connected, by the group's --client-stages plan, and when it
 * churns, by its --churn schedule. Pure and deterministic: every session works out its own times
 * from the plan and its index in the group, so no thread tells another when to come or go.
 *
 * The plan's connected count N(t) starts at 0 when publishing starts (the start barrier) and
 * goes linearly to each stage's target over the stage's duration; after the last stage it stays
 * at the last target. Client n (0-based in its group) is connected while N(t) >= n + 1: clients
 * join in index order and leave in reverse, and floor(N(t)) clients are connected at time t.
 */
import type { Churn, ClientStage } from '../group.js';

/** The plan's length: the sum of its stages. */
export function planLengthMs(stages: readonly ClientStage[]): number {
  return stages.reduce((sum, s) => sum + s.durationMs, 0);
}

/** The largest connected count the plan reaches. */
export function planPeak(stages: readonly ClientStage[]): number {
  return stages.reduce((peak, s) => Math.max(peak, s.clients), 0);
}

/** How many clients the plan has connected `t` ms after its start: floor(N(t)). */
export function plannedAt(stages: readonly ClientStage[], t: number): number {
  let from = 0;
  let t0 = 0;
  for (const stage of stages) {
    const end = t0 + stage.durationMs;
    if (t < end) {
      const share = stage.durationMs === 0 ? 1 : Math.max(0, t - t0) / stage.durationMs;
      // A hair of slack, so that a share that lands on a whole count by arithmetic is not just under it.
      return Math.floor(from + (stage.clients - from) * share + 1e-9);
    }
    from = stage.clients;
    t0 = end;
  }
  return from;
}

/**
 * Client n's connected stretches, as [join, leave) ms from the plan's start, in order; the last
 * leave is Infinity when the client is still connected once the plan is over. Empty: never joins.
 */
export function presence(stages: readonly ClientStage[], n: number): [number, number][] {
  const k = n + 1;
  const out: [number, number][] = [];
  let from = 0;
  let t0 = 0;
  let joinedAt: number | null = null;
  for (const { durationMs: d, clients: to } of stages) {
    if (joinedAt === null && from < k && to >= k) {
      joinedAt = Math.round(t0 + (d === 0 ? 0 : ((k - from) / (to - from)) * d));
    } else if (joinedAt !== null && from >= k && to < k) {
      const leftAt = Math.round(t0 + (d === 0 ? 0 : ((from - k) / (from - to)) * d));
      if (leftAt > joinedAt) out.push([joinedAt, leftAt]);
      joinedAt = null;
    }
    from = to;
    t0 += d;
  }
  if (joinedAt !== null) out.push([joinedAt, Infinity]);
  return out;
}

/** How many of a group's `count` clients churn each period: `fraction` of them, at least one. */
export function churnSlice(churn: Churn, count: number): number {
  return Math.min(count, Math.max(1, Math.round(churn.fraction * count)));
}

/**
 * The first churn of client n of a group of `count` after `afterMs` (ms from the start), or
 * Infinity. Period k (at k * every, k >= 1) churns the slice of clients starting at (k - 1) *
 * slice, modulo the group's size: the slices rotate, so over count / slice periods every client
 * churns once.
 */
export function nextChurn(churn: Churn, count: number, n: number, afterMs: number): number {
  const slice = churnSlice(churn, count);
  const first = Math.floor(afterMs / churn.everyMs) + 1;
  const periods = Math.ceil(count / slice) + 1;
  for (let k = first; k <= first + periods; k++) {
    const offset = (((n - (k - 1) * slice) % count) + count) % count;
    if (offset < slice) return k * churn.everyMs;
  }
  return Infinity;
}
