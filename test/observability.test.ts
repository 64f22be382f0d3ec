import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type RunEvent } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { renderedDom } from './helpers/chromium.js';
import { spawnCli } from './helpers/cli.js';
import { runForTest } from './helpers/run.js';
import { tempDir } from './helpers/temp.js';
import { Condition, withTimeout } from './helpers/wait.js';
import { metric, metricsUrl } from './helpers/prometheus.js';
import { at } from '../src/mqtt/checked.js';
import { FILE_LIMITS, readOptionFile } from '../src/options/files.js';
import { readRun } from '../src/report/run-report.js';
import { throwsUsage } from './helpers/usage.js';

test('--metrics-port serves Prometheus metrics during the run: clients by state, messages, latency histogram, labelled', async (t) => {
  const broker = await aedesForTest(t);
  const { logger, url } = metricsUrl();
  let published = 0;
  const changed = new Condition();
  const running = runForTest(t, {
    brokers: [broker.url],
    clients: 4,
    duration: '3s',
    rate: 50,
    qos: 1,
    threads: 2,
    metricsPort: 0,
    runId: 'prom',
    logger,
    statsInterval: '100ms',
    onEvent: (e: RunEvent) => {
      if (e.type === 'stats') published = e.published;
      changed.notify();
    },
  });
  await changed.until(() => url() !== '' && published > 100, 20_000, 'publishing with the metrics server up');
  const response = await fetch(url());
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
  const text = await response.text();
  // "connected" means connected: every client is, while publishing, whatever its state.
  assert.equal(metric(text, 'mqtt_fleet_clients_connected', 'run="prom"'), 4);
  // The states are one per client: they sum to the fleet.
  const states = [...text.matchAll(/^mqtt_fleet_clients\{state="([^"]+)"[^}]*\} (\d+)$/gm)];
  assert.equal(
    states.reduce((sum, m) => sum + Number(m[2]), 0),
    4,
    states.map((m) => m[0]).join('\n'),
  );
  assert.equal(
    metric(text, 'mqtt_fleet_clients', 'state="ready"') + metric(text, 'mqtt_fleet_clients', 'state="published"'),
    4,
  );
  assert.ok(
    !states.some((m) => m[1] === 'connected'),
    'no state named connected that counts only some connected clients',
  );
  assert.ok(metric(text, 'mqtt_fleet_messages_published_total', 'run="prom"') > 100);
  const received = metric(text, 'mqtt_fleet_messages_received_total', 'run="prom",mode="pool"');
  assert.ok(received > 0, `messages received by the scrape: ${received}`);
  const duplicates = metric(text, 'mqtt_fleet_messages_duplicates_total', 'run="prom",mode="pool"');
  const count = metric(text, 'mqtt_fleet_latency_seconds_count');
  // Counters and latencies come in together, batch by batch: one latency per distinct message received.
  assert.equal(count, received - duplicates, 'the latency histogram holds every message received so far, once');
  assert.equal(metric(text, 'mqtt_fleet_latency_seconds_bucket', 'le="+Inf"'), count);
  assert.ok(
    metric(text, 'mqtt_fleet_latency_seconds_bucket', 'le="0.0005"') <=
      metric(text, 'mqtt_fleet_latency_seconds_bucket', 'le="1"'),
  );
  // Every message is paced: each received one has a latency from its schedule too, each sent one a send lag.
  assert.equal(metric(text, 'mqtt_fleet_scheduled_latency_seconds_count'), count);
  assert.equal(metric(text, 'mqtt_fleet_send_lag_seconds_count'), metric(text, 'mqtt_fleet_messages_published_total'));
  assert.ok(metric(text, 'mqtt_fleet_late_sends_total') >= 0);
  // Offered: what the plan had due, never behind what was sent (a paced publisher is not early;
  // phases shift each by under one message) and never past the plan's 600.
  const offered = metric(text, 'mqtt_fleet_messages_offered_total', 'run="prom"');
  const sent = metric(text, 'mqtt_fleet_messages_published_total');
  assert.ok(offered >= sent - 2 * 4 && offered <= 600, `offered ${offered}, published ${sent}`);
  assert.equal(metric(text, 'mqtt_fleet_churns_total'), 0);
  assert.doesNotMatch(text, /^mqtt_fleet_wills_expected_total\{/m, 'no group has a will');
  assert.ok(metric(text, 'mqtt_fleet_process_resident_memory_bytes') > 0);
  // Each step is a histogram of its own, labelled by step: every client connected and subscribed once.
  assert.equal(metric(text, 'mqtt_fleet_step_seconds_count', 'step="connack"'), 4);
  assert.equal(metric(text, 'mqtt_fleet_step_seconds_bucket', 'step="suback",le="+Inf"'), 4);
  assert.equal(metric(text, 'mqtt_fleet_step_seconds_count', 'step="tlsHandshake"'), 0);
  const acks = metric(text, 'mqtt_fleet_step_seconds_count', 'step="puback"');
  assert.ok(acks > 0 && acks <= metric(text, 'mqtt_fleet_messages_acked_total'), `PUBACKs timed: ${acks}`);
  const summary = await running;
  assert.equal(
    summary.exitCode,
    0,
    `shortfall: ${summary.shortfall.join(', ')}; published ${summary.published} of ${summary.planned}, acked ${summary.acked}, lost ${summary.lost}`,
  );
  assert.equal(summary.steps.pubackMs.count, summary.acked, 'every acknowledgement timed');
  assert.ok(summary.received >= received, 'the run went on from where it was scraped');
  assert.equal(
    summary.latencyMs.count,
    summary.received - summary.duplicates,
    "the run's own histogram: every message received, once",
  );
  await assert.rejects(fetch(url()), 'the metrics server stops with the run');
});

test('--out csv= and ndjson=, and mqtt-fleet report renders the run as an HTML page that holds its numbers', async (t) => {
  const broker = await aedesForTest(t);
  const dir = tempDir(t, 'obs');
  const csv = join(dir, 'run.csv');
  const ndjson = join(dir, 'run.ndjson');
  const cli = spawnCli(
    t,
    [
      'run',
      '-b',
      broker.url,
      '-c',
      '4',
      // A count, not a duration: publishers catch up after the pause below, so the plan is met.
      '--count',
      '100',
      '--rate',
      '50',
      '--stats-interval',
      '250ms',
      // A pool of two: the header still names worker threads and their mode, two started, not four.
      '--threads',
      '2',
      '--out',
      `csv=${csv}`,
      '--out',
      `ndjson=${ndjson}`,
      '--json',
    ],
    { json: true },
  );
  // Stopped for a while once publishing runs, as a laptop lid or a debugger would: the stats lines
  // have a gap and latency a spike, as a report must show them.
  await cli.changed.until(
    () => cli.lines.some((l) => l.type === 'stats' && (l.published as number) > 0),
    20_000,
    'publishing',
  );
  cli.child.kill('SIGSTOP');
  await new Promise((resolve) => setTimeout(resolve, 1200));
  cli.child.kill('SIGCONT');
  assert.equal((await withTimeout(cli.exit, 30_000, 'the run')).code, 0, cli.stderr());
  const events = readFileSync(ndjson, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const stats = events.filter((e) => e.type === 'stats');
  const summary = events.at(-1)!;
  assert.equal(summary.type, 'summary');
  const rows = readFileSync(csv, 'utf8').trim().split('\n');
  // The original columns first, unchanged; the schedule's, the connect rate, each step's percentiles and the offered load after them.
  const steps = ['tcp_connect', 'tls_handshake', 'connack', 'suback', 'puback', 'pubcomp', 'reconnect'].flatMap((s) => [
    `${s}_p50_ms`,
    `${s}_p99_ms`,
    `${s}_max_ms`,
  ]);
  assert.equal(
    rows[0],
    [
      't_s,connected,reconnecting,gave_up,failed,published,received,published_per_sec,received_per_sec,latency_p50_ms,latency_p99_ms,latency_max_ms,loop_delay_p99_ms,rss_mb',
      'scheduled_latency_p50_ms,scheduled_latency_p99_ms,scheduled_latency_max_ms,send_lag_p50_ms,send_lag_p99_ms,send_lag_max_ms,late_sends',
      'connects_per_sec',
      ...steps,
      'offered,offered_per_sec',
    ].join(','),
  );
  assert.equal(rows.length - 1, stats.length, 'one row per stats line');
  const last = rows.at(-1)!.split(',');
  assert.equal(Number(last[5]), stats.at(-1)!.published);
  assert.equal(Number(last[6]), summary.received);
  // The interval in which the clients connected shows its rate, and the one their CONNACKs were
  // counted in (a batch may carry them into the next interval) their CONNACK times.
  const header = rows[0].split(',');
  const cells = rows.slice(1).map((r) => r.split(','));
  const rated = stats.findIndex((s) => (s as { connectsPerSec: number }).connectsPerSec > 0);
  assert.ok(rated >= 0, 'a stats line with connects in it');
  assert.equal(
    Number(cells[rated]![header.indexOf('connects_per_sec')]),
    (stats[rated] as { connectsPerSec: number }).connectsPerSec,
  );
  const connectRow = cells.findIndex((r) => r[header.indexOf('connack_p50_ms')] !== '');
  assert.ok(connectRow >= 0, 'a row with CONNACK times');
  const connected = stats[connectRow]! as { stepsMs: { connackMs: { p99: number } } };
  assert.equal(
    Number(rows[connectRow + 1]!.split(',')[header.indexOf('connack_p99_ms')]),
    connected.stepsMs.connackMs.p99,
  );
  assert.equal(Number(last[20]), summary.lateSends, 'late sends so far, in the last row: all of them');
  const withSchedule = stats.find((s) => s.scheduledLatencyMs !== null) as
    { t: number; scheduledLatencyMs: { p99: number } } | undefined;
  assert.ok(withSchedule, 'a stats line with latency from the schedule');
  assert.equal(
    Number(rows[stats.indexOf(withSchedule as never) + 1]!.split(',')[15]),
    withSchedule.scheduledLatencyMs.p99,
  );

  const report = join(dir, 'report.html');
  const rendered = spawnCli(t, ['report', ndjson, '-o', report]);
  assert.equal((await withTimeout(rendered.exit, 15_000, 'the report')).code, 0, rendered.stderr());
  const html = readFileSync(report, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/, 'self-contained');
  const dom = await renderedDom(report);
  assert.match(dom, /<body[^>]*data-rendered="true"/);
  // No line across the pause: the received/s line breaks where a stats interval is missing.
  const times = stats.map((s) => s.t as number);
  const gaps = times.filter((t, n) => n > 0 && t - at(times, n - 1) > 1000).length;
  assert.ok(gaps >= 1, 'the pause left a gap in the stats lines');
  assert.equal(
    dom.match(/<polyline [^>]*data-chart="throughput" data-series="received\/s"/g)?.length,
    gaps + 1,
    'one line per stretch without a gap',
  );
  // Latency over time in decades, so the p50 stays readable beside the pause's spike.
  assert.match(dom, /<svg [^>]*data-chart="latency-time" data-scale="log"/);
  const decades = [...dom.matchAll(/data-axis="y" data-value="([\d.e-]+)"/g)].map((m) => Number(m[1]));
  assert.ok(decades.includes(1) && decades.includes(10), `decade ticks: ${decades.join(', ')}`);
  // Time axes with labelled ticks.
  assert.match(dom, /<text [^>]*class="tick" data-axis="x" data-value="1000">1<\/text>/);
  assert.match(dom, /seconds since the run started/);
  // The header names what ran.
  const headed = (name: string): string =>
    at(new RegExp(`<tr data-header="${name}"><td>${name}</td><td>([^<]*)</td>`).exec(dom) ?? [], 1);
  assert.equal(headed('broker'), broker.url);
  assert.equal(headed('clients'), '4');
  assert.match(headed('rate'), /^[\d,.]+ msg\/s published, [\d,.]+ msg\/s received \(\d+ planned, phase spread\)$/);
  assert.match(headed('duration'), /^\d+\.\d s$/);
  assert.equal(headed('QoS'), '0');
  assert.equal(headed('threads'), '2 worker threads (pool)');
  assert.equal(headed('work'), 'none');
  const points = [
    ...dom.matchAll(
      /<circle [^>]*data-chart="throughput"[^>]*data-series="received\/s"[^>]*data-t="(\d+)"[^>]*data-value="([\d.]+)"/g,
    ),
  ];
  assert.equal(points.length, stats.length, 'a point per stats interval');
  points.forEach((p, n) => {
    assert.equal(Number(p[1]), at(stats, n).t);
    assert.equal(Number(p[2]), at(stats, n).receivedPerSec);
  });
  const p99 =
    /<rect [^>]*data-chart="latency"[^>]*data-series="p99"[^>]*data-value="([\d.]+)"[^>]*data-figure="latencyMs"/.exec(
      dom,
    );
  assert.equal(Number(p99![1]), (summary.latencyMs as { p99: number }).p99);
  assert.match(dom, new RegExp(`<tr data-figure="received"><td>received</td><td>${String(summary.received)}</td>`));
  // Latency by percentile: a point per percentile at the summary's figure, message latency and each step that happened.
  const point = (chart: string, series: string, percentile: number): number => {
    const m = new RegExp(
      `<circle [^>]*data-chart="${chart}"[^>]*data-series="${series}"[^>]*data-percentile="${percentile}"[^>]*data-value="([\\d.]+)"`,
    ).exec(dom);
    assert.ok(m, `${chart} ${series} p${percentile}`);
    return Number(m[1]);
  };
  const latency = summary.latencyMs as Record<string, number>;
  for (const [p, key] of [
    [50, 'p50'],
    [90, 'p90'],
    [99, 'p99'],
    [99.9, 'p999'],
    [100, 'max'],
  ] as const)
    assert.equal(point('percentiles', 'all clients', p), latency[key]);
  const stepFigures = summary.steps as Record<string, Record<string, number>>;
  assert.equal(point('step-percentiles', 'connack', 50), stepFigures.connackMs!.p50);
  assert.equal(point('step-percentiles', 'suback', 99), stepFigures.subackMs!.p99);
  assert.doesNotMatch(
    dom,
    /data-chart="step-percentiles" data-series="tlsHandshake"/,
    'steps that never happened are left out',
  );
});

test('--out: a file that fails mid-run (a full disk) is logged and costs only that file, never the summary', async (t) => {
  const broker = await aedesForTest(t);
  const csv = join(tempDir(t), 'run.csv');
  // /dev/full passes every up-front check and fails every write with ENOSPC.
  const cli = spawnCli(t, [
    'run',
    '-b',
    broker.url,
    '-c',
    '2',
    '--count',
    '20',
    '--rate',
    '50',
    '--out',
    'ndjson=/dev/full',
    '--out',
    `csv=${csv}`,
    // One loop: the outputs are the main thread's, whatever the mode.
    '--threads',
    '0',
  ]);
  assert.equal((await withTimeout(cli.exit, 30_000, 'the run')).code, 0, cli.stderr());
  assert.match(cli.stderr(), /--out ndjson=\/dev\/full failed \(ENOSPC[^)]*\): the file is incomplete/);
  assert.equal(cli.stderr().match(/--out ndjson=\/dev\/full failed/g)?.length, 1, 'said once');
  assert.match(cli.stderr(), /40 received/);
  assert.match(cli.stderr(), /result: ok \(exit 0\)/);
  assert.ok(readFileSync(csv, 'utf8').split('\n').length > 2, 'the other output is written in full');
});

test('mqtt-fleet report: a missing or malformed input is one clear line and exit 2', async (t) => {
  const dir = tempDir(t, 'obs');
  const bad = join(dir, 'bad.ndjson');
  writeFileSync(bad, '{"type":"stats","t":1}\nnot json\n');
  // Spawned: what the process adds to a refusal (exit 2, one line), for a missing argument.
  const cli = spawnCli(t, ['report', bad]);
  assert.equal((await withTimeout(cli.exit, 15_000, 'report')).code, 2);
  assert.match(cli.stderr(), /Missing required argument: output/);
  assert.equal(cli.stderr().trim().split('\n').length, 1);
  // A missing and a malformed input: refused by what the command reads them with, in this process.
  const read = (input: string) => () => readRun(input, readOptionFile('report', input, FILE_LIMITS.runData));
  throwsUsage(read(join(dir, 'none.ndjson')), /cannot read .* \(ENOENT\)/);
  throwsUsage(read(bad), /bad\.ndjson:2: not a JSON line/);
});
