import { UsageError } from '../errors.js';
import type { Summary } from '../report/events.js';
import { planSessions } from '../options/plan.js';
import { accountDelivery } from '../metrics/delivery.js';
import { addEncoded, newHistogram } from '../metrics/histogram.js';
import { expectedStreams } from '../metrics/topology.js';
import { newStepHistograms } from '../metrics/step-histograms.js';
import { plannedMessages } from '../metrics/planned.js';
import type { ResolvedOptions } from '../options/index.js';
import type { Counters, PublisherFinal } from '../protocol.js';
import { zeroCounters } from '../metrics/counters.js';
import { buildSummary, type RunFigures } from '../run/summary.js';
import type { ShardResult } from './result.js';
import type { GroupProfile } from '../group.js';
import { at } from '../mqtt/checked.js';
import { clientOfSource } from '../mqtt/payload.js';
import { zeroRequestCounts, type RequestCounts } from '../metrics/round-trip.js';

/**
 * The fleet's summary from its shards' results, exactly: counters add, every stream is accounted
 * for across shards (a subscriber in one hearing publishers in another), and percentiles come
 * from the merged HDR histograms, never from averaging the shards' percentiles.
 */
export function mergeResults(results: readonly ShardResult[]): {
  summary: Summary;
  missing: number[];
  late: { shard: number; ms: number }[];
} {
  const [first] = results;
  if (first === undefined) throw new UsageError('merge', 'no shard results to merge');
  for (const r of results) {
    if (r.runId !== first.runId)
      throw new UsageError('merge', `shard results of different runs: ${first.runId} and ${r.runId}`);
    if (r.shard.count !== first.shard.count)
      throw new UsageError('merge', `shard counts differ: ${first.shard.count} and ${r.shard.count}`);
    // Each such shard had a broker of its own: adding them up would pass separate runs off as one fleet.
    if (r.embeddedBroker === true) {
      throw new UsageError(
        'merge',
        `shard ${r.shard.index}/${r.shard.count} ran against an embedded broker of its own, not one broker shared by every shard: run the shards with --broker`,
      );
    }
  }
  const seen = new Set<number>();
  for (const r of results) {
    if (seen.has(r.shard.index)) throw new UsageError('merge', `shard ${r.shard.index}/${r.shard.count} appears twice`);
    seen.add(r.shard.index);
  }
  const missing = Array.from({ length: first.shard.count }, (_, i) => i).filter((i) => !seen.has(i));

  // The whole fleet's plan, as every shard planned it, gives the topology across shards.
  // Results of older versions have no `comings`: their clients stayed connected throughout.
  const plan = {
    ...first.plan,
    groups: first.plan.groups.map((g) => ({
      ...g,
      comings: (g as Partial<GroupProfile>).comings ?? {
        clientStages: null,
        clientLeave: 'clean' as const,
        churn: null,
      },
    })),
  };
  const options = {
    runId: first.runId,
    groups: plan.groups,
    workMs: plan.workMs,
    workClients: plan.workClients,
    connectRate: 0,
    localAddresses: [],
  } as unknown as ResolvedOptions;
  const specs = planSessions(options);
  const topology = expectedStreams(specs, plan.groups);
  const running = new Set(results.flatMap((r) => r.clients));
  const publishing = specs.filter((s) => s.pubTopic !== null && running.has(s.index)).map((s) => s.index);
  // Streams from shards that are missing cannot be judged: account only among those present.
  const expected = new Map(
    [...topology.expected]
      .filter(([key]) => (topology.members.get(key) ?? []).some((m) => running.has(m)))
      .map(([key, publishers]) => [key, publishers.filter((p) => running.has(clientOfSource(p)))]),
  );
  const publishers = new Map<number, PublisherFinal>(
    results.flatMap((r) => r.publishers.map((p) => [p.client, p] as const)),
  );
  // Shards that started together (--start-at) had one start barrier between them.
  const commonStart = results.every((r) => r.startAt !== null && r.startAt === first.startAt);
  // Results of an older mqtt-fleet say nothing about when subscribers were subscribed.
  const subscribers = results.every((r) => r.subscribers !== undefined) ? results.flatMap((r) => r.subscribers!) : null;
  const delivery = accountDelivery(
    expected,
    publishers,
    results.flatMap((r) => r.streams),
    plan.barrier && commonStart,
    subscribers,
  );
  // Shards ready after --start-at missed, and were missed by, what was sent before they were subscribed.
  const late = results
    .filter((r) => r.startAt !== null && r.readyAt != null && r.readyAt > r.startAt)
    .map((r) => ({ shard: r.shard.index, ms: r.readyAt! - r.startAt! }));

  const totals: Counters = zeroCounters();
  for (const r of results)
    for (const key of Object.keys(totals) as (keyof Counters)[]) totals[key] += r.totals[key] ?? 0;
  const reasonCodes = new Map<string, number>();
  for (const r of results) for (const [key, n] of r.reasonCodes) reasonCodes.set(key, (reasonCodes.get(key) ?? 0) + n);
  const latency = plan.latencyGroups.map((_, g) => {
    const h = newHistogram();
    for (const r of results) addEncoded(h, r.latency[g] ?? '');
    return h;
  });
  const steps = newStepHistograms();
  steps.forEach((h, n) => {
    for (const r of results) addEncoded(h, r.steps?.[n] ?? '');
  });
  const scheduledLatency = newHistogram();
  const sendLag = newHistogram();
  for (const r of results) {
    addEncoded(scheduledLatency, r.scheduledLatency ?? '');
    addEncoded(sendLag, r.sendLag ?? '');
  }
  // Requests sent in one shard may be answered by responders in another: each shard counted its own side.
  const requestCounts = zeroRequestCounts();
  const roundTrip = newHistogram();
  for (const r of results) {
    if (!r.requests) continue;
    for (const key of Object.keys(requestCounts) as (keyof RequestCounts)[])
      requestCounts[key] += r.requests.counts[key] ?? 0;
    addEncoded(roundTrip, r.requests.roundTrip);
  }
  const started = results.filter((r) => r.goAt > 0);
  const sum = (pick: (r: ShardResult) => number): number => results.reduce((n, r) => n + pick(r), 0);
  const summary = buildSummary({
    runId: first.runId,
    startedAt: at(results.map((r) => r.startedAt).sort(), 0),
    groups: plan.groups,
    scenario: plan.scenario,
    clients: running.size,
    connected: sum((r) => r.connected),
    gaveUp: sum((r) => r.gaveUp),
    failed: sum((r) => r.failed),
    reconnects: sum((r) => r.reconnects),
    comings: mergeComings(results),
    planned: plannedMessages(plan.groups, publishing),
    publishers: publishing.length,
    totals,
    delivery,
    reasonCodes,
    connectMs: Math.max(0, ...results.map((r) => r.connectMs)),
    goAt: started.length ? Math.min(...started.map((r) => r.goAt)) : 0,
    lastPublishAt: Math.max(0, ...results.map((r) => r.lastPublishAt)),
    lastReceiveAt: Math.max(0, ...results.map((r) => r.lastReceiveAt)),
    latency,
    latencyGroups: plan.latencyGroups,
    steps,
    scheduledLatency,
    sendLag,
    requests: { counts: requestCounts, roundTrip },
    loopDelays: results.flatMap((r) => r.loopDelays),
    workMs: plan.workMs,
    warmupMs: plan.warmupMs ?? 0,
    peakRssMb: sum((r) => r.peakRssMb),
    cpuMs: { user: sum((r) => r.cpuMs.user), system: sum((r) => r.cpuMs.system) },
    // Each shard had cores of its own: the busiest one says whether a generator was saturated.
    cpuShare: results.reduce<number | null>((max, r) => {
      const share = r.summary.generatorLimited?.cpuShare ?? null;
      return share === null ? max : Math.max(max ?? 0, share);
    }, null),
    interrupted: results.find((r) => r.interrupted)?.interrupted ?? null,
    shard: null,
    shards: results.length,
    threads: sum((r) => r.summary.threads),
  });
  for (const h of [...latency, ...steps, scheduledLatency, sendLag, roundTrip]) h.destroy();
  return { summary, missing, late };
}

/** Churns, planned leaves and wills, from each shard's own summary (absent in results of older versions: none). */
function mergeComings(results: readonly ShardResult[]): NonNullable<RunFigures['comings']> {
  const wills: Record<string, { expected: number; received: number }> = {};
  let churned = 0;
  let left = 0;
  for (const r of results) {
    const s = r.summary as Partial<Summary>;
    churned += s.churned ?? 0;
    left += s.left ?? 0;
    // Expected where the client ran, received where its will's subscribers ran: the sums match.
    for (const [group, w] of Object.entries(s.wills ?? {})) {
      const sum = (wills[group] ??= { expected: 0, received: 0 });
      sum.expected += w.expected;
      sum.received += w.received;
    }
  }
  return { churned, left, wills };
}
