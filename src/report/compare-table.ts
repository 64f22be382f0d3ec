import type { Comparison } from './events.js';
import { MODE_LABELS } from '../group.js';
import { colours, fmtInt, fmtMs } from './format.js';
import { at } from '../mqtt/checked.js';

/** The side-by-side table `mqtt-fleet compare` prints to stderr. */
export function formatComparison(c: Comparison, stream: NodeJS.WriteStream = process.stderr): string {
  const paint = colours(stream);
  const work = c.rows.some((r) => r.workingMs);
  const header = [
    'mode',
    'threads',
    'connect',
    'out msg/s',
    'in msg/s',
    'ratio',
    'p50',
    'p99',
    ...(work ? ['others p50', 'others p99', 'working p50', 'working p99'] : []),
    'loop p99',
    'peak RSS',
    'CPU',
  ];
  const rows = c.rows.map((r) => [
    MODE_LABELS[r.mode],
    String(r.threads),
    fmtMs(r.connectMs),
    fmtInt(r.publishedPerSec),
    fmtInt(r.receivedPerSec),
    `${r.throughputRatio.toFixed(2)}x`,
    fmtMs(r.latencyMs.p50),
    fmtMs(r.latencyMs.p99),
    ...(work ? [r.othersMs, r.workingMs].flatMap((l) => (l ? [fmtMs(l.p50), fmtMs(l.p99)] : ['-', '-'])) : []),
    r.loopDelayP99Ms === null ? '-' : fmtMs(r.loopDelayP99Ms),
    `${fmtInt(r.peakRssMb)} MB`,
    `${r.cpuSeconds.toFixed(2)} s`,
  ]);
  const widths = header.map((h, n) => Math.max(h.length, ...rows.map((r) => at(r, n).length)));
  const line = (cells: string[]): string =>
    cells.map((cell, n) => (n === 0 ? cell.padEnd(at(widths, n)) : cell.padStart(at(widths, n)))).join('  ');
  const title = `${paint.bold('mqtt-fleet compare')} ${c.runId} · ${fmtInt(c.clients)} clients · QoS ${c.qos}${c.workMs > 0 ? ` · ${fmtMs(c.workMs)} of work per message` : ''}`;
  const notes = c.rows
    .filter((r) => r.lost > 0 || r.gaveUp > 0)
    .map((r) => paint.red(`${MODE_LABELS[r.mode]}: ${r.lost} lost, ${r.gaveUp} gave up`));
  return (
    [
      title,
      '',
      paint.dim(line(header)),
      ...rows.map(line),
      ...(notes.length ? ['', ...notes] : []),
      '',
      ...wrap(c.verdict.text, Math.min(100, (stream.columns ?? 100) - 1)),
      '',
    ].join('\n') + '\n'
  );
}

/** Words into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') lines.push(current);
  return lines;
}
