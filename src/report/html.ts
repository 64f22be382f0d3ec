import type { Comparison } from './events.js';
import { MODE_LABELS } from '../group.js';
import { escapeHtml, page } from './page.js';

/** `mqtt-fleet compare --report`: throughput, latency percentiles, others vs working, costs, per mode. */
export function comparisonHtml(comparison: Comparison): string {
  const body = `<h1>mqtt-fleet compare <code>${escapeHtml(comparison.runId)}</code></h1>
<p class="sub" id="subtitle"></p>
<section><h2>Verdict</h2><p id="verdict"></p></section>
<section><h2>Throughput (messages per second)</h2><div id="throughput"></div></section>
<section><h2>Latency percentiles (ms)</h2><div id="latency"></div></section>
<section><h2>Latency by percentile (ms; x: 1/(1-p), log scale)</h2><div id="percentiles"></div></section>
<section id="work-section" hidden><h2>Latency of the other clients vs the working ones (ms)</h2><p class="note" id="working-note" hidden></p><div id="work"></div></section>
<section><h2>Start-up, responsiveness and cost</h2><div id="resources"></div></section>`;
  const script = `
  var MODES = ${JSON.stringify(MODE_LABELS)};
  var rows = data.rows.map(function (r) {
    return { label: MODES[r.mode] + ' (' + r.threads + (r.threads === 1 ? ' thread)' : ' threads)'), data: { mode: r.mode, threads: r.threads }, r: r };
  });
  document.getElementById('subtitle').textContent = data.clients + ' clients, QoS ' + data.qos +
    (data.workMs > 0 ? ', ' + data.workMs + ' ms of CPU per message on the working clients' : '') + ' · started ' + data.startedAt +
    (data.interrupted ? ' · interrupted' : '');
  // Reports of an older mqtt-fleet have no verdict.
  document.getElementById('verdict').textContent = data.verdict ? data.verdict.text : 'no verdict in this comparison';
  barChart(document.getElementById('throughput'), 'throughput', rows, [
    { name: 'published/s', value: function (c) { return c.r.publishedPerSec; } },
    { name: 'received/s', value: function (c) { return c.r.receivedPerSec; } },
  ]);
  barChart(document.getElementById('latency'), 'latency', rows, [
    { name: 'p50', value: function (c) { return c.r.latencyMs.p50; } },
    { name: 'p90', value: function (c) { return c.r.latencyMs.p90; } },
    { name: 'p99', value: function (c) { return c.r.latencyMs.p99; } },
    { name: 'p99.9', value: function (c) { return c.r.latencyMs.p999; } },
  ]);
  percentileChart(document.getElementById('percentiles'), 'percentiles', rows.map(function (c) { return { name: c.label, summary: c.r.latencyMs }; }), 'ms');
  if (data.rows.some(function (r) { return r.workingMs; })) {
    document.getElementById('work-section').hidden = false;
    var faster = data.rows.filter(function (r) { return r.workingMs && r.othersMs && r.workingMs.p50 < r.othersMs.p50; });
    if (faster.length > 0) {
      var note = document.getElementById('working-note');
      note.hidden = false;
      note.textContent = 'Where the working clients look faster (' + faster.map(function (r) { return MODES[r.mode]; }).join(', ') +
        '): latency counts from when a message was sent, and a working client sends from the same busy event loop that does its work, ' +
        'so its delay falls before the send, where this figure cannot see it; latency from the schedule and send lag in each summary count it.';
    }
    barChart(document.getElementById('work'), 'work', rows, [
      { name: 'others p50', value: function (c) { return c.r.othersMs ? c.r.othersMs.p50 : null; } },
      { name: 'others p99', value: function (c) { return c.r.othersMs ? c.r.othersMs.p99 : null; } },
      { name: 'working p50', value: function (c) { return c.r.workingMs ? c.r.workingMs.p50 : null; } },
      { name: 'working p99', value: function (c) { return c.r.workingMs ? c.r.workingMs.p99 : null; } },
    ]);
  }
  var heads = ['mode', 'connect (ms)', 'loop delay p99 (ms)', 'peak RSS (MB)', 'CPU (s)', 'lost', 'gave up'];
  var html = '<table><thead><tr>' + heads.map(function (h) { return '<th>' + h + '</th>'; }).join('') + '</tr></thead><tbody>';
  rows.forEach(function (c) {
    var r = c.r;
    var cells = [c.label, fmt(r.connectMs), r.loopDelayP99Ms === null ? '-' : fmt(r.loopDelayP99Ms), fmt(r.peakRssMb), fmt(r.cpuSeconds), r.lost, r.gaveUp];
    html += '<tr data-mode="' + r.mode + '">' + cells.map(function (v) { return '<td>' + v + '</td>'; }).join('') + '</tr>';
  });
  document.getElementById('resources').innerHTML = html + '</tbody></table>';
`;
  return page(`mqtt-fleet compare ${comparison.runId}`, body, comparison, script);
}
