import { publishStreams, type ClientStage, type GroupProfile, type PublishPlan } from '../group.js';
import { clientOfSource, streamOfSource } from '../mqtt/payload.js';
import { presence } from './client-plan.js';
import { InternalError } from '../mqtt/checked.js';
import { RateSchedule } from './schedule.js';

/**
 * What the plan says a publisher sends: `planned` is what a run that goes to plan publishes
 * (its count, or rate x duration, whichever is smaller); `bound` is the most it can publish at
 * all (one more than the schedule allows, for rounding), Infinity when nothing bounds it.
 */
export function publishPlan(plan: PublishPlan | null): { planned: number; bound: number } {
  if (plan === null) return { planned: 0, bound: 0 };
  // Staged: the rate's integral over the stages (a client sends ceil of it, less its phase).
  // (A shard result written before stages existed has none: read as a constant rate.)
  if (Array.isArray(plan.stages)) {
    const total = new RateSchedule(plan.stages).total;
    return { planned: Math.round(total), bound: Math.ceil(total) + 1 };
  }
  let planned = plan.count ?? Infinity;
  let bound = plan.count ?? Infinity;
  // Paced: message n is due n/rate seconds after the start and only sent before the end.
  if (plan.durationMs !== undefined && plan.rate > 0) {
    const scheduled = (plan.rate * plan.durationMs) / 1000;
    planned = Math.min(planned, Math.round(scheduled));
    bound = Math.min(bound, Math.ceil(scheduled) + 1);
  }
  return { planned, bound };
}

/** The group a fleet index belongs to. */
export function groupOf(groups: readonly GroupProfile[], index: number): GroupProfile | undefined {
  return groups.find((g) => index >= g.first && index < g.first + g.count);
}

/** Messages the given publishers (fleet indices) are planned to send together, every stream of each. */
export function plannedMessages(groups: readonly GroupProfile[], publishers: Iterable<number>): number {
  let total = 0;
  for (const index of publishers) {
    const group = groupOf(groups, index);
    if (group === undefined) continue;
    const stages = group.comings.clientStages;
    for (const stream of publishStreams(group)) {
      const plan = publishPlan(stream).planned;
      total += stages === null ? plan : Math.min(plan, presentPlan(stream, stages, index - group.first));
    }
  }
  return total;
}

/**
 * With --client-stages a publisher publishes only while the plan has it connected, and skips
 * what its schedule had while it was away: rate x the time it is present before its end.
 * Unpaced, only a publisher that stays to the end is held to its count.
 */
function presentPlan(plan: PublishPlan, stages: readonly ClientStage[], n: number): number {
  const stretches = presence(stages, n);
  const end = plan.durationMs ?? Infinity;
  if (plan.rate <= 0) return stretches.at(-1)?.[1] === Infinity ? Infinity : 0;
  let messages = 0;
  for (const [join, leave] of stretches) {
    const ms = Math.min(leave, end) - Math.min(join, end);
    if (ms === Infinity) return Infinity;
    messages += Math.floor((plan.rate * ms) / 1000);
  }
  return messages;
}

/**
 * A receiver's publishers in compact form, for its hot path: flattened [first, end, bound]
 * triples, sorted, meaning "publishers first..end-1 may send sequence numbers below bound".
 * A group's publishers are consecutive indices with one plan, so a receiver of every publisher
 * (`fleet/+`) holds one triple per group, whatever the fleet's size.
 */
export function hearingRanges(publishers: readonly number[], groups: readonly GroupProfile[]): number[] {
  const out: number[] = [];
  let group: GroupProfile | undefined;
  let stream = -1;
  let bound = 0;
  // Publishers are sources: a client's stream k > 0 sorts after every first stream, its plan that stream's.
  for (const p of [...publishers].sort((a, b) => a - b)) {
    const client = clientOfSource(p);
    const k = streamOfSource(p);
    if (group === undefined || k !== stream || client < group.first || client >= group.first + group.count) {
      group = groupOf(groups, client);
      stream = k;
      bound = publishPlan(group === undefined ? null : (publishStreams(group)[k] ?? null)).bound;
    }
    const n = out.length;
    if (n > 0 && out[n - 2] === p && out[n - 1] === bound) out[n - 2] = p + 1;
    else out.push(p, p + 1, bound);
  }
  // Exact size: a pushed-to array keeps room to grow (144 B for one triple), and each subscriber keeps one.
  return out.slice();
}

/** Whether `ranges` (from hearingRanges) let `publisher` send `seq`: a binary search, no allocation. */
export function hears(ranges: readonly number[], publisher: number, seq: number): boolean {
  let lo = 0;
  let hi = ranges.length / 3;
  // Checked here rather than through at(): this runs per message, and a shared accessor would see every element kind.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const end = ranges[3 * mid + 1];
    if (end === undefined) throw new InternalError(`hearing ranges of ${ranges.length} values are not triples`);
    if (end <= publisher) lo = mid + 1;
    else hi = mid;
  }
  const first = ranges[3 * lo];
  const bound = ranges[3 * lo + 2];
  if (first === undefined) return false; // past the last range
  if (bound === undefined) throw new InternalError(`hearing ranges of ${ranges.length} values are not triples`);
  return first <= publisher && seq < bound;
}

/**
 * How long publishing lasts by the plan, from the start: the longest group's duration (or count
 * at its rate), with a period of phase; null when a group's end is not a matter of time (unpaced
 * counts: as fast as the broker takes them).
 */
export function publishingWindowMs(groups: readonly GroupProfile[]): number | null {
  let longest = 0;
  for (const publish of groups.flatMap((g) => publishStreams(g))) {
    const period = publish.rate > 0 ? 1000 / publish.rate : 0;
    const byCount = publish.count !== undefined && publish.rate > 0 ? publish.count * period : Infinity;
    const ms = Math.min(publish.durationMs ?? Infinity, byCount);
    if (ms === Infinity) return null;
    longest = Math.max(longest, ms + (publish.phase === 'spread' ? period : 0));
  }
  return longest;
}
