import { startBroker, type EmbeddedBroker } from './broker/embedded.js';
import { Coordinator } from './coordinator.js';
import type { LatencyFigures, RunEvent, Summary } from './events.js';
import { ExitCode } from './exit-codes.js';
import { Hosts } from './hosts/index.js';
import { Outputs } from './report/outputs.js';
import { MetricsServer } from './report/prometheus.js';
import { fleetMode, fleetThreads, type GroupProfile } from './group.js';
import { reasonText } from './session/refusal.js';
import { latencyGroups, planSessions, planShards } from './hosts/plan.js';
import { silentLogger, type Logger } from './log.js';
import { accountDelivery } from './metrics/delivery.js';
import { newHistogram, summarizeLatency, type Histogram } from './metrics/histogram.js';
import type { LoopDelay } from './protocol.js';
import { RssSampler } from './metrics/rss.js';
import { checkThreadPerClient } from './limits.js';
import { expectedStreams } from './metrics/topology.js';
import { redactUrl, resolveOptions, type ResolvedOptions, type RunOptions } from './options.js';

/** Counter and latency batches: often enough for live figures, rare enough to cost nothing. */
const BATCH_INTERVAL_MS = 250;

export interface RunControl {
  /** Abort to interrupt: clients stop publishing, disconnect cleanly, and the summary so far is returned. */
  signal?: AbortSignal;
  /** Status, stats and message events as they happen, and the summary at the end. */
  onEvent?: (event: RunEvent) => void;
  logger?: Logger;
}

/**
 * Run a fleet of MQTT clients and return its summary. Throws UsageError on invalid options,
 * before anything starts; everything after that is reported in the summary, never thrown.
 */
export async function run(input: RunOptions & RunControl = {}): Promise<Summary> {
  const options = resolveOptions(input);
  checkThreadPerClient(options);
  const log = input.logger ?? silentLogger;
  const emit = input.onEvent ?? (() => {});
  let broker: EmbeddedBroker | null = null;
  if (options.embeddedBroker) {
    broker = await startBroker();
    options.brokers = [broker.url];
    for (const group of options.groups) {
      if (group.brokers.length === 0) group.brokers = [{ url: broker.url, cluster: 'default', tls: options.tls }];
    }
    log.info({ broker: broker.url, pid: broker.pid }, `embedded Aedes broker listening on ${broker.url} (pid ${broker.pid})`);
  }
  try {
    return await runAgainst(options, input.signal, emit, log);
  } finally {
    await broker?.stop();
  }
}

