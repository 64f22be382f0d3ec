/**
 * What `mqtt-fleet find-max` reports: one line per step (the rate offered and what came of it),
 * and the result: the highest per-client rate every threshold held at. Table on stderr, NDJSON
 * with --json, an HTML chart with --report.
 */
import type { GeneratorVerdict } from './generator.js';
import { escapeHtml, page } from './page.js';
import { colours, fmtInt, fmtMs } from './format.js';

export interface FindMaxStep {
  type: 'find-max-step';
  /** 1, 2, ... in the order run. */
  step: number;
  /** `ramp` doubles the rate until a threshold breaks; `bisect` narrows between the last good and the first bad. */
  phase: 'ramp' | 'bisect';
  /** Offered rate per client (msg/s), and over every publishing client. */
  rate: number;
  offeredPerSec: number;
  publishedPerSec: number;
  receivedPerSec: number;
  latencyMs: { p50: number; p99: number };
  lost: number;
  pass: boolean;
  /** What broke it: the thresholds crossed, and any shortfall (`gave-up`, `lost`, ...). */
  failed: string[];
  /** The step's generator verdict: when limited, the step measured mqtt-fleet, not the broker. */
  generatorLimited: GeneratorVerdict;
  /** The step's run: from the start barrier to its last message. */
  durationMs: number;
  exitCode: number;
}

export interface FindMaxResult {
  type: 'find-max';
  clients: number;
  qos: number;
  size: number;
  brokers: string[];
  thresholds: string[];
  /** The highest per-client rate that held every threshold, and what it came to; null when even the start rate broke one. */
  rate: number | null;
  offeredPerSec: number | null;
  receivedPerSec: number | null;
  /** The lowest per-client rate that broke a threshold; null when none did (up to --max-rate). */
  breakingRate: number | null;
  /** Why the search ended: a threshold broke, --max-rate held, the start rate already broke, or it was interrupted. */
  limit: 'threshold' | 'max-rate' | 'start-rate' | 'interrupted';
  /** The breaking step was generator-limited: the limit found is mqtt-fleet's, not the broker's. */
  generatorLimited: boolean;
  /** What to do about it, in words; null when the broker was the limit. */
  advice: string | null;
  resolution: number;
  steps: FindMaxStep[];
  /** Wall time of the whole search. */
  durationMs: number;
  exitCode: number;
}

/** One step as a line on stderr while the search goes. */
export function formatStep(s: FindMaxStep): string {
  return `step ${s.step} (${s.phase}): ${fmtRate(s.rate)} msg/s per client (${fmtInt(s.offeredPerSec)} msg/s offered) -> ${fmtInt(s.receivedPerSec)} msg/s received, p99 ${fmtMs(s.latencyMs.p99)}, ${fmtInt(s.lost)} lost: ${s.pass ? 'pass' : `FAIL (${s.failed.join(', ')})`}${s.generatorLimited.limited ? ' [generator-limited]' : ''}`;
}

const fmtRate = (r: number): string => (Number.isInteger(r) ? fmtInt(r) : r.toFixed(1));

