import { UsageError } from '../errors.js';
import type { Comparison, Summary } from './events.js';
import type { StatsLine } from '../metrics/stats-line.js';
import { escapeHtml, page } from './page.js';

export interface RunRecord {
  stats: StatsLine[];
  summary: Summary | null;
  /** A `compare --json` file: its comparison line (the page is the comparison's). */
  comparison: Comparison | null;
}

/**
 * A run's NDJSON (`--json` or `--out ndjson=`), the text of `file` as the caller read it (the
 * options layer's reader, with its bounds); every line must be one of its events.
 */
export function readRun(file: string, text: string): RunRecord {
  const record: RunRecord = { stats: [], summary: null, comparison: null };
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '') return;
    let event: { type?: unknown };
    try {
      event = JSON.parse(line) as { type?: unknown };
    } catch {
      throw new UsageError(
        'report',
        `${file}:${n + 1}: not a JSON line (an NDJSON file from --json or --out ndjson= is expected)`,
      );
    }
    if (event.type === 'stats') record.stats.push(event as StatsLine);
    else if (event.type === 'summary') record.summary = event as unknown as Summary;
    else if (event.type === 'comparison') record.comparison = event as unknown as Comparison;
  });
  if (record.stats.length === 0 && record.summary === null && record.comparison === null) {
    throw new UsageError(
      'report',
      `${file} has no stats, summary or comparison lines: write it with mqtt-fleet run --json, --out ndjson=FILE or mqtt-fleet compare --json`,
    );
  }
  return record;
}

