import { startBroker, type EmbeddedBroker } from './broker/embedded.js';
import { Coordinator } from './coordinator.js';
import type { LatencyFigures, RunEvent, Summary } from './events.js';
import { ExitCode } from './exit-codes.js';
import { createHost } from './hosts/index.js';
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
  const expected = expectedStreams(specs);
  const groups = latencyGroups(options);
  const host = createHost(options);
  const coordinator = new Coordinator(options, specs, expected, host, groups.length, emit, log);
  let interrupted: string | null = null;
  const onAbort = (): void => {
    interrupted = signal?.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    coordinator.stop(`interrupted (${interrupted})`);
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  log.info(
    { mode: options.mode, threads: options.threads, clients: options.clients },
    `starting ${options.clients} clients (${describeMode(options)}) against ${options.brokers.map(redactUrl).join(', ')}`,
  );
  try {
    await coordinator.run(planShards(options, specs, groups, BATCH_INTERVAL_MS));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await host.close();
  }
  const cpu = process.cpuUsage(cpuStart);
  const summary = buildSummary(options, coordinator, expected, groups, startedAt, rss.stop(), cpu, interrupted);
  emit(summary);
  return summary;
}

function buildSummary(
  options: ResolvedOptions,
  coordinator: Coordinator,
  expected: Map<number, number[]>,
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
  const shortfall = gaveUp > 0 || failed > 0 || (options.qos > 0 && delivery.lost > 0);
  const exitCode =
    interrupted === 'SIGTERM' ? ExitCode.Terminated : interrupted ? ExitCode.Interrupted : shortfall ? ExitCode.Shortfall : ExitCode.Ok;
  return {
    type: 'summary',
    runId: options.runId,
    startedAt: startedAt.toISOString(),
    mode: options.mode,
    threads: options.mode === 'single-loop' ? 0 : options.threads,
    brokers: options.brokers.map(redactUrl),
    qos: options.qos,
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

function describeMode(options: ResolvedOptions): string {
  switch (options.mode) {
    case 'thread-per-client':
      return `one worker thread per client`;
    case 'pool':
      return `a pool of ${options.threads} worker threads`;
    case 'single-loop':
      return 'all on the main event loop';
  }
}
