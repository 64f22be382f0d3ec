/**
 * The floor benchmark's start-up part: what N worker threads that do nothing cost this process,
 * started all at once, either as bare `new Worker`s or as a piscina pool of N threads running N
 * trivial tasks at once (piscina is what mqtt-fleet uses; the pool options are WorkerHost's).
 *
 *   node dist/scripts/bench/floor-threads.js --threads 1000 --via bare|piscina
 *
 * Prints one JSON line: wall time until every thread has run its code, this process's CPU time
 * over that span (every thread's), RSS then over RSS before, per thread; and the time to stop them.
 */
import { parseArgs } from 'node:util';
import { BroadcastChannel, Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { RELEASE, UP } from './floor-thread.js';

const THREAD = new URL('./floor-thread.js', import.meta.url);

const { values } = parseArgs({
  options: { threads: { type: 'string', default: '100' }, via: { type: 'string', default: 'bare' } },
});
const n = Number(values.threads);
const via = values.via;
if (!Number.isInteger(n) || n < 1) throw new Error(`--threads must be a positive integer (got ${values.threads})`);
if (via !== 'bare' && via !== 'piscina') throw new Error(`--via must be bare or piscina (got ${via})`);

const rss0 = process.memoryUsage.rss();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let up = 0;
let allUp!: () => void;
const everyoneUp = new Promise<void>((resolve) => (allUp = resolve));
const count = (): void => {
  if (++up === n) allUp();
};

let stop: () => Promise<unknown>;
if (via === 'bare') {
  const workers = Array.from({ length: n }, () => {
    const w = new Worker(THREAD, { workerData: { floorBare: true } });
    w.once('message', count);
    return w;
  });
  stop = () => Promise.all(workers.map((w) => w.terminate()));
} else {
  const channel = new BroadcastChannel(UP);
  channel.onmessage = count;
  // WorkerHost's options for thread per client, so this is the pool mqtt-fleet runs.
  const pool = new Piscina({
    filename: THREAD.href,
    minThreads: n,
    maxThreads: n,
    maxQueue: n,
    concurrentTasksPerWorker: 1,
    idleTimeout: 2 ** 31 - 1,
    atomics: 'disabled',
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  const tasks = Array.from({ length: n }, () => pool.run(null));
  stop = async () => {
    const release = new BroadcastChannel(RELEASE);
    release.postMessage('release');
    await Promise.all(tasks);
    release.close();
    channel.close();
    await pool.destroy();
  };
}

await everyoneUp;
const startMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const rssMb = (process.memoryUsage.rss() - rss0) / 2 ** 20;
const t1 = performance.now();
await stop();
const stopMs = performance.now() - t1;
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
process.stdout.write(
  `${JSON.stringify({
    type: 'floor-threads',
    via,
    threads: n,
    startMs: Math.round(startMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    cpuMsPerThread: round((cpu.user + cpu.system) / 1000 / n),
    rssMb: Math.round(rssMb),
    rssMbPerThread: round(rssMb / n, 2),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    stopMs: Math.round(stopMs),
  })}\n`,
);
