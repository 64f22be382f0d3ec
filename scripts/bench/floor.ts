/**
 * The floor benchmark: what Node itself costs for what thread per client asks of it, with no MQTT,
 * so that thread per client's cost in the workloads (run.ts) splits into Node's and ours.
 *
 * - Echo (floor-echo-client.ts against floor-echo.ts, a separate process): W3's traffic, 20 clients
 *   x 500 frames/s of 64 B for 10 s over plain TCP, all on one event loop or each on a bare worker
 *   thread of its own; against an echo server with Nagle off (as the bench's Mosquitto) and on
 *   (Mosquitto's default). Figures: the client process's CPU time while sending, per frame; the
 *   round trip's p50/p99/p99.9; its voluntary context switches (the times a thread went to sleep
 *   and was woken: wake-ups).
 * - Threads (floor-threads.ts): starting N = 100 and 1,000 worker threads that do nothing, bare
 *   `new Worker` and through piscina with a trivial task. Figures: CPU ms and RSS MB per thread,
 *   wall time until all have run.
 *
 * Every measurement in a fresh process, repetitions interleaved, medians compared.
 * stdout: a JSON line per measurement (`floor-measurement`, `floor-failure`) and per variant
 * (`floor-result`: medians); stderr: progress and Markdown tables.
 *
 *   node dist/scripts/bench/floor.js                       # both parts, 3 repetitions (about 10 minutes)
 *   node dist/scripts/bench/floor.js --only echo --reps 1
 *   node dist/scripts/bench/floor.js --only threads --threads 100
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './report.js';
import { exitedChildrenCpuMs, processCpuMs } from './proc-stat.js';
import { echoTable, threadsTable, type EchoResult, type ThreadsResult } from './floor-report.js';

const script = (name: string): string => fileURLToPath(new URL(`./${name}.js`, import.meta.url));

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    'duration-ms': { type: 'string', default: '10000' },
    threads: { type: 'string', default: '100,1000' },
  },
});
const reps = Number(values.reps);
const parts = values.only ? [values.only.trim().toLowerCase()] : ['echo', 'threads'];
const threadCounts = values.threads.split(',').map(Number);
for (const [name, ok] of [
  ['--reps', Number.isInteger(reps) && reps >= 1],
  ['--only', parts.every((p) => p === 'echo' || p === 'threads')],
  ['--duration-ms', Number(values['duration-ms']) >= 100],
  ['--threads', threadCounts.every((n) => Number.isInteger(n) && n >= 1)],
] as const) {
  if (!ok) {
    process.stderr.write(
      `floor: bad ${name} (reps: a positive integer; only: echo or threads; duration-ms: at least 100; threads: positive integers, comma-separated)\n`,
    );
    process.exit(2);
  }
}

const log = (text: string): void => void process.stderr.write(`${text}\n`);
const emit = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

type Json = Record<string, unknown>;
interface Run {
  json: Json | null;
  reason: string;
  wallMs: number;
  /** The child's CPU time over its whole life (every thread, Node's start-up included). */
  processCpuMs: number;
}

/** A script in a fresh process; its last stdout line is its result. Killed at the timeout. */
async function runScript(file: string, args: string[], timeoutMs: number): Promise<Run> {
  const cpuBefore = exitedChildrenCpuMs();
  const startedAt = performance.now();
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const run = {
    wallMs: Math.round(performance.now() - startedAt),
    processCpuMs: Math.round(exitedChildrenCpuMs() - cpuBefore),
  };
  const last = out.trim().split('\n').at(-1);
  if (timedOut) return { ...run, json: null, reason: `killed after ${timeoutMs / 1000} s` };
  if (code !== 0 || !last) return { ...run, json: null, reason: `exit ${code}: ${err.slice(-500)}` };
  return { ...run, json: JSON.parse(last) as Json, reason: '' };
}

