/**
 * Soak: 20 clients x 100 msg/s for a long time against a Mosquitto of its own, watching memory
 * and event-loop delay over time. A leak shows as RSS still rising after warm-up.
 *
 *   npm run soak                               # 10 minutes, thread per client
 *   npm run soak -- --duration 30m --threads 0
 *
 * stdout: one JSON line per sample, then a summary line with the RSS slope after warm-up
 * (least squares, MB per minute); stderr: progress.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { StatsLine } from '../src/metrics/stats-line.js';
import { Mosquitto } from '../test/helpers/mosquitto.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10m' },
    threads: { type: 'string', default: 'per-client' },
    clients: { type: 'string', default: '20' },
    rate: { type: 'string', default: '100' },
    qos: { type: 'string', default: '1' },
    interval: { type: 'string', default: '10s' },
  },
});

interface Sample {
  type: 'sample';
  t: number;
  rssMb: number;
  published: number;
  received: number;
  receivedPerSec: number;
  latencyP99Ms: number | null;
  loopDelayP99Ms: number | null;
  loopDelayMaxMs: number | null;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const broker = await Mosquitto.start('max_queued_messages 0', { verbose: false });
const args = [
  'run',
  '--json',
  '--log-level',
  'warn',
  '-b',
  broker.url,
  '-c',
  values.clients,
  '--rate',
  values.rate,
  '--qos',
  values.qos,
];
args.push('--duration', values.duration, '--threads', values.threads, '--stats-interval', values.interval);
process.stderr.write(`soak: mqtt-fleet ${args.join(' ')}\n`);
const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
const samples: Sample[] = [];
let summary: { type: 'summary' } | null = null;
let partial = '';
child.stdout.on('data', (chunk: Buffer) => {
  partial += chunk.toString();
  let newline: number;
  while ((newline = partial.indexOf('\n')) >= 0) {
    // Lines of mqtt-fleet's --json output: `stats` lines as events.ts declares them, one `summary`.
    const line = JSON.parse(partial.slice(0, newline)) as StatsLine | { type: 'summary' };
    partial = partial.slice(newline + 1);
    if (line.type === 'summary') summary = line;
    if (line.type !== 'stats') continue;
    const s: Sample = {
      type: 'sample',
      t: line.t,
      rssMb: line.rssMb,
      published: line.published,
      received: line.received,
      receivedPerSec: line.receivedPerSec,
      latencyP99Ms: line.latencyMs?.p99 ?? null,
      loopDelayP99Ms: line.loopDelayMs?.p99 ?? null,
      loopDelayMaxMs: line.loopDelayMs?.max ?? null,
    };
    samples.push(s);
    process.stdout.write(`${JSON.stringify(s)}\n`);
    process.stderr.write(
      `  ${(s.t / 1000).toFixed(0)} s: RSS ${s.rssMb} MB, ${s.receivedPerSec} msg/s, p99 ${s.latencyP99Ms} ms, loop delay p99 ${s.loopDelayP99Ms} ms\n`,
    );
  }
});
const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
await broker.stop();

// Warm-up: the first fifth of the run (at least a minute) is left out of the slope.
const end = samples.at(-1)?.t ?? 0;
const warm = samples.filter((s) => s.t >= Math.max(60_000, end / 5) && s.received > 0);
const mbPerMinute = warm.length >= 3 ? slope(warm.map((s) => [s.t / 60_000, s.rssMb])) : null;
const result = {
  type: 'soak',
  exitCode: code,
  durationMs: end,
  samples: samples.length,
  rssMb: {
    first: samples[0]?.rssMb ?? null,
    afterWarmUp: warm[0]?.rssMb ?? null,
    last: samples.at(-1)?.rssMb ?? null,
    max: Math.max(0, ...samples.map((s) => s.rssMb)),
  },
  rssSlopeMbPerMinute: mbPerMinute === null ? null : Math.round(mbPerMinute * 1000) / 1000,
  loopDelayP99Ms: { worst: Math.max(0, ...samples.map((s) => s.loopDelayP99Ms ?? 0)) },
  summary,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.stderr.write(
  `soak: RSS ${result.rssMb.afterWarmUp} -> ${result.rssMb.last} MB after warm-up, slope ${result.rssSlopeMbPerMinute} MB/min; worst loop delay p99 ${result.loopDelayP99Ms.worst} ms\n`,
);
process.exitCode = code ?? 1;
