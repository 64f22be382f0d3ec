import { brokerOf, clusterOf, type GroupProfile, type PublishPlan } from '../group.js';
import type { ResolvedOptions } from './index.js';
import { workerOptions } from './worker-options.js';
import type { SessionSettings, SessionSpec, LaneStart, StreamSettings } from '../protocol.js';
import { now } from '../session/clock.js';
import { newSlotsBuffer } from '../session/slots.js';
import { hearingRanges } from '../metrics/planned.js';
import { phaseDelayMs } from '../metrics/schedule.js';
import { runTag } from '../mqtt/payload.js';
import { renderTemplate, shareOf } from '../mqtt/templates.js';
import { at } from '../mqtt/checked.js';

/** Latency groups: with --work, the working clients' latency is kept apart from the others'. */
const OTHERS = 0;
const WORKING = 1;

export function latencyGroups(options: ResolvedOptions): string[] {
  return options.workMs > 0 ? ['others', 'working'] : ['all'];
}

/**
 * Who a client receives as: itself, or the shared subscription it is a member of (if all its
 * subscriptions are the same `$share/...`). Shared keys are per broker cluster: members on
 * brokers that do not share messages split nothing between them.
 */
export function receiverKey(index: number, cluster: string, filters: readonly string[]): string {
  const shares = new Set(filters.map((f) => (shareOf(f) ? `share:${cluster}:${f}` : null)));
  const [only, ...others] = shares;
  return only != null && others.length === 0 ? only : `c:${index}`;
}

/** Every client's fixed facts, group by group: id, broker (round-robin), topics, will. */
export function planSessions(options: ResolvedOptions): SessionSpec[] {
  const working = new Set(options.workClients);
  return options.groups.flatMap((group) =>
    Array.from({ length: group.count }, (_, n) => {
      const i = group.first + n;
      const clientId = renderTemplate(group.clientId, { i, n, id: '', group: group.name, run: options.runId });
      const vars = { i, n, id: clientId, group: group.name };
      const subscriptions = group.subscriptions.map((s) => ({ ...s, filter: renderTemplate(s.filter, vars) }));
      const cluster = clusterOf(group, n);
      // Who it receives as, by the group's own subscriptions: its response topic is no part of a shared one.
      const key = receiverKey(
        i,
        cluster,
        subscriptions.map((s) => s.filter),
      );
      // Request/response: each requester subscribes to its own response topic.
      const responseTopic = group.request ? renderTemplate(group.request.responseTopic, vars) : undefined;
      if (group.request && responseTopic !== undefined)
        subscriptions.push({ filter: responseTopic, qos: group.request.qos });
      return {
        index: i,
        n,
        clientId,
        broker: brokerOf(group, n),
        pubTopic: group.publish ? renderTemplate(group.publish.topic, vars) : null,
        ...(group.streams && group.streams.length > 1
          ? { streamTopics: group.streams.map((s) => renderTemplate(s.topic, vars)) }
          : {}),
        subscriptions,
        receiverKey: key,
        hears: [] as number[],
        will: group.will && {
          ...group.will,
          topic: renderTemplate(group.will.topic, vars),
          payload: renderTemplate(group.will.payload, vars),
        },
        latencyGroup: working.has(i) ? WORKING : OTHERS,
        workMs: working.has(i) ? options.workMs : 0,
        phaseMs: group.publish ? phaseDelayMs(group.publish.rate, group.publish.phase, n, group.count) : 0,
        connectDelayMs: options.connectRate > 0 ? (i * 1000) / options.connectRate : 0,
        ...(responseTopic === undefined ? {} : { responseTopic }),
        ...(options.localAddresses.length > 0
          ? { localAddress: at(options.localAddresses, i % options.localAddresses.length) }
          : {}),
      };
    }),
  );
}

/**
 * Give each subscribing client its publishers by the plan (`expected`: per receiver key, from
 * topic matching over the whole fleet) in compact form, one array per receiver key.
 */
export function planHearing(
  specs: readonly SessionSpec[],
  expected: ReadonlyMap<string, readonly number[]>,
  groups: readonly GroupProfile[],
): void {
  const byKey = new Map<string, number[]>();
  for (const spec of specs) {
    if (spec.subscriptions.length === 0) continue;
    let ranges = byKey.get(spec.receiverKey);
    if (ranges === undefined) {
      ranges = hearingRanges(expected.get(spec.receiverKey) ?? [], groups);
      byKey.set(spec.receiverKey, ranges);
    }
    spec.hears = ranges;
  }
}

/** What every session of one group needs to know, the same in every lane of the group. */
function sessionSettings(options: ResolvedOptions, group: GroupProfile): SessionSettings {
  const publish = group.publish;
  return {
    runTag: runTag(options.runId),
    group: group.name,
    brokers: group.brokers.map((b) => ({ url: b.url, tls: b.tls })),
    qos: publish?.qos ?? 0,
    size: publish?.size ?? options.size,
    rate: publish?.rate ?? 0,
    count: publish?.count,
    durationMs: publish?.durationMs,
    stages: publish?.stages ?? null,
    retain: publish?.retain ?? false,
    payloadTemplate: publish?.payload ?? null,
    payloadFiles: publish?.files?.paths ?? null,
    payloadGenerator: publish?.generator === true,
    userProperties: publish?.userProperties ?? null,
    publishProperties: publish?.properties ?? null,
    topicAlias: publish?.topicAlias ?? false,
    tracking: publish?.tracking ?? 'payload',
    clean: group.clean,
    keepaliveSec: group.keepaliveSec,
    username: group.username,
    password: group.password,
    credentials: group.credentials ?? null,
    // Run-wide: the options the option table marks `worker` (reconnect, timeouts, in-flight window, ...).
    ...workerOptions(options),
    writeCache: group.mode !== 'thread-per-client',
    protocolVersion: group.protocolVersion,
    sessionExpirySec: group.sessionExpirySec,
    connectProperties: group.connectProperties ?? null,
    workload: group.workload,
    comings: group.comings,
    groupCount: group.count,
    ...(group.streams && group.streams.length > 1 ? { streams: group.streams.map(streamSettings) } : {}),
    request: group.request ?? null,
    respond: group.respond ?? null,
  };
}

