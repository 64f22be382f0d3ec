import { HdrLog, hdrTags } from '../report/hdr-log.js';
import { startBroker, type EmbeddedBroker } from '../broker/embedded.js';
import { Coordinator } from './coordinator.js';
import type { RunEvent, Summary } from '../report/events.js';
import { Hosts } from '../hosts/index.js';
import { Outputs } from '../report/outputs.js';
import type { MetricsServer } from '../report/prometheus.js';
import { fleetMode, fleetThreads, type GroupProfile } from '../group.js';
import { latencyGroups, planHearing, planSessions, planLanes } from '../options/plan.js';
import { plannedMessages } from '../metrics/planned.js';
import { silentLogger, type Logger } from '../report/log.js';
import { accountDelivery } from '../metrics/delivery.js';
import { encodeHistogram } from '../metrics/histogram.js';
import type { SessionSpec } from '../protocol.js';
import { buildSummary, type RunFigures } from './summary.js';
import { publicGroup, type ShardResult } from '../shard/result.js';
import type { Topology } from '../metrics/topology.js';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { stopReason } from '../report/exit-codes.js';
import { checkWorkloads } from './workload-check.js';
import { RssSampler } from '../metrics/rss.js';
import { checkMachineLimits } from '../options/limits.js';
import { checkIdentities } from '../options/identity.js';
import { checkCredentials } from '../options/credentials.js';
import { expectedStreams, willHearers } from '../metrics/topology.js';
import { resolveOptions, type ResolvedOptions, type RunOptions } from '../options/index.js';
import { Redactor } from '../report/secrets.js';
import { maskUrl } from '../mqtt/broker-url.js';
import { Aggregate } from '../metrics/aggregate.js';
import { UsageError } from '../errors.js';
import { now } from '../session/clock.js';
import { ThresholdWatch } from './threshold-watch.js';
import { clientOfSource } from '../mqtt/payload.js';

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
 * Every event, log line, file and the summary pass through one redactor made from the options' secrets.
 */
export async function run(input: RunOptions & RunControl = {}): Promise<Summary> {
  const options = resolveOptions(input);
  checkMachineLimits(options);
  return runResolved(options, input);
}

/**
 * run() with its options resolved and checked against the machine's limits already: the CLI
 * resolves them first (for its redactor and its progress line), and `compare` in its parent
 * process, so a run's options are resolved once (one run id, one reading of each file).
 */
export async function runResolved(options: ResolvedOptions, control: RunControl = {}): Promise<Summary> {
  const redactor = Redactor.of(options);
  const log = redactor.logger(control.logger ?? silentLogger);
  const emit = control.onEvent ?? (() => {});
  await checkWorkloads(options, control.signal);
  checkIdentities(options.groups, options.runId, options.shard);
  const credentialRows = checkCredentials(options.groups, options.runId, options.shard);
  // The metrics port is the last thing that can refuse: taken before the embedded broker starts
  // and before any --out file is created. Until the run starts, scrapes see an empty fleet.
  const live = { aggregate: new Aggregate([], latencyGroups(options).length, now()) };
  const metrics = options.metrics ? await listenForMetrics(options, live, log, redactor) : null;
  let broker: EmbeddedBroker | null = null;
  try {
    // Stopped already (an early Ctrl-C): nothing will connect, so no broker either.
    if (options.embeddedBroker && !control.signal?.aborted) {
      broker = await startBroker();
      options.brokers = [broker.url];
      for (const group of options.groups) {
        if (group.brokers.length === 0) group.brokers = [{ url: broker.url, cluster: 'default', tls: options.tls }];
      }
      log.info(
        { broker: broker.url, pid: broker.pid },
        `embedded Aedes broker listening on ${broker.url} (pid ${broker.pid})`,
      );
    }
    return await runAgainst(options, live, control.signal, emit, log, redactor, credentialRows);
  } finally {
    await broker?.stop();
    // The metrics server that fails to close costs nothing of the summary.
    await metrics
      ?.close()
      .catch((err: unknown) => log.warn({ err: String(err) }, `closing the metrics server: ${String(err)}`));
  }
}

