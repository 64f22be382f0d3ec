/**
 * The floor benchmark's clients: N TCP connections to the echo server (floor-echo.ts), each
 * sending fixed-size frames at a fixed rate and timing each frame's way back, either all on this
 * thread's event loop or each on a worker thread of its own (bare `new Worker`, this same file).
 * No MQTT, no streams of ours, no batching: what Node itself costs for the same traffic as W3.
 *
 *   node dist/scripts/bench/floor-echo-client.js --port P --threads each|0 [--clients 20 --rate 500 --duration-ms 10000 --size 64]
 *
 * Prints one JSON line: latency percentiles, this process's CPU time and context switches while
 * sending (every thread's: getrusage), its CPU time over its whole life, its peak RSS.
 */
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { at } from '../../src/mqtt/checked.js';

interface Plan {
  port: number;
  rate: number;
  count: number;
  size: number;
}

/** What a client reports when it is done: each frame's round trip, in the order they came back. */
interface Done {
  latencies: Float64Array;
  received: number;
}

/** One connection; `ready` once connected, then `start()` sends `count` frames on a schedule from that moment. */
function client(plan: Plan, done: (result: Done) => void): { ready: Promise<void>; start: () => void } {
  const { port, rate, count, size } = plan;
  const latencies = new Float64Array(count);
  let received = 0;
  let over = false;
  const finish = (): void => {
    if (over) return;
    over = true;
    socket.destroy();
    done({ latencies, received });
  };
  // A frame split across two reads is put together here.
  const carry = Buffer.alloc(size);
  let carried = 0;
  // Nagle off, as mqtt-fleet and the bench's broker have it.
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  const record = (sentAt: number): void => {
    latencies[received++] = performance.now() - sentAt;
    if (received === count) finish();
  };
  socket.on('data', (chunk: Buffer) => {
    let offset = 0;
    if (carried > 0) {
      const need = size - carried;
      if (chunk.length < need) {
        chunk.copy(carry, carried);
        carried += chunk.length;
        return;
      }
      chunk.copy(carry, carried, 0, need);
      record(carry.readDoubleLE(0));
      carried = 0;
      offset = need;
    }
    for (; offset + size <= chunk.length; offset += size) record(chunk.readDoubleLE(offset));
    if (offset < chunk.length) carried = chunk.copy(carry, 0, offset);
  });
  socket.on('error', finish);
  const ready = new Promise<void>((resolve) => socket.once('connect', resolve));
  // Drift-free, as the MQTT.js baseline: a late timer catches up, so the load is what was asked.
  const start = (): void => {
    const interval = 1000 / rate;
    const begin = performance.now();
    let sent = 0;
    const tick = (): void => {
      const now = performance.now();
      while (sent < count && begin + sent * interval <= now) {
        // The sender's clock: the frame comes back to this same thread, so no clocks are compared.
        const frame = Buffer.allocUnsafe(size).fill(0, 8);
        frame.writeDoubleLE(performance.now(), 0);
        socket.write(frame);
        sent++;
      }
      if (sent < count) setTimeout(tick, begin + sent * interval - performance.now());
    };
    tick();
  };
  return { ready, start };
}

/** A worker: one client; `ready`, then sends on `start` and posts its latencies back (transferred). */
function workerMain(): void {
  const port = parentPort!;
  const c = client(workerData as Plan, (result) => port.postMessage(result, [result.latencies.buffer as ArrayBuffer]));
  void c.ready.then(() => port.postMessage('ready'));
  port.once('message', () => c.start());
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      threads: { type: 'string', default: '0' },
      clients: { type: 'string', default: '20' },
      rate: { type: 'string', default: '500' },
      'duration-ms': { type: 'string', default: '10000' },
      size: { type: 'string', default: '64' },
    },
  });
  const clients = Number(values.clients);
  const rate = Number(values.rate);
  const plan: Plan = {
    port: Number(values.port),
    rate,
    count: Math.round((rate * Number(values['duration-ms'])) / 1000),
    size: Number(values.size),
  };
  const threaded = values.threads === 'each';
  const results: Done[] = [];
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const onDone = (r: Done): void => {
    results.push(r);
    if (results.length === clients) allDone();
  };

  // Connect every client (starting its thread first), then start them all at once.
  let starts: (() => void)[];
  const workers: Worker[] = [];
  if (threaded) {
    starts = await Promise.all(
      Array.from({ length: clients }, async () => {
        const w = new Worker(new URL(import.meta.url), { workerData: plan });
        workers.push(w);
        await new Promise<void>((resolve, reject) => {
          w.once('error', reject);
          w.once('message', () => resolve());
        });
        w.once('message', (r: Done) => onDone(r));
        return () => w.postMessage('start');
      }),
    );
  } else {
    const all = Array.from({ length: clients }, () => client(plan, onDone));
    await Promise.all(all.map((c) => c.ready));
    starts = all.map((c) => c.start);
  }
  const readyMs = performance.now();
  const cpu0 = process.cpuUsage();
  const usage0 = process.resourceUsage();
  for (const start of starts) start();
  // Every frame should be back within the plan's length; a lost connection must not hang the run.
  const limit = setTimeout(allDone, (plan.count / rate) * 1000 + 10_000);
  await finished;
  clearTimeout(limit);
  const sendingMs = performance.now() - readyMs;
  const cpu = process.cpuUsage(cpu0);
  const usage = process.resourceUsage();
  await Promise.all(workers.map((w) => w.terminate()));

  const all = new Float64Array(results.reduce((n, r) => n + r.received, 0));
  let offset = 0;
  for (const r of results) {
    all.set(r.latencies.subarray(0, r.received), offset);
    offset += r.received;
  }
  all.sort();
  const pick = (p: number): number | null =>
    all.length ? Math.round(at(all, Math.min(all.length - 1, Math.floor((p / 100) * all.length))) * 1000) / 1000 : null;
  const total = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({
      type: 'floor-echo',
      threads: threaded ? clients : 0,
      clients,
      rate,
      size: plan.size,
      expected: plan.count * clients,
      received: all.length,
      readyMs: Math.round(readyMs),
      sendingMs: Math.round(sendingMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      voluntaryContextSwitches: usage.voluntaryContextSwitches - usage0.voluntaryContextSwitches,
      involuntaryContextSwitches: usage.involuntaryContextSwitches - usage0.involuntaryContextSwitches,
      processCpuMs: Math.round((total.user + total.system) / 1000),
      latencyMs: { p50: pick(50), p99: pick(99), p999: pick(99.9), max: pick(100) },
      peakRssMb: Math.round(usage.maxRSS / 1024),
    })}\n`,
  );
}

if (isMainThread) await main();
else workerMain();