/** One stream's own part of its sessions' settings (session/streams.ts lays it over the group's). */
function streamSettings(publish: PublishPlan): StreamSettings {
  return {
    qos: publish.qos,
    size: publish.size,
    rate: publish.rate,
    count: publish.count,
    durationMs: publish.durationMs,
    stages: publish.stages,
    retain: publish.retain,
    payloadTemplate: publish.payload,
    payloadFiles: publish.files?.paths ?? null,
    payloadGenerator: publish.generator === true,
    userProperties: publish.userProperties,
    publishProperties: publish.properties ?? null,
    topicAlias: publish.topicAlias ?? false,
    tracking: publish.tracking,
    phase: publish.phase,
  };
}

/**
 * Every will topic of the fleet (every shard's clients too: a will may reach a subscriber here
 * from a client elsewhere), with the group whose will it is.
 */
export function willTopics(options: ResolvedOptions): [string, string][] {
  const out = new Map<string, string>();
  for (const group of options.groups) {
    if (group.will === null) continue;
    for (let n = 0; n < group.count; n++) {
      const i = group.first + n;
      const clientId = renderTemplate(group.clientId, { i, n, id: '', group: group.name, run: options.runId });
      out.set(renderTemplate(group.will.topic, { i, n, id: clientId, group: group.name }), group.name);
    }
  }
  return [...out];
}

/**
 * Split this process's clients (`specs`: the whole fleet, or one --shard's slice of it) into
 * lanes, one per thread: a client each (thread-per-client), clients dealt round-robin over K
 * threads (pool), or the whole group in one (single loop). A lane never mixes groups, so it
 * carries one group's settings; a group with no clients here gets no lane, and no thread.
 */
export function planLanes(options: ResolvedOptions, specs: SessionSpec[], latencyGroups: string[]): LaneStart[] {
  const launchedAt = now();
  // Behind a barrier with --start-at nothing of this run is sent before that time, in any shard.
  const runStart = options.barrier && options.startAt !== null ? options.startAt : launchedAt;
  const split = options.groups.map((group) => {
    const members = specs.filter((s) => s.index >= group.first && s.index < group.first + group.count);
    const count = group.mode === 'single-loop' ? 1 : Math.min(group.threads, members.length);
    const buckets: SessionSpec[][] = Array.from({ length: count }, () => []);
    members.forEach((spec, n) => at(buckets, n % count).push(spec));
    return { group, buckets: buckets.filter((b) => b.length > 0) };
  });
  // --connect-concurrency bounds the whole process: one count for every lane, in any thread.
  const connectSlots = newSlotsBuffer(options.connectConcurrency);
  const { batchIntervalMs, loopResolutionMs } = laneTimers(split.reduce((n, { buckets }) => n + buckets.length, 0));
  const starts: LaneStart[] = [];
  const wills = willTopics(options);
  for (const { group, buckets } of split) {
    const settings = sessionSettings(options, group);
    for (const sessions of buckets) {
      starts.push({
        lane: starts.length,
        mode: group.mode,
        sessions,
        settings,
        latencyGroups,
        batchIntervalMs,
        loopResolutionMs,
        launchedAt,
        runStart,
        connectSlots,
        willTopics: wills,
      });
    }
  }
  return starts;
}

/** Counter and latency batches of a lane: often enough for live figures, rare enough to cost nothing. */
const BATCH_INTERVAL_MS = 250;
/** Event-loop delay sampling interval of a lane: fine enough for a responsiveness figure. */
const LOOP_RESOLUTION_MS = 20;
/** Timer wake-ups per second the lanes' own bookkeeping may cost the process, each kind. */
const WAKEUPS_PER_SECOND = 1000;

/**
 * Every lane wakes its thread for its own bookkeeping: a batch timer and the event-loop delay
 * sampler. A few threads can afford 4 and 50 wake-ups a second each, but a thousand idle threads
 * would spend whole cores waking up for nothing (each wake-up of a sleeping thread costs a
 * context switch, tens of µs on a VM). So both intervals grow with the number of lanes: each
 * kind of timer wakes the process at most WAKEUPS_PER_SECOND times a second, in whole.
 */
export function laneTimers(lanes: number): { batchIntervalMs: number; loopResolutionMs: number } {
  const spread = (ms: number): number => Math.max(ms, Math.ceil((lanes * 1000) / WAKEUPS_PER_SECOND));
  return { batchIntervalMs: Math.min(1000, spread(BATCH_INTERVAL_MS)), loopResolutionMs: spread(LOOP_RESOLUTION_MS) };
}