/** `--metrics-port`, listening; a port that is taken (or a host that is not ours) is bad input, exit 2. */
async function listenForMetrics(
  options: ResolvedOptions,
  source: { readonly aggregate: Aggregate },
  log: Logger,
  redactor: Redactor,
): Promise<MetricsServer> {
  const { host, port } = options.metrics!;
  // prom-client is loaded only for a run that serves metrics.
  const { MetricsServer } = await import('../report/prometheus.js');
  const metrics = new MetricsServer(source, redactor.value({ run: options.runId, mode: fleetMode(options.groups) }));
  let url: string;
  try {
    url = await metrics.listen(host, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    const why =
      code === 'EADDRINUSE' ? 'EADDRINUSE: the port is taken' : code === 'EACCES' ? 'EACCES: not allowed' : code;
    // A host that is not one of ours (or does not resolve) is --metrics-host's fault; anything else, the port's.
    const option = ['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'].includes(code) ? '--metrics-host' : '--metrics-port';
    throw new UsageError(
      option,
      `${option}: cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} (${why})`,
    );
  }
  log.info({ metrics: url }, `Prometheus metrics on ${url}`);
  return metrics;
}

async function runAgainst(
  options: ResolvedOptions,
  live: { aggregate: Aggregate },
  signal: AbortSignal | undefined,
  emit: (e: RunEvent) => void,
  log: Logger,
  redactor: Redactor,
  /** Where each client's row of its credentials file starts, from the check: its lane reads it from there. */
  credentialRows: ReadonlyMap<number, number>,
): Promise<Summary> {
  const startedAt = new Date();
  const cpuStart = process.cpuUsage();
  const rss = new RssSampler();
  const fleet = planSessions(options);
  const shard = options.shard;
  // A shard runs the clients whose index modulo N is its own: every group spread evenly.
  const specs = shard ? fleet.filter((s) => s.index % shard.count === shard.index) : fleet;
  const local = new Set(specs.map((s) => s.index));
  for (const spec of specs) {
    const at = credentialRows.get(spec.index);
    if (at !== undefined) spec.credentialsAt = at;
  }
  const fleetTopology = expectedStreams(fleet, options.groups);
  // Receivers hear publishers in any shard: they classify by the whole fleet's plan.
  planHearing(fleet, fleetTopology.expected, options.groups);
  const topology = restrictTo(fleetTopology, local);
  const publishing = specs.filter((s) => s.pubTopic !== null).map((s) => s.index);
  const groups = latencyGroups(options);
  const lanes = planLanes(options, specs, groups);
  // A file that fails (disk full, ...) is said at once and dropped; the run and the summary go on.
  const outputs = await Outputs.open(
    options.outputs,
    ({ kind, path, error }) =>
      log.error(
        { out: path, err: error.message },
        `--out ${kind}=${path} failed (${error.message}): the file is incomplete`,
      ),
    signal,
  );
  // --out hdr=: the histograms cut at every stats line, from the same batches as the summary's.
  let hdrLog: HdrLog | null = null;
  // The boundary for events: stdout (through the caller), --out files, the shard-result line.
  const emitAll = <E extends RunEvent>(event: E): E => {
    const safe = redactor.value(event);
    if (event.type === 'stats') hdrLog?.cut(coordinator.startedAt + event.t);
    outputs.onEvent(safe);
    emit(safe);
    // After the stats line itself, so the interval that crossed a threshold is on record.
    if (event.type === 'stats') watch.check(coordinator.aggregate, event.t, coordinator.goAt, now());
    return safe;
  };
  const watch = new ThresholdWatch(options.thresholds, options.warmupMs, (reason) => coordinator.stop(reason), log);
  const host = await Hosts.open(lanes);
  const coordinator = new Coordinator(options, specs, topology, host, groups.length, emitAll, log);
  live.aggregate = coordinator.aggregate;
  coordinator.aggregate.willHearers = willHearers(fleet, options.groups);
  for (const g of options.groups)
    if (g.will !== null) coordinator.aggregate.wills.set(g.name, { expected: 0, received: 0 });
  if (options.outputs.some((o) => o.kind === 'hdr')) {
    const log = new HdrLog((text) => outputs.write('hdr', text), coordinator.startedAt, hdrTags(groups));
    coordinator.aggregate.onCounts = (histogram, pairs) => log.add(histogram, pairs);
    hdrLog = log;
  }
  let interrupted: string | null = null;
  const onAbort = (): void => {
    interrupted = stopReason(signal?.reason);
    coordinator.stop(`interrupted (${interrupted})`);
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  log.info(
    { mode: fleetMode(options.groups), threads: fleetThreads(options.groups), clients: specs.length },
    `starting ${specs.length} clients${shard ? ` (shard ${shard.index}/${shard.count} of ${options.clients})` : ''} (${describeFleet(options)}) against ${brokerUrls(options).join(', ')}`,
  );
  try {
    await coordinator.run(lanes);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await host.close();
  }
  const cpu = process.cpuUsage(cpuStart);
  const agg = coordinator.aggregate;
  const figures: RunFigures = {
    runId: options.runId,
    startedAt: startedAt.toISOString(),
    groups: options.groups,
    scenario: options.scenario,
    clients: specs.length,
    connected: agg.everConnected,
    gaveUp: agg.inState('gave-up'),
    failed: agg.inState('failed'),
    reconnects: agg.reconnects,
    comings: { churned: agg.churned, left: agg.left, wills: Object.fromEntries(agg.wills) },
    planned: plannedMessages(options.groups, publishing),
    publishers: publishing.length,
    totals: agg.totals,
    // A shard's own account: streams from other shards' publishers are left to `merge`.
    delivery: accountDelivery(
      coordinator.accountableStreams(),
      agg.publishers,
      shard ? agg.streams.filter((s) => local.has(clientOfSource(s.publisher))) : agg.streams,
      options.barrier,
      agg.subscribers,
    ),
    reasonCodes: agg.reasonCodes,
    connectMs: coordinator.connectMs,
    goAt: coordinator.goAt,
    lastPublishAt: agg.lastPublishAt,
    lastReceiveAt: agg.lastReceiveAt,
    latency: agg.latency,
    latencyGroups: groups,
    steps: agg.steps,
    scheduledLatency: agg.scheduledLatency,
    sendLag: agg.sendLag,
    requests: { counts: agg.requests.counts, roundTrip: agg.requests.roundTrip },
    loopDelays: coordinator.loopDelays,
    workMs: options.workMs,
    warmupMs: options.warmupMs,
    peakRssMb: Math.round(rss.stop() / 2 ** 20),
    cpuMs: { user: Math.round(cpu.user / 1000), system: Math.round(cpu.system / 1000) },
    cpuShare: cpuShareOf(coordinator.publishingCpu),
    interrupted,
    shard,
    threads: lanes.filter((s) => s.mode !== 'single-loop').length,
    lostThreads: coordinator.lostThreads,
    thresholds: options.thresholds,
    thresholdsCrossed: watch.crossed,
  };
  let summary = buildSummary(figures);
  try {
    if (shard) await writeShardResult(options, figures, coordinator, summary, specs, emitAll, log);
    summary = emitAll(summary);
  } finally {
    hdrLog?.close();
    // An output file that fails costs that output, never the summary.
    await outputs.close();
  }
  return summary;
}

/** CPU while publishing over the cores this process has, to two decimals; null if it never published (or for less than 100 ms: too short to judge). */
function cpuShareOf(p: { cpuMs: number; wallMs: number } | null): number | null {
  if (p === null || p.wallMs < 100) return null;
  return Math.round((p.cpuMs / (p.wallMs * availableParallelism())) * 100) / 100;
}

/** A shard's own accounting: only streams whose publisher and receivers all run here. */
function restrictTo(topology: Topology, local: ReadonlySet<number>): Topology {
  const restrict = (streams: Map<string, number[]>): Map<string, number[]> => {
    const out = new Map<string, number[]>();
    for (const [key, publishers] of streams) {
      if (!(topology.members.get(key) ?? []).every((m) => local.has(m))) continue;
      out.set(
        key,
        publishers.filter((p) => local.has(clientOfSource(p))),
      );
    }
    return out;
  };
  return { expected: restrict(topology.expected), members: topology.members, untracked: restrict(topology.untracked) };
}

/** `--out result=FILE` and, with --json, a `shard-result` line: what `merge` needs. */
async function writeShardResult(
  options: ResolvedOptions,
  f: RunFigures,
  coordinator: Coordinator,
  summary: Summary,
  specs: readonly SessionSpec[],
  emit: <E extends RunEvent>(event: E) => E,
  log: Logger,
): Promise<void> {
  const agg = coordinator.aggregate;
  // The plan goes out without credentials (publicGroup); emit() is the redactor's safety net over the rest.
  const result = emit<ShardResult>({
    type: 'shard-result',
    version: 1,
    runId: options.runId,
    shard: f.shard!,
    startedAt: f.startedAt,
    startAt: options.startAt,
    plan: {
      groups: options.groups.map(publicGroup),
      scenario: options.scenario,
      barrier: options.barrier,
      workMs: options.workMs,
      workClients: options.workClients,
      warmupMs: options.warmupMs,
      latencyGroups: [...f.latencyGroups],
    },
    clients: specs.map((s) => s.index),
    connected: f.connected,
    gaveUp: f.gaveUp,
    failed: f.failed,
    reconnects: f.reconnects,
    totals: f.totals,
    reasonCodes: [...agg.reasonCodes],
    connectMs: f.connectMs,
    goAt: f.goAt,
    lastPublishAt: f.lastPublishAt,
    lastReceiveAt: f.lastReceiveAt,
    latency: agg.latency.map(encodeHistogram),
    steps: agg.steps.map(encodeHistogram),
    scheduledLatency: encodeHistogram(agg.scheduledLatency),
    sendLag: encodeHistogram(agg.sendLag),
    ...(agg.requests.seen
      ? { requests: { counts: agg.requests.counts, roundTrip: encodeHistogram(agg.requests.roundTrip) } }
      : {}),
    loopDelays: [...f.loopDelays],
    publishers: [...agg.publishers.values()],
    streams: agg.streams,
    subscribers: agg.subscribers,
    readyAt: coordinator.connectMs > 0 ? Math.round(coordinator.startedAt + coordinator.connectMs) : null,
    embeddedBroker: options.embeddedBroker,
    peakRssMb: f.peakRssMb,
    cpuMs: f.cpuMs,
    interrupted: f.interrupted,
    summary,
  });
  for (const out of options.outputs) {
    if (out.kind !== 'result') continue;
    // Checked writable up front; should it fail now, the summary and the --json line still carry the figures.
    await writeFile(out.path, JSON.stringify(result)).catch((err: unknown) =>
      log.error(
        { out: out.path, err: String(err) },
        `--out result=${out.path} could not be written (${err instanceof Error ? err.message : String(err)})`,
      ),
    );
  }
}

function brokerUrls(options: ResolvedOptions): string[] {
  return [...new Set(options.groups.flatMap((g) => g.brokers.map((b) => maskUrl(b.url))))];
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
  const [only, ...others] = groups;
  if (only !== undefined && others.length === 0) return describeMode(only.mode, only.threads);
  return `${groups.length} groups: ${groups.map((g) => `${g.name} x ${g.count}, ${describeMode(g.mode, g.threads)}`).join('; ')}`;
}