/** The echo server, in a process of its own for one part of the run. */
async function echoServer(nagle: boolean): Promise<{ port: number; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [script('floor-echo'), ...(nagle ? ['--nagle'] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`echo server exited (${code}) before listening`)));
    child.stdout.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { port: number }).port));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Closing its stdin ends it (and so does our own exit, whatever the way).
  return { port, pid: child.pid!, stop: () => (child.stdin.end(), exited) };
}

const num = (j: Json, key: string): number => Number(j[key]);
const latency = (j: Json, key: 'p50' | 'p99' | 'p999'): number =>
  Number((j.latencyMs as Record<string, number | null>)[key]);

async function echoPart(): Promise<EchoResult[]> {
  const results: EchoResult[] = [];
  const variants = [
    { name: 'one loop', threads: '0' },
    { name: 'a thread each', threads: 'each' },
  ];
  for (const nagle of [false, true]) {
    const workload = `FLOOR-echo-${nagle ? 'nagle' : 'nodelay'}`;
    const server = await echoServer(nagle);
    log(
      `${workload}: 20 clients x 500 frames/s x 64 B for ${Number(values['duration-ms']) / 1000} s over TCP, echo server with Nagle ${nagle ? 'on' : 'off'} (port ${server.port})`,
    );
    const runs = new Map<string, Json[]>(variants.map((v) => [v.name, []]));
    const failures = new Map<string, number>(variants.map((v) => [v.name, 0]));
    try {
      for (let rep = 1; rep <= reps; rep++) {
        for (const v of variants) {
          const echoBefore = processCpuMs(server.pid);
          const run = await runScript(
            script('floor-echo-client'),
            ['--port', String(server.port), '--threads', v.threads, '--duration-ms', values['duration-ms']],
            120_000,
          );
          const echoCpuMs = Math.round(processCpuMs(server.pid) - echoBefore);
          if (!run.json) {
            failures.set(v.name, failures.get(v.name)! + 1);
            emit({ type: 'floor-failure', workload, variant: v.name, rep, reason: run.reason, wallMs: run.wallMs });
            log(`  ${v.name.padEnd(14)} rep ${rep}: FAILED: ${run.reason}`);
            continue;
          }
          const m = {
            ...run.json,
            type: 'floor-measurement',
            workload,
            variant: v.name,
            rep,
            wallMs: run.wallMs,
            wholeProcessCpuMs: run.processCpuMs,
            echoCpuMs,
          };
          emit(m);
          runs.get(v.name)!.push(m);
          const j = run.json;
          log(
            `  ${v.name.padEnd(14)} rep ${rep}: CPU ${num(j, 'cpuMs')} ms while sending (${num(j, 'received')} of ${num(j, 'expected')} back), p50 ${latency(j, 'p50')} ms, p99 ${latency(j, 'p99')} ms, p99.9 ${latency(j, 'p999')} ms, ${num(j, 'voluntaryContextSwitches')} wake-ups, ready after ${num(j, 'readyMs')} ms, echo server CPU ${echoCpuMs} ms`,
          );
        }
      }
    } finally {
      await server.stop();
    }
    const loopCpu = median(runs.get('one loop')!.map((j) => num(j, 'cpuMs')));
    for (const v of variants) {
      const js = runs.get(v.name)!;
      const med = (pick: (j: Json) => number): number => median(js.map(pick));
      const received = med((j) => num(j, 'received'));
      const cpu = med((j) => num(j, 'cpuMs'));
      const r: EchoResult = {
        type: 'floor-result',
        workload,
        variant: v.name,
        reps: js.length,
        failures: failures.get(v.name)!,
        threads: v.threads === 'each' ? 20 : 0,
        received,
        expected: med((j) => num(j, 'expected')),
        cpuMs: cpu,
        cpuUsPerFrame: round((cpu * 1000) / received, 1),
        cpuVsOneLoop: round(cpu / loopCpu),
        latencyP50Ms: round(
          med((j) => latency(j, 'p50')),
          3,
        ),
        latencyP99Ms: round(
          med((j) => latency(j, 'p99')),
          3,
        ),
        latencyP999Ms: round(
          med((j) => latency(j, 'p999')),
          3,
        ),
        wakeUps: med((j) => num(j, 'voluntaryContextSwitches')),
        framesPerWakeUp: round(received / med((j) => num(j, 'voluntaryContextSwitches')), 1),
        readyMs: med((j) => num(j, 'readyMs')),
        wholeProcessCpuMs: med((j) => num(j, 'wholeProcessCpuMs')),
        echoCpuMs: med((j) => num(j, 'echoCpuMs')),
        peakRssMb: med((j) => num(j, 'peakRssMb')),
      };
      results.push(r);
      emit(r);
    }
  }
  return results;
}

