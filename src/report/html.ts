import type { Comparison } from '../compare.js';

/**
 * A self-contained HTML page for a comparison: data embedded as JSON, charts drawn as SVG by a
 * small inline script. No network, no libraries: it opens offline, from a file or an attachment.
 * Every bar carries data-chart/data-mode/data-series/data-value, so tests can read the numbers
 * back out of the rendered page.
 */
export function comparisonHtml(comparison: Comparison): string {
  // '<' escaped so no value can close the script element early.
  const data = JSON.stringify(comparison).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mqtt-fleet compare ${escapeHtml(comparison.runId)}</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 960px; color: #1d2430; padding: 0 1rem; }
  h1 { font-size: 1.4rem; margin-bottom: 0.2rem; }
  .sub { color: #5b6575; margin-top: 0; }
  section { margin: 2rem 0; }
  h2 { font-size: 1.05rem; margin-bottom: 0.4rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e3e6eb; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; }
  svg text { font: 12px system-ui, sans-serif; fill: #1d2430; }
  .legend span { display: inline-block; margin-right: 1rem; }
  .legend i { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: -0.1rem; }
</style>
</head>
<body>
<h1>mqtt-fleet compare <code>${escapeHtml(comparison.runId)}</code></h1>
<p class="sub" id="subtitle"></p>
<section><h2>Throughput (messages per second)</h2><div id="throughput"></div></section>
<section><h2>Latency percentiles (ms)</h2><div id="latency"></div></section>
<section id="work-section" hidden><h2>Latency of the other clients vs the working ones (ms)</h2><div id="work"></div></section>
<section><h2>Start-up, responsiveness and cost</h2><div id="resources"></div></section>
<script type="application/json" id="data">${data}</script>
<script>
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('data').textContent);
  var SVG = 'http://www.w3.org/2000/svg';
  var COLOURS = ['#3a6ea5', '#e07a2f', '#4f9d69', '#b5485d', '#7a5ba6', '#8c8c8c'];
  var MODES = { 'thread-per-client': 'thread per client', 'pool': 'pool', 'single-loop': 'single loop' };
  function label(row) { return MODES[row.mode] + ' (' + row.threads + (row.threads === 1 ? ' thread)' : ' threads)'); }
  function fmt(v) { return v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2); }
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function barChart(container, chart, series) {
    var rows = data.rows, width = 900, left = 215, right = 70, barH = 16, gap = 10;
    var groupH = series.length * barH + gap, height = rows.length * groupH + 10;
    var max = 0;
    series.forEach(function (s) { rows.forEach(function (r) { var v = s.value(r); if (v !== null && v > max) max = v; }); });
    var scale = (width - left - right) / (max || 1);
    var svg = el('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'data-chart': chart });
    rows.forEach(function (r, i) {
      var y0 = i * groupH + 5;
      var t = el('text', { x: 0, y: y0 + (series.length * barH) / 2 + 4 }, svg);
      t.textContent = label(r);
      series.forEach(function (s, j) {
        var v = s.value(r);
        if (v === null) return;
        var y = y0 + j * barH;
        var rect = el('rect', { x: left, y: y, width: Math.max(1, v * scale), height: barH - 2, fill: COLOURS[j % COLOURS.length],
          'class': 'bar', 'data-chart': chart, 'data-mode': r.mode, 'data-threads': r.threads, 'data-series': s.name, 'data-value': v }, svg);
        el('title', {}, rect).textContent = label(r) + ' ' + s.name + ': ' + fmt(v);
        var text = el('text', { x: left + Math.max(1, v * scale) + 4, y: y + barH - 5 }, svg);
        text.textContent = fmt(v);
      });
    });
    var legend = document.createElement('div');
    legend.className = 'legend';
    series.forEach(function (s, j) {
      var span = document.createElement('span');
      span.innerHTML = '<i style="background:' + COLOURS[j % COLOURS.length] + '"></i>';
      span.appendChild(document.createTextNode(s.name));
      legend.appendChild(span);
    });
    container.appendChild(legend);
    container.appendChild(svg);
  }
  function table(container) {
    var heads = ['mode', 'connect (ms)', 'loop delay p99 (ms)', 'peak RSS (MB)', 'CPU (s)', 'lost', 'gave up'];
    var html = '<table><thead><tr>' + heads.map(function (h) { return '<th>' + h + '</th>'; }).join('') + '</tr></thead><tbody>';
    data.rows.forEach(function (r) {
      var cells = [label(r), fmt(r.connectMs), r.loopDelayP99Ms === null ? '-' : fmt(r.loopDelayP99Ms), fmt(r.peakRssMb), fmt(r.cpuSeconds), r.lost, r.gaveUp];
      html += '<tr data-mode="' + r.mode + '">' + cells.map(function (c) { return '<td>' + c + '</td>'; }).join('') + '</tr>';
    });
    container.innerHTML = html + '</tbody></table>';
  }
  document.getElementById('subtitle').textContent = data.clients + ' clients, QoS ' + data.qos +
    (data.workMs > 0 ? ', ' + data.workMs + ' ms of CPU per message on the working clients' : '') + ' · started ' + data.startedAt +
    (data.interrupted ? ' · interrupted' : '');
  barChart(document.getElementById('throughput'), 'throughput', [
    { name: 'published/s', value: function (r) { return r.publishedPerSec; } },
    { name: 'received/s', value: function (r) { return r.receivedPerSec; } },
  ]);
  barChart(document.getElementById('latency'), 'latency', [
    { name: 'p50', value: function (r) { return r.latencyMs.p50; } },
    { name: 'p90', value: function (r) { return r.latencyMs.p90; } },
    { name: 'p99', value: function (r) { return r.latencyMs.p99; } },
    { name: 'p99.9', value: function (r) { return r.latencyMs.p999; } },
  ]);
  if (data.rows.some(function (r) { return r.workingMs; })) {
    document.getElementById('work-section').hidden = false;
    barChart(document.getElementById('work'), 'work', [
      { name: 'others p50', value: function (r) { return r.othersMs ? r.othersMs.p50 : null; } },
      { name: 'others p99', value: function (r) { return r.othersMs ? r.othersMs.p99 : null; } },
      { name: 'working p50', value: function (r) { return r.workingMs ? r.workingMs.p50 : null; } },
      { name: 'working p99', value: function (r) { return r.workingMs ? r.workingMs.p99 : null; } },
    ]);
  }
  table(document.getElementById('resources'));
  document.body.setAttribute('data-rendered', 'true');
})();
</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
