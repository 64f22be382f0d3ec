/**
 * One idle-memory measurement (idle-memory.ts), in a process of its own: N clients connected,
 * subscribed to their own topics and publishing once a minute, settled, then a full GC in every
 * thread and the process's RSS and the threads' heaps, printed as one JSON line.
 * `--mode loop|pool|thread` runs mqtt-fleet in this process (run(), as the CLI does);
 * `--mode mqttjs` is plain MQTT.js written by hand (a timer per client, as a user would).
 * `--snapshot FILE` also writes a heap snapshot of the settled process (the main thread's heap).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { run } from '../../src/index.js';
import { collectAll } from './collect-all.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    mode: { type: 'string' },
    clients: { type: 'string' },
    threads: { type: 'string', default: '2' },
    'settle-ms': { type: 'string', default: '10000' },
    snapshot: { type: 'string' },
  },
});
const url = values.url!;
const clients = Number(values.clients);
const settleMs = Number(values['settle-ms']);

/**
 * After the settle time: a full GC in every thread (collect-all.ts), then the figures. The heap
 * is the main thread's; a pool's or a thread per client's workers report theirs beside it.
 */
async function settled(connectMs: number, threads: number): Promise<object> {
  await sleep(settleMs);
  const workers = await collectAll();
  if (workers.length !== threads) throw new Error(`${workers.length} worker threads reached, ${threads} expected`);
  await sleep(500);
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const heap = getHeapStatistics();
  const mb = (bytes: number): number => bytes / 2 ** 20;
  const figures = {
    clients,
    connectMs: Math.round(connectMs),
    rssMb: mb(rss),
    heapMb: mb(heapUsed),
    externalMb: mb(external + arrayBuffers),
    workers: workers.length,
    workersHeapMb: mb(workers.reduce((sum, w) => sum + w.used, 0)),
    // What RSS holds beyond the live heap: V8's committed and resident pages, per space, and the rest (malloc, code).
    heapCommittedMb: mb(heap.total_heap_size),
    heapPhysicalMb: mb(heap.total_physical_size),
    spaces: Object.fromEntries(
      getHeapSpaceStatistics().map((s) => [
        s.space_name,
        { usedMb: mb(s.space_used_size), committedMb: mb(s.space_size), physicalMb: mb(s.physical_space_size) },
      ]),
    ),
    smaps: smapsRollup(),
  };
  if (values.snapshot) writeHeapSnapshot(values.snapshot);
  return figures;
}

/** /proc/self/smaps_rollup's totals (MB): anonymous pages against file-backed ones; {} off Linux. */
function smapsRollup(): Record<string, number> {
  try {
    const text = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^(Rss|Anonymous|Private_Dirty|Shared_Clean|Private_Clean):\s+(\d+) kB/gm))
      out[m[1]!] = Number(m[2]) / 1024;
    return out;
  } catch {
    return {};
  }
}

async function fleet(threads: string | number, mqttClient: 'auto' | 'mqttjs'): Promise<object> {
  const controller = new AbortController();
  const started = performance.now();
  let figures: Promise<object> | null = null;
  const done = run({
    brokers: [url],
    clients,
    threads,
    mqttClient,
    rate: 1 / 60,
    phase: 'together',
    duration: '30m',
    statsInterval: '1s',
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type !== 'stats' || figures !== null || event.connected < clients) return;
      figures = settled(performance.now() - started, threads === 'per-client' ? clients : Number(threads));
      void figures.then(() => controller.abort());
    },
  });
  await done;
  if (figures === null) throw new Error('the run ended before every client was connected');
  return figures;
}

/** Plain MQTT.js: 64 connects in flight (as mqtt-fleet's default), subscribe, publish now and once a minute. */
async function plain(): Promise<object> {
  const started = performance.now();
  const fleet: MqttClient[] = [];
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < clients) {
      const i = next++;
      const client = await mqtt.connectAsync(url, { clientId: `idle-${process.pid}-${i}`, reconnectPeriod: 0 });
      const topic = `idle/${process.pid}/${i}`;
      await client.subscribeAsync(topic);
      client.publish(topic, Buffer.alloc(64));
      setInterval(() => client.publish(topic, Buffer.alloc(64)), 60_000);
      fleet.push(client);
    }
  };
  await Promise.all(Array.from({ length: 64 }, one));
  const figures = await settled(performance.now() - started, 0);
  await Promise.all(fleet.map((c) => c.endAsync(true)));
  return figures;
}

// `loop-mqttjs`, `pool-mqttjs`: the same fleet with --mqtt-client mqttjs, beside the lean default.
const [mode, client] = (values.mode ?? '').split('-');
const figures =
  mode === 'mqttjs'
    ? await plain()
    : await fleet(
        mode === 'loop' ? 0 : mode === 'pool' ? Number(values.threads) : 'per-client',
        client === 'mqttjs' ? 'mqttjs' : 'auto',
      );
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);