/** `mqtt-fleet report run.ndjson -o report.html`: throughput, connections and latency over time, and the summary. */
export function runReportHtml(record: RunRecord, source: string): string {
  const s = record.summary;
  const title = s ? `mqtt-fleet run ${s.runId}` : `mqtt-fleet run (${source})`;
  const body = `<h1>${escapeHtml(title)}</h1>
<p class="sub" id="subtitle"></p>
<table id="header"><tbody></tbody></table>
<p class="note" id="working-note" hidden></p>
<section id="groups-section" hidden><h2>Groups</h2><div id="groups"></div></section>
<section><h2>Throughput over time (messages per second)</h2><div id="throughput"></div></section>
<section><h2>Connections over time</h2><div id="connections"></div></section>
<section><h2>Latency over time (ms per interval, log scale)</h2><div id="latency-time"></div></section>
<section id="percentile-section"><h2>Latency by percentile (ms, log scale; x: 1/(1-p), log scale)</h2><div id="percentiles"></div></section>
<section id="steps-section"><h2>Connection and acknowledgement steps by percentile (ms)</h2><div id="step-percentiles"></div></section>
<section id="summary-section"><h2>Latency percentiles over the whole run (ms)</h2><div id="latency"></div><div id="figures"></div></section>`;
  const script = `
  var s = data.summary;
  document.getElementById('subtitle').textContent = s
    ? 'started ' + s.startedAt + (s.interrupted ? ' · interrupted' : '')
    : data.stats.length + ' stats intervals (no summary line: the run did not finish)';
  if (s) {
    // What ran, in one look: the figures a reader needs before any chart.
    var threads = s.mode === 'single-loop' ? 'one event loop' : s.threads + ' worker thread' + (s.threads === 1 ? '' : 's') + ' (' + s.mode + ')';
    var header = [['broker', s.brokers.join(', ')], ['clients', s.clients + (s.scenario ? ' in ' + (s.groups || []).length + ' groups (' + s.scenario + ')' : '')],
      ['rate', fmt(s.publishedPerSec) + ' msg/s published, ' + fmt(s.receivedPerSec) + ' msg/s received (' + s.planned + ' planned' + (s.phase ? ', phase ' + s.phase : ', unpaced') + ')'],
      ['duration', (s.durationMs / 1000).toFixed(1) + ' s' + (s.warmup ? ' (first ' + (s.warmup.ms / 1000).toFixed(1) + ' s warm-up)' : '')],
      ['QoS', s.qos], ['threads', threads], ['work', s.workMs > 0 ? s.workMs + ' ms of CPU per received message on the working clients' : 'none']];
    document.querySelector('#header tbody').innerHTML = header.map(function (h) {
      return '<tr data-header="' + h[0] + '"><td>' + h[0] + '</td><td></td></tr>';
    }).join('');
    header.forEach(function (h) { document.querySelector('#header tr[data-header="' + h[0] + '"] td:last-child').textContent = String(h[1]); });
    if (s.groups) {
      document.getElementById('groups-section').hidden = false;
      document.getElementById('groups').innerHTML = '<table><thead><tr><th>group</th><th>clients</th><th>mode</th><th>threads</th></tr></thead><tbody>' +
        s.groups.map(function (g) { return '<tr data-group="' + g.name + '"><td>' + g.name + '</td><td>' + g.clients + '</td><td>' + g.mode + '</td><td>' + g.threads + '</td></tr>'; }).join('') + '</tbody></table>';
    }
    var o = s.latencyMs.others, w = s.latencyMs.working;
    if (o && w && w.count > 0 && o.count > 0 && w.p50 < o.p50) {
      var note = document.getElementById('working-note');
      note.hidden = false;
      note.textContent = 'The working clients look faster (p50 ' + fmt(w.p50) + ' ms against ' + fmt(o.p50) + ' ms) because latency counts from when a message was sent, ' +
        'and a working client sends from the same busy event loop that does its work: its delay falls before the send, where this figure cannot see it. ' +
        'Latency from the schedule' + (s.scheduledLatencyMs ? ' (p99 ' + fmt(s.scheduledLatencyMs.p99) + ' ms for all clients)' : '') + ' and the send lag count it.';
    }
  }
  lineChart(document.getElementById('throughput'), 'throughput', data.stats, [
    { name: 'offered/s', value: function (p) { return p.offeredPerSec === undefined ? null : p.offeredPerSec; } },
    { name: 'published/s', value: function (p) { return p.publishedPerSec; } },
    { name: 'received/s', value: function (p) { return p.receivedPerSec; } },
  ], 'msg/s');
  var connections = [
    { name: 'connected', value: function (p) { return p.connected; } },
    { name: 'reconnecting', value: function (p) { return p.reconnecting; } },
    { name: 'gave up', value: function (p) { return p.gaveUp; } },
    { name: 'failed', value: function (p) { return p.failed; } },
  ];
  /* --client-stages: the count the plan called for, beside the one reached. */
  if (data.stats.some(function (p) { return p.plannedClients !== undefined; }))
    connections.splice(1, 0, { name: 'planned', value: function (p) { return p.plannedClients === undefined ? null : p.plannedClients; } });
  lineChart(document.getElementById('connections'), 'connections', data.stats, connections, 'clients');
  lineChart(document.getElementById('latency-time'), 'latency-time', data.stats, [
    { name: 'p50', value: function (p) { return p.latencyMs ? p.latencyMs.p50 : null; } },
    { name: 'p99', value: function (p) { return p.latencyMs ? p.latencyMs.p99 : null; } },
    { name: 'p99 from schedule', value: function (p) { return p.scheduledLatencyMs ? p.scheduledLatencyMs.p99 : null; } },
  ], 'ms', { log: true });
  if (!s) {
    document.getElementById('summary-section').hidden = true;
    document.getElementById('percentile-section').hidden = true;
    document.getElementById('steps-section').hidden = true;
    return;
  }
  var messages = [{ name: 'all clients', summary: s.latencyMs }];
  if (s.latencyMs.others) messages.push({ name: 'others', summary: s.latencyMs.others });
  if (s.latencyMs.working) messages.push({ name: 'working', summary: s.latencyMs.working });
  percentileChart(document.getElementById('percentiles'), 'percentiles', messages.filter(function (m) { return m.summary.count > 0; }), 'ms');
  /* Summaries of older runs have no steps. */
  var steps = Object.keys(s.steps || {}).filter(function (k) { return s.steps[k].count > 0; }).map(function (k) {
    return { name: k.replace(/Ms$/, ''), summary: s.steps[k] };
  });
  if (steps.length === 0) document.getElementById('steps-section').hidden = true;
  else percentileChart(document.getElementById('step-percentiles'), 'step-percentiles', steps, 'ms');
  // Receive minus actual send, receive minus scheduled send, and the publishers' lag (absent in older runs' files, or unpaced).
  var rows = [{ label: 'latency', data: { figure: 'latencyMs' }, l: s.latencyMs }];
  if (s.scheduledLatencyMs) rows.push({ label: 'from schedule', data: { figure: 'scheduledLatencyMs' }, l: s.scheduledLatencyMs });
  if (s.sendLagMs) rows.push({ label: 'send lag', data: { figure: 'sendLagMs' }, l: s.sendLagMs });
  barChart(document.getElementById('latency'), 'latency', rows, [
    { name: 'p50', value: function (c) { return c.l.p50; } },
    { name: 'p90', value: function (c) { return c.l.p90; } },
    { name: 'p99', value: function (c) { return c.l.p99; } },
    { name: 'p99.9', value: function (c) { return c.l.p999; } },
    { name: 'max', value: function (c) { return c.l.max; } },
  ]);
  var figures = [['published', s.published], ['received', s.received], ['lost', s.lost], ['in flight', s.inFlight], ['duplicates', s.duplicates],
    ['out of order', s.outOfOrder], ['connected', s.connected + '/' + s.clients], ['gave up', s.gaveUp], ['failed', s.failed], ['reconnects', s.reconnects],
    ['churned', s.churned], ['left as planned', s.left],
    ['connect (ms)', s.connectMs], ['duration (ms)', s.durationMs], ['published/s', s.publishedPerSec], ['received/s', s.receivedPerSec],
    ['peak RSS (MB)', s.peakRssMb], ['late sends', s.lateSends], ['phase', s.phase],
    ['warm-up (ms)', s.warmup ? s.warmup.ms : 0],
    ['generator limited', s.generatorLimited ? (s.generatorLimited.limited ? 'yes: ' + s.generatorLimited.reasons.map(function (r) { return r.signal; }).join(', ') : 'no') : undefined],
    ['exit code', s.exitCode]].filter(function (f) { return f[1] !== undefined; });
  document.getElementById('figures').innerHTML = '<table><tbody>' + figures.map(function (f) {
    return '<tr data-figure="' + f[0] + '"><td>' + f[0] + '</td><td>' + f[1] + '</td></tr>';
  }).join('') + '</tbody></table>';
`;
  return page(title, body, { stats: record.stats, summary: s }, script);
}
