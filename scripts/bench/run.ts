/**
 * mqtt-fleet benchmarks (`npm run bench`): each workload against a Mosquitto spawned on a free
 * port, every measurement in a fresh process, the plain MQTT.js baseline run side by side in the
 * same invocation, repetitions interleaved so drift on this shared machine hits every variant alike.
 *
 * stdout: one JSON line per measurement, then one per workload/variant with medians and ratios.
 * stderr: progress and a Markdown table of the medians.
 *
 *   npm run bench                        # all workloads, 3 repetitions
 *   node dist/scripts/bench/run.js --only W1 --reps 5
 *   node dist/scripts/bench/run.js --only W1-qos0 --variants single   # variants whose names start so, and the reference
 *   node dist/scripts/bench/run.js --only W6 --reps 1    # 1,000 threads: minutes
 *   node dist/scripts/bench/run.js --only FLOOR          # the floor benchmark alone (floor.ts)
 *
 * A measurement that fails (exit code, no summary, killed at its workload's run timeout) is a
 * `failure` line, and the other repetitions and workloads go on.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Mosquitto } from '../../test/helpers/mosquitto.js';
import { WORKLOADS, type Failure, type Measurement, type Variant, type Workload } from './workloads.js';
import { summarize, type VariantResult } from './report.js';
import { markdown } from './markdown.js';
import { exitedChildrenCpuMs, processCpuMs } from './proc-stat.js';
import { cReference } from './c-reference.js';
import { listenDrops } from './netstat.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const BASELINE = fileURLToPath(new URL('./baseline.js', import.meta.url));
const NODE_CONNECT = fileURLToPath(new URL('./node-connect.js', import.meta.url));
const FLOOR = fileURLToPath(new URL('./floor.js', import.meta.url));
const IDLE = fileURLToPath(new URL('./idle-memory.js', import.meta.url));

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    reps: { type: 'string', default: '3' },
    variants: { type: 'string' },
  },
});
const reps = Number(values.reps);
const only = values.only?.split(',').map((s) => s.trim().toUpperCase());
const cores = availableParallelism();
const picked = values.variants?.split(',').map((s) => s.trim().toLowerCase());
const selected = (id: string): boolean => !only || only.some((o) => id.toUpperCase().startsWith(o));
const workloads = WORKLOADS(cores)
  .filter((w) => selected(w.id))
  .map((w) => ({ ...w, variants: pick(w) }));
/** The floor benchmark (floor.ts, no MQTT) is the last workload of a full run, or `--only FLOOR`; `--only W` leaves it out. */
const runFloor = selected('FLOOR');
/** W5's settled idle memory per connection (idle-memory.ts) runs with W5. */
const runIdle = selected('W5');

/**
 * The variants `--variants` names, and those their ratios are taken against: the reference, the
 * single loop, a working variant's calm partner, an RSS comparison's smaller run.
 */
function pick(w: Workload): Variant[] {
  if (!picked) return w.variants;
  const named = w.variants.filter((v) => picked.some((p) => v.name.toLowerCase().startsWith(p)));
  const needed = new Set([w.reference, w.loop, ...named.flatMap((v) => [v.name, v.calm, v.rssFrom])]);
  return w.variants.filter((v) => needed.has(v.name));
}

const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};
const emit = (value: object): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

