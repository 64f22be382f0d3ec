/**
 * Settled memory of idle clients (issue 16): N clients connected, each subscribed to its own
 * topic and publishing once a minute (`--rate 1/60`, `--phase together`, so each has published
 * and received once before it is measured), held until they settle; then a full GC in every
 * thread, the process's RSS and its threads' V8 heaps. The figure is the growth per added client from 1,000 clients to N,
 * each N in a fresh process, which leaves out what a process holds anyway (Node, the bundle,
 * the lanes' fixed state). Side by side in one run: one loop and a pool, each with the lean
 * client (the default) and with --mqtt-client mqttjs (`loop-mqttjs`, `pool-mqttjs`), plain MQTT.js (what a Node
 * user would write by hand: the floor while each client is an MQTT.js MqttClient), and a thread
 * per client's own figure, RSS per added thread (from 20 to 200 threads).
 *
 *   node dist/scripts/bench/idle-memory.js                              # 1,000, 5,000, 10,000; 2 repetitions
 *   node dist/scripts/bench/idle-memory.js --clients 1000,5000,10000,19000 --reps 1
 *   node dist/scripts/bench/idle-memory.js --modes loop --clients 1000,5000 --snapshots /tmp/snap
 *
 * The GC runs in every thread (collect-all.ts): the main thread and a pool's or a thread per
 * client's workers, whose heaps hold their clients; the heap figure is all threads' together.
 * stdout: `idle-measurement` / `idle-failure` lines, then `idle-result` lines; stderr: progress
 * and a Markdown table. A Mosquitto of its own on a free loopback port (max_connections -1).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Mosquitto } from '../../test/helpers/mosquitto.js';
import { idleTable, perAdded, type IdleMeasurement, type IdleResult } from './idle-report.js';

const CHILD = fileURLToPath(new URL('./idle-child.js', import.meta.url));

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000,5000,10000' },
    threads: { type: 'string', default: '20,200' },
    modes: { type: 'string', default: 'loop,loop-mqttjs,pool,pool-mqttjs,mqttjs,thread' },
    reps: { type: 'string', default: '2' },
    'settle-ms': { type: 'string', default: '10000' },
    snapshots: { type: 'string' },
    'timeout-s': { type: 'string', default: '300' },
    /** Extra flags for each measured process (V8's, e.g. `--compact-on-every-full-gc`): what the heap's slack is made of. */
    'node-flags': { type: 'string', default: '' },
  },
});
const counts = values.clients.split(',').map(Number);
const threadCounts = values.threads.split(',').map(Number);
const modes = values.modes.split(',');
const reps = Number(values.reps);
const cores = availableParallelism();
const log = (text: string): void => void process.stderr.write(`${text}\n`);
const emit = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

interface Variant {
  mode: string;
  label: string;
  clients: number;
}
const variants: Variant[] = [];
for (const mode of modes) {
  if (mode === 'thread') {
    for (const n of threadCounts) variants.push({ mode, label: 'thread per client', clients: n });
    continue;
  }
  const [host, client] = mode.split('-');
  const where = host === 'loop' ? 'single loop' : host === 'pool' ? `pool of ${cores}` : 'plain MQTT.js';
  const label = client === 'mqttjs' ? `${where}, --mqtt-client mqttjs` : where;
  for (const n of counts) variants.push({ mode, label, clients: n });
}

/** One variant in a fresh process; its last stdout line is its measurement. */
async function measure(url: string, v: Variant, rep: number): Promise<IdleMeasurement | null> {
  const args = [
    ...values['node-flags'].split(' ').filter(Boolean),
    CHILD,
    '--url',
    url,
    '--mode',
    v.mode,
    '--clients',
    String(v.clients),
  ];
  args.push('--threads', String(cores), '--settle-ms', values['settle-ms']);
  if (values.snapshots) args.push('--snapshot', `${values.snapshots}/${v.mode}-${v.clients}-${rep}.heapsnapshot`);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), Number(values['timeout-s']) * 1000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  const last = out.trim().split('\n').at(-1);
  if (code !== 0 || !last) {
    emit({
      type: 'idle-failure',
      variant: v.label,
      clients: v.clients,
      rep,
      reason: `exit ${code}: ${err.slice(-400)}`,
    });
    log(`  ${v.label} x ${v.clients} rep ${rep}: FAILED (exit ${code}) ${err.slice(-200)}`);
    return null;
  }
  const m = { type: 'idle-measurement', variant: v.label, rep, ...JSON.parse(last) } as IdleMeasurement;
  emit(m);
  log(
    `  ${v.label} x ${v.clients} rep ${rep}: connected in ${m.connectMs} ms, RSS ${m.rssMb.toFixed(1)} MB, heap ${(m.heapMb + m.workersHeapMb).toFixed(1)} MB`,
  );
  return m;
}

const broker = await Mosquitto.start('max_connections -1\nmax_queued_messages 0', { verbose: false });
process.on('exit', () => broker.pid && process.kill(broker.pid, 'SIGKILL'));
log(`idle memory: ${variants.length} variants x ${reps} repetitions against Mosquitto on ${broker.url}`);
const measured: IdleMeasurement[] = [];
try {
  // Interleaved, so drift on a shared machine hits every variant alike.
  for (let rep = 1; rep <= reps; rep++) {
    for (const v of variants) {
      const m = await measure(broker.url, v, rep);
      if (m) measured.push(m);
    }
  }
} finally {
  await broker.stop();
}
const results: IdleResult[] = perAdded(measured);
for (const r of results) emit(r);
log('');
log(idleTable(results, reps));
