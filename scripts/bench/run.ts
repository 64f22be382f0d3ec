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
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Mosquitto } from '../../test/helpers/mosquitto.js';
import { WORKLOADS, type Measurement, type Variant, type Workload } from './workloads.js';
import { markdown, summarize, type VariantResult } from './report.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const BASELINE = fileURLToPath(new URL('./baseline.js', import.meta.url));
/** A single run that takes longer than this is broken, not slow. */
const RUN_TIMEOUT_MS = 180_000;

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
const workloads = WORKLOADS(cores)
  .filter((w) => !only || only.some((o) => w.id.toUpperCase().startsWith(o)))
  // The reference variant always runs: every ratio is taken against it.
  .map((w) => ({ ...w, variants: w.variants.filter((v) => !picked || v.name === w.reference || picked.some((p) => v.name.toLowerCase().startsWith(p))) }));

const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};
const emit = (value: object): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SEC = 100;

/** Fields of /proc/PID/stat from field 3 on (the command name, field 2, may hold spaces). */
function statFields(pid: number | 'self'): number[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
}

/** CPU time (user + system, fields 14 and 15) a process has used so far. */
function processCpuMs(pid: number): number {
  const f = statFields(pid);
  return ((f[11]! + f[12]!) * 1000) / TICKS_PER_SEC;
}

/**
 * CPU time of this process's children that have exited (fields 16 and 17): measured around one
 * child, its whole life, Node's start-up included, the same way for mqtt-fleet and the baseline.
 * The broker, also a child, is still running then, so it is not among them.
 */
function exitedChildrenCpuMs(): number {
  const f = statFields('self');
  return ((f[13]! + f[14]!) * 1000) / TICKS_PER_SEC;
}

async function measure(workload: Workload, variant: Variant, broker: Mosquitto, rep: number): Promise<Measurement> {
  const url = broker.url;
  const brokerCpuBefore = processCpuMs(broker.pid!);
  const clientCpuBefore = exitedChildrenCpuMs();
  const startedAt = performance.now();
  const [script, args] = variant.kind === 'baseline' ? [BASELINE, ['--url', url, ...variant.args]] : [CLI, ['run', '--json', '--log-level', 'error', '-b', url, ...variant.args]];
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const wallMs = performance.now() - startedAt;
  const brokerCpuMs = processCpuMs(broker.pid!) - brokerCpuBefore;
  const clientCpuMs = exitedChildrenCpuMs() - clientCpuBefore;
  const last = out.trim().split('\n').at(-1);
  if (!last || (code !== 0 && code !== 1)) throw new Error(`${workload.id} ${variant.name}: exit ${code}: ${err.slice(-500)}`);
  const r = JSON.parse(last) as Record<string, unknown> & { latencyMs: Record<string, unknown> };
  const others = r.latencyMs.others as { p99: number } | undefined;
  return {
    type: 'measurement',
    workload: workload.id,
    variant: variant.name,
    rep,
    clients: Number(r.clients),
    receivedPerSec: Number(r.receivedPerSec),
    latencyP50Ms: Number(r.latencyMs.p50),
    latencyP99Ms: Number(r.latencyMs.p99),
    othersP99Ms: others ? others.p99 : Number(r.latencyMs.p99),
    connectMs: Number(r.connectMs),
    peakRssMb: Number(r.peakRssMb),
    lost: Number(r.lost ?? 0),
    exitCode: code ?? -1,
    received: Number(r.received),
    wallMs: Math.round(wallMs),
    clientCpuMs: Math.round(clientCpuMs),
    brokerCpuMs: Math.round(brokerCpuMs),
  };
}

const results: VariantResult[] = [];
for (const workload of workloads) {
  const broker = await Mosquitto.start(workload.mosquittoConfig, { verbose: false });
  log(`${workload.id}: ${workload.title} (Mosquitto on ${broker.url})`);
  const byVariant = new Map<string, Measurement[]>(workload.variants.map((v) => [v.name, []]));
  try {
    for (let rep = 1; rep <= reps; rep++) {
      for (const variant of workload.variants) {
        const m = await measure(workload, variant, broker, rep);
        byVariant.get(variant.name)!.push(m);
        emit(m);
        log(`  ${variant.name.padEnd(28)} rep ${rep}: ${m.receivedPerSec} msg/s, p50 ${m.latencyP50Ms} ms, p99 ${m.latencyP99Ms} ms, connect ${m.connectMs} ms, RSS ${m.peakRssMb} MB, CPU ${m.clientCpuMs} ms + broker ${m.brokerCpuMs} ms`);
      }
    }
  } finally {
    await broker.stop();
  }
  for (const r of summarize(workload, byVariant)) {
    results.push(r);
    emit(r);
  }
}
log('');
log(markdown(results, { reps, cores }));