async function threadsPart(): Promise<ThreadsResult[]> {
  const workload = 'FLOOR-threads';
  const variants = threadCounts.flatMap((n) =>
    (['bare', 'piscina'] as const).map((via) => ({
      name: `${via === 'bare' ? 'bare Worker' : 'piscina'} x ${n.toLocaleString('en-US')}`,
      via,
      n,
    })),
  );
  log(`${workload}: starting N worker threads that do nothing, bare and through piscina`);
  const runs = new Map<string, Json[]>(variants.map((v) => [v.name, []]));
  const failures = new Map<string, number>(variants.map((v) => [v.name, 0]));
  for (let rep = 1; rep <= reps; rep++) {
    for (const v of variants) {
      // About 40 ms of CPU per thread on 2 cores, ten times over for a loaded machine.
      const run = await runScript(
        script('floor-threads'),
        ['--threads', String(v.n), '--via', v.via],
        Math.max(60_000, v.n * 400),
      );
      if (!run.json) {
        failures.set(v.name, failures.get(v.name)! + 1);
        emit({ type: 'floor-failure', workload, variant: v.name, rep, reason: run.reason, wallMs: run.wallMs });
        log(`  ${v.name.padEnd(20)} rep ${rep}: FAILED: ${run.reason}`);
        continue;
      }
      const m = {
        ...run.json,
        type: 'floor-measurement',
        workload,
        variant: v.name,
        rep,
        wallMs: run.wallMs,
        wholeProcessCpuMs: run.processCpuMs,
      };
      emit(m);
      runs.get(v.name)!.push(m);
      const j = run.json;
      log(
        `  ${v.name.padEnd(20)} rep ${rep}: all up after ${num(j, 'startMs')} ms, ${num(j, 'cpuMsPerThread')} ms CPU and ${num(j, 'rssMbPerThread')} MB RSS per thread, stopped in ${num(j, 'stopMs')} ms`,
      );
    }
  }
  return variants.map((v) => {
    const js = runs.get(v.name)!;
    const med = (key: string): number => median(js.map((j) => num(j, key)));
    const r: ThreadsResult = {
      type: 'floor-result',
      workload,
      variant: v.name,
      reps: js.length,
      failures: failures.get(v.name)!,
      via: v.via,
      threads: v.n,
      startMs: med('startMs'),
      cpuMsPerThread: round(med('cpuMsPerThread'), 1),
      rssMbPerThread: round(med('rssMbPerThread'), 2),
      peakRssMb: med('peakRssMb'),
      stopMs: med('stopMs'),
      wholeProcessCpuMs: med('wholeProcessCpuMs'),
    };
    emit(r);
    return r;
  });
}

function round(n: number, digits = 2): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

const echo = parts.includes('echo') ? await echoPart() : [];
const threads = parts.includes('threads') ? await threadsPart() : [];
log('');
log(`Floor (no MQTT): medians of ${reps} interleaved repetitions.`);
log('');
if (echo.length) log(`${echoTable(echo).join('\n')}\n`);
if (threads.length) log(`${threadsTable(threads).join('\n')}\n`);
