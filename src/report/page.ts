/**
 * The frame of mqtt-fleet's self-contained HTML reports: data embedded as JSON, charts drawn as
 * inline SVG by a small script, no network and no libraries, so a report opens offline (a file,
 * an attachment). Every mark carries data-chart/data-series/data-value (and data-mode or data-t),
 * so tests read the numbers back out of the page Chromium rendered.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Chart helpers available to a page's script: barChart(container, chart, categories, series),
 * lineChart(container, chart, points, series), percentileChart(container, chart, series).
 */
const CHARTS = `
  var SVG = 'http://www.w3.org/2000/svg';
  var COLOURS = ['#3a6ea5', '#e07a2f', '#4f9d69', '#b5485d', '#7a5ba6', '#8c8c8c'];
  function fmt(v) { return v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2); }
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function legend(container, series) {
    var div = document.createElement('div');
    div.className = 'legend';
    series.forEach(function (s, j) {
      var span = document.createElement('span');
      span.innerHTML = '<i style="background:' + COLOURS[j % COLOURS.length] + '"></i>';
      span.appendChild(document.createTextNode(s.name));
      div.appendChild(span);
    });
    container.appendChild(div);
  }
  /* Horizontal grouped bars: one group per category (row), one bar per series. */
  function barChart(container, chart, categories, series) {
    var width = 900, left = 215, right = 70, barH = 16, gap = 10;
    var groupH = series.length * barH + gap, height = categories.length * groupH + 10, max = 0;
    series.forEach(function (s) { categories.forEach(function (c) { var v = s.value(c); if (v !== null && v > max) max = v; }); });
    var scale = (width - left - right) / (max || 1);
    var svg = el('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'data-chart': chart });
    categories.forEach(function (c, i) {
      var y0 = i * groupH + 5;
      el('text', { x: 0, y: y0 + (series.length * barH) / 2 + 4 }, svg).textContent = c.label;
      series.forEach(function (s, j) {
        var v = s.value(c);
        if (v === null) return;
        var y = y0 + j * barH, w = Math.max(1, v * scale);
        var attrs = { x: left, y: y, width: w, height: barH - 2, fill: COLOURS[j % COLOURS.length], 'class': 'bar', 'data-chart': chart, 'data-series': s.name, 'data-value': v };
        for (var k in c.data || {}) attrs['data-' + k] = c.data[k];
        el('title', {}, el('rect', attrs, svg)).textContent = c.label + ' ' + s.name + ': ' + fmt(v);
        el('text', { x: left + w + 4, y: y + barH - 5 }, svg).textContent = fmt(v);
      });
    });
    legend(container, series);
    container.appendChild(svg);
  }
  /* A tick label: no trailing zeros (1.5, 10, 1,000), small values to one significant digit (0.05). */
  function tick(v) {
    if (v >= 1000) return Math.round(v).toLocaleString('en-US');
    return String(v >= 1 || v === 0 ? Number(v.toFixed(2)) : Number(v.toPrecision(1)));
  }
  /* 1, 2 or 5 times a power of ten: about \`count\` steps over \`range\`. */
  function niceStep(range, count) {
    var raw = (range || 1) / count, power = Math.pow(10, Math.floor(Math.log10(raw))), n = raw / power;
    return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * power;
  }
  /*
   * A value axis over [y0 (top), y1 (bottom)] pixels: linear from 0, or logarithmic by decades
   * (latency: a p50 of 1 ms stays readable beside an 8 s spike; values of 0 sit on the floor).
   */
  function valueAxis(values, log, y0, y1) {
    var max = 0, minPositive = Infinity;
    values.forEach(function (v) { if (v > max) max = v; if (v > 0 && v < minPositive) minPositive = v; });
    if (log && minPositive !== Infinity) {
      var lo = Math.floor(Math.log10(minPositive)), hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
      var ticks = [];
      for (var d = lo; d <= hi; d++) ticks.push(Math.pow(10, d));
      return { log: true, ticks: ticks, y: function (v) { return v <= 0 ? y1 : y1 - ((Math.log10(v) - lo) / (hi - lo)) * (y1 - y0); } };
    }
    var step = niceStep(max || 1, 4), top = Math.max(step, Math.ceil((max || 1) / step) * step), lin = [];
    for (var v = 0; v <= top + step / 2; v += step) lin.push(v);
    return { log: false, ticks: lin, y: function (v) { return y1 - (v / top) * (y1 - y0); } };
  }
  function yAxis(svg, axis, left, right, width, unit) {
    axis.ticks.forEach(function (v) {
      var y = axis.y(v);
      el('line', { x1: left, y1: y, x2: width - right, y2: y, stroke: v === axis.ticks[0] ? '#c6ccd4' : '#eef0f3' }, svg);
      el('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', 'class': 'tick', 'data-axis': 'y', 'data-value': v }, svg).textContent = tick(v);
    });
    if (unit) el('text', { x: 12, y: 12, 'class': 'axis-title', 'data-axis': 'y' }, svg).textContent = unit + (axis.log ? ' (log scale)' : '');
  }
  /*
   * Lines over time: points [{t, ...}], a dot per point; a line joins two dots only when no
   * interval is missing between them (a paused process, a lost stats line) and neither is empty.
   * opts.log: the value axis in decades.
   */
  function lineChart(container, chart, points, series, unit, opts) {
    opts = opts || {};
    var width = 900, height = 260, left = 70, right = 20, top = 22, bottom = 40;
    var tMax = points.length ? points[points.length - 1].t : 1;
    var values = [];
    series.forEach(function (s) { points.forEach(function (p) { var v = s.value(p); if (v !== null) values.push(v); }); });
    var axis = valueAxis(values, opts.log, top, height - bottom);
    var x = function (t) { return left + (t / (tMax || 1)) * (width - left - right); };
    var svg = el('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'data-chart': chart, 'data-scale': axis.log ? 'log' : 'linear' });
    yAxis(svg, axis, left, right, width, unit);
    var step = niceStep(tMax / 1000, 8) * 1000;
    for (var t = 0; t <= tMax; t += step) {
      el('line', { x1: x(t), y1: height - bottom, x2: x(t), y2: height - bottom + 4, stroke: '#8c8c8c' }, svg);
      el('text', { x: x(t), y: height - bottom + 16, 'text-anchor': 'middle', 'class': 'tick', 'data-axis': 'x', 'data-value': t }, svg).textContent = tick(t / 1000);
    }
    el('text', { x: (left + width - right) / 2, y: height - 4, 'text-anchor': 'middle', 'class': 'axis-title', 'data-axis': 'x' }, svg).textContent = 'seconds since the run started';
    // The usual spacing of the stats lines: a step much longer than it is a gap.
    var steps = [];
    for (var i = 1; i < points.length; i++) steps.push(points[i].t - points[i - 1].t);
    steps.sort(function (a, b) { return a - b; });
    var usual = steps.length ? steps[Math.floor(steps.length / 2)] : Infinity;
    series.forEach(function (s, j) {
      var colour = COLOURS[j % COLOURS.length], path = [], previous = null;
      var flush = function () {
        if (path.length > 1) el('polyline', { points: path.join(' '), fill: 'none', stroke: colour, 'stroke-width': 1.5, 'class': 'segment', 'data-chart': chart, 'data-series': s.name }, svg);
        path = [];
      };
      points.forEach(function (p) {
        var v = s.value(p);
        if (v === null || (previous !== null && p.t - previous > 1.5 * usual)) flush();
        previous = p.t;
        if (v === null) return;
        path.push(x(p.t).toFixed(1) + ',' + axis.y(v).toFixed(1));
        el('title', {}, el('circle', { cx: x(p.t), cy: axis.y(v), r: 2.5, fill: colour, 'class': 'point', 'data-chart': chart, 'data-series': s.name, 'data-t': p.t, 'data-value': v }, svg))
          .textContent = s.name + ' at ' + (p.t / 1000).toFixed(1) + ' s: ' + fmt(v);
      });
      flush();
    });
    legend(container, series);
    container.appendChild(svg);
  }
  /*
   * Latency by percentile, as HdrHistogram and wrk2 plot it: x is 1/(1-p) on a log scale (p50 at
   * 2, p90 at 10, p99 at 100, p99.9 at 1000), y the latency; the max one decade past the last
   * percentile. series: [{ name, summary }] with summary { p50, p90, p99, p999, max }.
   */
  var PERCENTILES = [['50%', 50, 'p50'], ['90%', 90, 'p90'], ['99%', 99, 'p99'], ['99.9%', 99.9, 'p999'], ['max', 100, 'max']];
  function percentileChart(container, chart, series, unit) {
    var width = 900, height = 260, left = 70, right = 20, top = 22, bottom = 34;
    var decades = PERCENTILES.length - 1;
    var values = [];
    series.forEach(function (s) { PERCENTILES.forEach(function (p) { values.push(s.summary[p[2]]); }); });
    var axis = valueAxis(values, true, top, height - bottom);
    var x = function (n) { return left + (n / decades) * (width - left - right); };
    var y = axis.y;
    var svg = el('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'data-chart': chart, 'data-scale': axis.log ? 'log' : 'linear' });
    yAxis(svg, axis, left, right, width, unit);
    PERCENTILES.forEach(function (p, n) {
      el('line', { x1: x(n), y1: height - bottom, x2: x(n), y2: top, stroke: '#eef0f3' }, svg);
      el('text', { x: x(n), y: height - 10, 'text-anchor': 'middle', 'class': 'tick', 'data-axis': 'x' }, svg).textContent = p[0];
    });
    series.forEach(function (s, j) {
      var colour = COLOURS[j % COLOURS.length], path = [];
      PERCENTILES.forEach(function (p, n) {
        var v = s.summary[p[2]];
        path.push(x(n).toFixed(1) + ',' + y(v).toFixed(1));
        el('title', {}, el('circle', { cx: x(n), cy: y(v), r: 3, fill: colour, 'class': 'point', 'data-chart': chart, 'data-series': s.name, 'data-percentile': p[1], 'data-value': v }, svg))
          .textContent = s.name + ' ' + p[0] + ': ' + fmt(v);
      });
      el('polyline', { points: path.join(' '), fill: 'none', stroke: colour, 'stroke-width': 1.5 }, svg);
    });
    legend(container, series);
    container.appendChild(svg);
  }
`;

const STYLE = `
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 960px; color: #1d2430; padding: 0 1rem; }
  h1 { font-size: 1.4rem; margin-bottom: 0.2rem; }
  .sub { color: #5b6575; margin-top: 0; }
  section { margin: 2rem 0; }
  h2 { font-size: 1.05rem; margin-bottom: 0.4rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e3e6eb; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; }
  svg text { font: 12px system-ui, sans-serif; fill: #1d2430; }
  svg text.tick, svg text.axis-title { fill: #5b6575; font-size: 11px; }
  .note { background: #fff7e6; border-left: 3px solid #e07a2f; padding: 0.5rem 0.8rem; }
  .legend span { display: inline-block; margin-right: 1rem; }
  .legend i { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: -0.1rem; }
`;

/** A whole page: `body` is static HTML, `script` runs with `data` and the chart helpers in scope. */
export function page(title: string, body: string, data: unknown, script: string): string {
  // '<' escaped so no value can close the script element early.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<script type="application/json" id="data">${json}</script>
<script>
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('data').textContent);
${CHARTS}
${script}
  document.body.setAttribute('data-rendered', 'true');
})();
</script>
</body>
</html>
`;
}