/** The human result: a table of steps in rate order, then the verdict. */
export function formatFindMax(r: FindMaxResult, stream: NodeJS.WriteStream = process.stderr): string {
  const c = colours(stream);
  const heads = ['rate/client', 'offered/s', 'received/s', 'p50', 'p99', 'lost', 'result'];
  const rows = [...r.steps]
    .sort((a, b) => a.rate - b.rate || a.step - b.step)
    .map((s) => [
      fmtRate(s.rate),
      fmtInt(s.offeredPerSec),
      fmtInt(s.receivedPerSec),
      fmtMs(s.latencyMs.p50),
      fmtMs(s.latencyMs.p99),
      fmtInt(s.lost),
      `${s.pass ? 'pass' : `FAIL ${s.failed.join(', ')}`}${s.generatorLimited.limited ? ' (generator-limited)' : ''}`,
    ]);
  const widths = heads.map((h, n) => Math.max(h.length, ...rows.map((row) => row[n]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, n) => (n === cells.length - 1 ? cell : cell.padStart(widths[n]!))).join('  ');
  const out = [
    `${c.bold('mqtt-fleet')} find-max · ${fmtInt(r.clients)} clients · QoS ${r.qos} · ${fmtInt(r.size)} B · ${r.brokers.join(', ')}`,
    `thresholds: ${r.thresholds.join(', ')} · resolution ${Math.round(r.resolution * 1000) / 10}% · ${r.steps.length} steps in ${fmtMs(r.durationMs)}`,
    '',
    c.dim(line(heads)),
    ...rows.map(line),
    '',
  ];
  if (r.rate === null) {
    out.push(
      c.red(
        r.limit === 'interrupted'
          ? `result: interrupted before any rate held (exit ${r.exitCode})`
          : `result: even the start rate (${fmtRate(r.breakingRate ?? 0)} msg/s per client) broke a threshold: lower --start-rate (exit ${r.exitCode})`,
      ),
    );
  } else {
    const held = `${fmtRate(r.rate)} msg/s per client (${fmtInt(r.offeredPerSec ?? 0)} msg/s offered, ${fmtInt(r.receivedPerSec ?? 0)} msg/s received)`;
    const why =
      r.limit === 'max-rate'
        ? 'held up to --max-rate: raise it to look further'
        : r.limit === 'interrupted'
          ? 'interrupted: the highest rate that held so far'
          : `${fmtRate(r.breakingRate ?? 0)} msg/s per client broke a threshold`;
    out.push(c.green(`result: highest sustained rate ${held}; ${why} (exit ${r.exitCode})`));
  }
  if (r.advice) out.push(c.yellow(r.advice));
  return `${out.join('\n')}\n`;
}

/** `find-max --report`: rate offered against p99 and loss, and the steps' table. */
export function findMaxHtml(r: FindMaxResult): string {
  const body = `<h1>mqtt-fleet find-max</h1>
<p class="sub" id="subtitle"></p>
<section><h2>p99 latency (ms) and lost messages against the rate offered (msg/s, all clients)</h2><div id="rate"></div></section>
<section><h2>Steps</h2><div id="steps"></div></section>`;
  const script = `
  document.getElementById('subtitle').textContent = data.clients + ' clients, QoS ' + data.qos + ', ' + data.size + ' B · thresholds ' +
    data.thresholds.join(', ') + ' · ' + (data.rate === null ? 'no rate held' : 'highest sustained: ' + fmt(data.rate) + ' msg/s per client (' + fmt(data.offeredPerSec) + ' offered)') +
    (data.generatorLimited ? ' · generator-limited' : '');
  var steps = data.steps.slice().sort(function (a, b) { return a.offeredPerSec - b.offeredPerSec || a.step - b.step; });
  (function (container) {
    var width = 900, height = 300, left = 70, right = 60, top = 22, bottom = 40;
    var xMax = 1, lMax = 1;
    steps.forEach(function (s) { xMax = Math.max(xMax, s.offeredPerSec); lMax = Math.max(lMax, s.lost); });
    var x = function (v) { return left + (v / xMax) * (width - left - right); };
    // p99 in decades, as on every report: a 5 ms pass stays readable beside a 500 ms failure.
    var pAxis = valueAxis(steps.map(function (s) { return s.latencyMs.p99; }), true, top, height - bottom);
    var yP = pAxis.y;
    var yL = function (v) { return top + (1 - v / lMax) * (height - top - bottom); };
    var svg = el('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'data-chart': 'rate', 'data-scale': pAxis.log ? 'log' : 'linear' });
    yAxis(svg, pAxis, left, right, width, 'p99 ms');
    el('text', { x: width - right + 4, y: yL(lMax) + 4 }, svg).textContent = fmt(lMax) + ' lost';
    el('text', { x: width - right + 4, y: yL(0) + 4 }, svg).textContent = '0 lost';
    var xStep = niceStep(xMax, 8);
    for (var v = 0; v <= xMax; v += xStep) {
      el('line', { x1: x(v), y1: height - bottom, x2: x(v), y2: height - bottom + 4, stroke: '#8c8c8c' }, svg);
      el('text', { x: x(v), y: height - bottom + 16, 'text-anchor': 'middle', 'class': 'tick', 'data-axis': 'x', 'data-value': v }, svg).textContent = tick(v);
    }
    el('text', { x: (left + width - right) / 2, y: height - 4, 'text-anchor': 'middle', 'class': 'axis-title', 'data-axis': 'x' }, svg).textContent = 'messages per second offered, all clients';
    if (data.offeredPerSec !== null) el('line', { x1: x(data.offeredPerSec), y1: top, x2: x(data.offeredPerSec), y2: height - bottom, stroke: '#4f9d69', 'stroke-dasharray': '4 3', 'data-chart': 'rate', 'data-series': 'found', 'data-value': data.offeredPerSec }, svg);
    [['p99', yP, function (s) { return s.latencyMs.p99; }], ['lost', yL, function (s) { return s.lost; }]].forEach(function (series, j) {
      var colour = COLOURS[j], path = [];
      // The line goes through each rate's deciding step (a confirmed failure, or the pass); every step is a dot.
      steps.forEach(function (s, n) {
        var v = series[2](s), next = steps[n + 1];
        if (!next || next.offeredPerSec !== s.offeredPerSec) path.push(x(s.offeredPerSec).toFixed(1) + ',' + series[1](v).toFixed(1));
        el('title', {}, el('circle', { cx: x(s.offeredPerSec), cy: series[1](v), r: 3.5, fill: s.pass ? colour : '#fff', stroke: colour, 'class': 'point', 'data-chart': 'rate', 'data-series': series[0], 'data-rate': s.offeredPerSec, 'data-value': v, 'data-pass': s.pass }, svg))
          .textContent = series[0] + ' at ' + fmt(s.offeredPerSec) + ' msg/s: ' + fmt(v) + (s.pass ? '' : ' (failed)');
      });
      el('polyline', { points: path.join(' '), fill: 'none', stroke: colour, 'stroke-width': 1.5 }, svg);
    });
    legend(container, [{ name: 'p99 (ms, left)' }, { name: 'lost (right)' }]);
    container.appendChild(svg);
  })(document.getElementById('rate'));
  var heads = ['step', 'rate/client', 'offered/s', 'received/s', 'p50 (ms)', 'p99 (ms)', 'lost', 'result'];
  var html = '<table><thead><tr>' + heads.map(function (h) { return '<th>' + h + '</th>'; }).join('') + '</tr></thead><tbody>';
  steps.forEach(function (s) {
    var cells = [s.step, fmt(s.rate), fmt(s.offeredPerSec), fmt(s.receivedPerSec), fmt(s.latencyMs.p50), fmt(s.latencyMs.p99), s.lost,
      (s.pass ? 'pass' : 'FAIL ' + s.failed.join(', ')) + (s.generatorLimited.limited ? ' (generator-limited)' : '')];
    html += '<tr>' + cells.map(function (v) { var td = document.createElement('td'); td.textContent = String(v); return td.outerHTML; }).join('') + '</tr>';
  });
  document.getElementById('steps').innerHTML = html + '</tbody></table>';
`;
  return page(`mqtt-fleet find-max${r.rate === null ? '' : ` ${escapeHtml(String(r.rate))} msg/s`}`, body, r, script);
}
