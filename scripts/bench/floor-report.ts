/** The floor benchmark's results (medians) and their Markdown tables. */

export interface EchoResult {
  type: 'floor-result';
  workload: string;
  variant: string;
  reps: number;
  failures: number;
  threads: number;
  received: number;
  expected: number;
  /** The client process's CPU time (every thread) from the start of sending until every frame was back. */
  cpuMs: number;
  cpuUsPerFrame: number;
  cpuVsOneLoop: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyP999Ms: number;
  /** Voluntary context switches over the same span: a thread went to sleep and was woken. */
  wakeUps: number;
  framesPerWakeUp: number;
  /** From the process's start until every client was connected (threads started). */
  readyMs: number;
  wholeProcessCpuMs: number;
  echoCpuMs: number;
  peakRssMb: number;
}

export interface ThreadsResult {
  type: 'floor-result';
  workload: string;
  variant: string;
  reps: number;
  failures: number;
  via: 'bare' | 'piscina';
  threads: number;
  /** Until every thread had run its code (and, with piscina, its task). */
  startMs: number;
  cpuMsPerThread: number;
  rssMbPerThread: number;
  peakRssMb: number;
  stopMs: number;
  wholeProcessCpuMs: number;
}

const n = (x: number, digits = 0): string =>
  Number.isFinite(x)
    ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '—';

export function echoTable(results: EchoResult[]): string[] {
  const out = [
    '| echo server | clients on | frames back | CPU while sending | µs per frame | vs one loop | p50 ms | p99 ms | p99.9 ms | wake-ups | frames per wake-up | ready after | peak RSS MB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const server = r.workload.endsWith('nagle') ? 'Nagle on' : 'Nagle off';
    if (r.reps === 0) {
      out.push(`| ${server} | ${r.variant} | failed (${r.failures}) |${' |'.repeat(10)}`);
      continue;
    }
    out.push(
      `| ${server} | ${r.variant} | ${n(r.received)} of ${n(r.expected)} | ${n(r.cpuMs / 1000, 2)} s | ${n(r.cpuUsPerFrame, 1)} | ${n(r.cpuVsOneLoop, 2)}x | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.latencyP999Ms} | ${n(r.wakeUps)} | ${n(r.framesPerWakeUp, 1)} | ${n(r.readyMs)} ms | ${n(r.peakRssMb)} |`,
    );
  }
  return out;
}

export function threadsTable(results: ThreadsResult[]): string[] {
  const out = [
    '| threads | started as | all up after | CPU ms per thread | RSS MB per thread | peak RSS MB | stopped in |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const how = r.via === 'bare' ? 'bare `new Worker`' : 'piscina, a trivial task each';
    if (r.reps === 0) {
      out.push(`| ${n(r.threads)} | ${how} | failed (${r.failures}) | | | | |`);
      continue;
    }
    out.push(
      `| ${n(r.threads)} | ${how} | ${n(r.startMs / 1000, 2)} s | ${n(r.cpuMsPerThread, 1)} | ${n(r.rssMbPerThread, 2)} | ${n(r.peakRssMb)} | ${n(r.stopMs / 1000, 2)} s |`,
    );
  }
  return out;
}