async function runAgainst(options: ResolvedOptions, signal: AbortSignal | undefined, emit: (e: RunEvent) => void, log: Logger): Promise<Summary> {
  const startedAt = new Date();
  const cpuStart = process.cpuUsage();
  const rss = new RssSampler();
  const specs = planSessions(options);
  const topology = expectedStreams(specs, options.groups);
  const groups = latencyGroups(options);
  const shards = planShards(options, specs, groups, BATCH_INTERVAL_MS);
  const host = new Hosts(shards);
  const outputs = new Outputs(options.outputs);
  const emitAll = (event: RunEvent): void => {
    outputs.onEvent(event);
    emit(event);
  };
  const coordinator = new Coordinator(options, specs, topology, host, groups.length, emitAll, log);
  const metrics = options.metrics ? new MetricsServer(coordinator.aggregate, { run: options.runId, mode: fleetMode(options.groups) }) : null;
  if (metrics && options.metrics) {
    const url = await metrics.listen(options.metrics.host, options.metrics.port);
    log.info({ metrics: url }, `Prometheus metrics on ${url}`);
  }
  let interrupted: string | null = null;
  const onAbort = (): void => {
    interrupted = signal?.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    coordinator.stop(`interrupted (${interrupted})`);
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  log.info(
    { mode: fleetMode(options.groups), threads: fleetThreads(options.groups), clients: options.clients },
    `starting ${options.clients} clients (${describeFleet(options)}) against ${brokerUrls(options).join(', ')}`,
  );
  try {
    await coordinator.run(shards);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await host.close();
  }
  const cpu = process.cpuUsage(cpuStart);
  const summary = buildSummary(options, coordinator, topology.expected, groups, startedAt, rss.stop(), cpu, interrupted);
  emitAll(summary);
  await outputs.close();
  await metrics?.close();
  return summary;
}

function buildSummary(
  options: ResolvedOptions,
  coordinator: Coordinator,
  expected: Map<string, number[]>,
  groups: string[],
  startedAt: Date,
  peakRssBytes: number,
  cpu: NodeJS.CpuUsage,
  interrupted: string | null,
): Summary {
  const agg = coordinator.aggregate;
  const totals = agg.totals;
  const delivery = accountDelivery(expected, agg.publishers, agg.streams, options.barrier);
  const lastActivity = Math.max(agg.lastPublishAt, agg.lastReceiveAt);
  const durationMs = coordinator.goAt > 0 && lastActivity > 0 ? Math.max(1, lastActivity - coordinator.goAt) : 0;
  const perSec = (n: number): number => (durationMs > 0 ? Math.round((n * 1000) / durationMs) : 0);
  const gaveUp = agg.inState('gave-up');
  const failed = agg.inState('failed');
  const qos = Math.max(0, ...options.groups.map((g) => g.publish?.qos ?? 0)) as 0 | 1 | 2;
  const shortfall = gaveUp > 0 || failed > 0 || (qos > 0 && delivery.lost > 0);
  const exitCode =
    interrupted === 'SIGTERM' ? ExitCode.Terminated : interrupted ? ExitCode.Interrupted : shortfall ? ExitCode.Shortfall : ExitCode.Ok;
  return {
    type: 'summary',
    runId: options.runId,
    startedAt: startedAt.toISOString(),
    mode: fleetMode(options.groups),
    threads: fleetThreads(options.groups),
    brokers: brokerUrls(options),
    qos,
    ...(options.scenario === null
      ? {}
      : { scenario: options.scenario, groups: options.groups.map((g) => ({ name: g.name, clients: g.count, mode: g.mode, threads: g.threads })) }),
    clients: options.clients,
    connected: agg.everConnected,
    gaveUp,
    failed,
    reconnects: agg.reconnects,
    published: totals.published,
    acked: totals.acked,
    sendFailed: totals.sendFailed,
    received: totals.received,
    expected: delivery.expected,
    lost: delivery.lost,
    inFlight: delivery.inFlight,
    duplicates: delivery.duplicates,
    outOfOrder: delivery.outOfOrder,
    foreign: totals.foreign,
    retained: totals.retained,
    reasonCodes: Object.fromEntries([...agg.reasonCodes].map(([key, count]) => [reasonLabel(key), count])),
    connectMs: coordinator.connectMs,
    durationMs: Math.round(durationMs),
    publishedPerSec: perSec(totals.published),
    receivedPerSec: perSec(totals.received),
    latencyMs: latencyFigures(agg.latency, groups),
    loopDelayMs: worstLoopDelay(coordinator.loopDelays),
    workMs: options.workMs,
    peakRssMb: Math.round(peakRssBytes / 1024 / 1024),
    cpuMs: { user: Math.round(cpu.user / 1000), system: Math.round(cpu.system / 1000) },
    interrupted: interrupted !== null,
    exitCode,
  };
}

/** Overall latency from every group's histogram merged; with --work, each group's too. */
function latencyFigures(histograms: Histogram[], groups: string[]): LatencyFigures {
  const all = newHistogram();
  for (const h of histograms) all.add(h);
  const figures: LatencyFigures = summarizeLatency(all);
  all.destroy();
  groups.forEach((group, n) => {
    if (group === 'others' || group === 'working') figures[group] = summarizeLatency(histograms[n]!);
  });
  return figures;
}

function worstLoopDelay(delays: LoopDelay[]): Summary['loopDelayMs'] {
  if (delays.length === 0) return null;
  return {
    p50: Math.max(...delays.map((d) => d.p50)),
    p99: Math.max(...delays.map((d) => d.p99)),
    max: Math.max(...delays.map((d) => d.max)),
  };
}

function describeMode(mode: GroupProfile['mode'], threads: number): string {
  switch (mode) {
    case 'thread-per-client':
      return `one worker thread per client`;
    case 'pool':
      return `a pool of ${threads} worker threads`;
    case 'single-loop':
      return 'all on the main event loop';
  }
}

function describeFleet(options: ResolvedOptions): string {
  const groups = options.groups;
  if (groups.length === 1) return describeMode(groups[0]!.mode, groups[0]!.threads);
  return `${groups.length} groups: ${groups.map((g) => `${g.name} x ${g.count}, ${describeMode(g.mode, g.threads)}`).join('; ')}`;
}

function brokerUrls(options: ResolvedOptions): string[] {
  return [...new Set(options.groups.flatMap((g) => g.brokers.map((b) => redactUrl(b.url))))];
}

/** `puback:16` -> `puback 0x10 (no matching subscribers)`. */
function reasonLabel(key: string): string {
  const [packet, code] = key.split(':') as [string, string];
  return `${packet} ${reasonText(Number(code))}`;
}