/** One run of one variant in a fresh process; a failure (exit code, no result, run timeout) is returned, not thrown. */
async function measure(
  workload: Workload,
  variant: Variant,
  broker: Mosquitto,
  rep: number,
): Promise<Measurement | Failure> {
  const url = broker.url;
  const c = variant.kind === 'c' ? cReference() : null;
  if (c && 'error' in c)
    return { type: 'failure', workload: workload.id, variant: variant.name, rep, reason: c.error, wallMs: 0 };
  const brokerCpuBefore = processCpuMs(broker.pid!);
  const clientCpuBefore = exitedChildrenCpuMs();
  const dropsBefore = listenDrops();
  const startedAt = performance.now();
  const hostPort = ['127.0.0.1', String(broker.port)];
  const [command, args] =
    c && 'path' in c
      ? [c.path, [...hostPort, ...variant.args]]
      : [
          process.execPath,
          variant.kind === 'baseline'
            ? [BASELINE, '--url', url, ...variant.args]
            : variant.kind === 'node'
              ? [NODE_CONNECT, ...hostPort, ...variant.args]
              : [CLI, 'run', '--json', '--log-level', 'error', '-b', url, ...variant.args],
        ];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, workload.runTimeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const wallMs = Math.round(performance.now() - startedAt);
  const brokerCpuMs = processCpuMs(broker.pid!) - brokerCpuBefore;
  const clientCpuMs = exitedChildrenCpuMs() - clientCpuBefore;
  const dropsAfter = listenDrops();
  const failure = (reason: string): Failure => ({
    type: 'failure',
    workload: workload.id,
    variant: variant.name,
    rep,
    reason,
    wallMs,
  });
  if (timedOut) return failure(`killed at the run timeout (${workload.runTimeoutMs / 1000} s)`);
  const last = out.trim().split('\n').at(-1);
  if (!last || (code !== 0 && code !== 1)) return failure(`exit ${code}: ${err.slice(-500)}`);
  const r = JSON.parse(last) as Record<string, unknown> & { latencyMs?: Record<string, unknown> };
  const latency = r.latencyMs ?? {};
  const others = latency.others as { p99: number } | undefined;
  // The adaptive window's largest, from the stats lines (the C loop and the baseline have none).
  let windowPeak: number | null = null;
  for (const line of out.split('\n')) {
    if (!line.startsWith('{"type":"stats"')) continue;
    const w = (JSON.parse(line) as { connectWindow?: number | null }).connectWindow;
    if (typeof w === 'number') windowPeak = Math.max(windowPeak ?? 0, w);
  }
  const delta = (key: 'overflows' | 'drops'): number | null =>
    dropsBefore && dropsAfter ? dropsAfter[key] - dropsBefore[key] : null;
  return {
    type: 'measurement',
    workload: workload.id,
    variant: variant.name,
    rep,
    clients: Number(r.clients),
    threads: Number(r.threads ?? 0),
    receivedPerSec: Number(r.receivedPerSec),
    latencyP50Ms: Number(latency.p50),
    latencyP99Ms: Number(latency.p99),
    latencyP999Ms: Number(latency.p999),
    othersP99Ms: others ? others.p99 : Number(latency.p99),
    connectMs: Number(r.connectMs),
    durationMs: Number(r.durationMs),
    peakRssMb: Number(r.peakRssMb),
    lost: Number(r.lost ?? 0),
    inFlight: Number(r.inFlight ?? 0),
    exitCode: code ?? -1,
    planned: Number(r.planned),
    published: Number(r.published),
    received: Number(r.received),
    wallMs,
    clientCpuMs: Math.round(clientCpuMs),
    brokerCpuMs: Math.round(brokerCpuMs),
    listenOverflows: delta('overflows'),
    listenDrops: delta('drops'),
    connectWindowPeak: windowPeak,
  };
}

/** idle-memory.ts (W5's memory per idle connection) in a process of its own: its lines and table go straight to ours. */
async function idleMemory(): Promise<void> {
  const child = spawn(process.execPath, [IDLE, '--reps', String(reps)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  if (code !== 0) log(`W5 idle memory: exit ${code}`);
}

/** floor.ts in a process of its own: its JSON lines and tables go straight to ours. */
async function floor(): Promise<void> {
  const child = spawn(process.execPath, [FLOOR, '--reps', String(reps)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  if (code !== 0) log(`FLOOR: exit ${code}`);
}

const results: VariantResult[] = [];
for (const workload of workloads) {
  const broker = await Mosquitto.start(workload.mosquittoConfig, { verbose: false });
  log(`${workload.id}: ${workload.title} (Mosquitto on ${broker.url})`);
  const byVariant = new Map<string, Measurement[]>(workload.variants.map((v) => [v.name, []]));
  const failures: Failure[] = [];
  try {
    for (let rep = 1; rep <= reps; rep++) {
      for (const variant of workload.variants) {
        const m = await measure(workload, variant, broker, rep);
        emit(m);
        if (m.type === 'failure') {
          failures.push(m);
          log(`  ${variant.name.padEnd(28)} rep ${rep}: FAILED after ${m.wallMs} ms: ${m.reason}`);
          continue;
        }
        byVariant.get(variant.name)!.push(m);
        log(
          `  ${variant.name.padEnd(28)} rep ${rep}: ${m.receivedPerSec} msg/s, p50 ${m.latencyP50Ms} ms, p99 ${m.latencyP99Ms} ms, p99.9 ${m.latencyP999Ms} ms, others' p99 ${m.othersP99Ms} ms, connect ${m.connectMs} ms, publishing ${m.durationMs} ms, wall ${m.wallMs} ms, RSS ${m.peakRssMb} MB, CPU ${m.clientCpuMs} ms + broker ${m.brokerCpuMs} ms, ListenOverflows ${m.listenOverflows}, ListenDrops ${m.listenDrops}, window peak ${m.connectWindowPeak}`,
        );
      }
    }
  } finally {
    await broker.stop();
  }
  for (const r of summarize(workload, byVariant, failures)) {
    results.push(r);
    emit(r);
  }
}
if (runIdle) await idleMemory();
if (runFloor) await floor();
if (results.length) {
  log('');
  log(markdown(results, new Map(workloads.map((w) => [w.id, w.table])), { reps, cores }));
}
