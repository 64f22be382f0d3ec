import type { ResolvedOptions } from '../options.js';
import type { SessionSettings, SessionSpec, ShardStart } from '../protocol.js';
import { runTag } from '../session/payload.js';
import { renderTemplate } from '../session/templates.js';
import { now } from '../session/clock.js';

/** Latency groups: with --work, the working clients' latency is kept apart from the others'. */
const OTHERS = 0;
const WORKING = 1;

export function latencyGroups(options: ResolvedOptions): string[] {
  return options.workMs > 0 ? ['others', 'working'] : ['all'];
}

/** Every client's fixed facts, from the options: id, broker (round-robin), topics. */
export function planSessions(options: ResolvedOptions): SessionSpec[] {
  const working = new Set(options.workClients);
  return Array.from({ length: options.clients }, (_, i) => {
    const clientId = `${options.idPrefix}${i}`;
    return {
      index: i,
      clientId,
      broker: options.brokers[i % options.brokers.length]!,
      pubTopic: renderTemplate(options.topic, { i, id: clientId }),
      subTopic: options.subTopic === '' ? null : renderTemplate(options.subTopic, { i, id: clientId }),
      latencyGroup: working.has(i) ? WORKING : OTHERS,
      workMs: working.has(i) ? options.workMs : 0,
      connectDelayMs: options.connectRate > 0 ? (i * 1000) / options.connectRate : 0,
    };
  });
}

export function sessionSettings(options: ResolvedOptions): SessionSettings {
  return {
    runTag: runTag(options.runId),
    qos: options.qos,
    size: options.size,
    rate: options.rate,
    count: options.count,
    durationMs: options.durationMs,
    retain: options.retain,
    clean: options.clean,
    keepaliveSec: options.keepaliveSec,
    username: options.username,
    password: options.password,
    reconnectAttempts: options.reconnectAttempts,
    reconnectDelayMs: options.reconnectDelayMs,
    connectTimeoutMs: options.connectTimeoutMs,
    maxInflight: options.maxInflight,
    barrier: options.barrier,
    printMessages: options.printMessages,
    writeCache: options.mode !== 'thread-per-client',
    // The fleet-wide bound, shared out over the shards.
    connectConcurrency: Math.max(1, Math.ceil(options.connectConcurrency / Math.max(1, options.threads))),
    protocolVersion: options.protocolVersion,
    sessionExpirySec: options.sessionExpirySec,
    retryRefused: options.retryRefused,
    drainTimeoutMs: options.drainTimeoutMs,
    tls: options.tls,
    workload: options.workload,
    hookTimeoutMs: options.hookTimeoutMs,
  };
}

/**
 * Split the fleet into shards, one per thread: a client each (thread-per-client), clients dealt
 * round-robin over K threads (pool), or everything in one (single loop).
 */
export function planShards(
  options: ResolvedOptions,
  specs: SessionSpec[],
  latencyGroups: string[],
  batchIntervalMs: number,
): ShardStart[] {
  const settings = sessionSettings(options);
  const count = options.mode === 'single-loop' ? 1 : options.threads;
  const buckets: SessionSpec[][] = Array.from({ length: count }, () => []);
  specs.forEach((spec, n) => buckets[n % count]!.push(spec));
  const launchedAt = now();
  return buckets.map((sessions, shard) => ({ shard, sessions, settings, latencyGroups, batchIntervalMs, launchedAt }));
}
