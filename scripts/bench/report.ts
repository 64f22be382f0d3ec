import type { Measurement, Workload } from './workloads.js';

/** Medians of one variant over its repetitions, and ratios against the workload's reference. */
export interface VariantResult {
  type: 'result';
  workload: string;
  variant: string;
  reps: number;
  clients: number;
  receivedPerSec: number;
  /** receivedPerSec over the reference variant's (median over median). */
  throughputRatio: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  othersP99Ms: number;
  /** othersP99Ms over the reference variant's. */
  othersP99Ratio: number;
  connectMs: number;
  peakRssMb: number;
  rssPerClientKb: number;
  lost: number;
  /** CPU time per message received, whole process (start-up included), and the broker's. */
  clientCpuUsPerMsg: number;
  brokerCpuUsPerMsg: number;
  /** Client and broker CPU time over the process's wall time: how many of the cores they kept busy. */
  coresBusy: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function summarize(workload: Workload, byVariant: Map<string, Measurement[]>): VariantResult[] {
  const med = (name: string, pick: (m: Measurement) => number): number => median(byVariant.get(name)!.map(pick));
  const ref = workload.reference;
  return [...byVariant.keys()].map((name) => {
    const runs = byVariant.get(name)!;
    const rss = med(name, (m) => m.peakRssMb);
    const clients = runs[0]!.clients;
    return {
      type: 'result',
      workload: workload.id,
      variant: name,
      reps: runs.length,
      clients,
      receivedPerSec: Math.round(med(name, (m) => m.receivedPerSec)),
      throughputRatio: round(med(name, (m) => m.receivedPerSec) / med(ref, (m) => m.receivedPerSec)),
      latencyP50Ms: round(med(name, (m) => m.latencyP50Ms), 3),
      latencyP99Ms: round(med(name, (m) => m.latencyP99Ms), 3),
      othersP99Ms: round(med(name, (m) => m.othersP99Ms), 3),
      othersP99Ratio: round(med(name, (m) => m.othersP99Ms) / med(ref, (m) => m.othersP99Ms)),
      connectMs: Math.round(med(name, (m) => m.connectMs)),
      peakRssMb: rss,
      rssPerClientKb: Math.round((rss * 1024) / clients),
      lost: Math.max(...runs.map((m) => m.lost)),
      clientCpuUsPerMsg: round(med(name, (m) => (m.clientCpuMs * 1000) / Math.max(1, m.received)), 1),
      brokerCpuUsPerMsg: round(med(name, (m) => (m.brokerCpuMs * 1000) / Math.max(1, m.received)), 1),
      coresBusy: round(med(name, (m) => (m.clientCpuMs + m.brokerCpuMs) / m.wallMs)),
    };
  });
}

/** The README's tables, one per workload, from the medians. */
export function markdown(results: VariantResult[], context: { reps: number; cores: number }): string {
  const out: string[] = [`Medians of ${context.reps} interleaved repetitions, ${context.cores} cores, one \`npm run bench\`.`, ''];
  const workloads = [...new Set(results.map((r) => r.workload))];
  for (const w of workloads) {
    const rows = results.filter((r) => r.workload === w);
    out.push(`**${w}**`, '');
    if (w.startsWith('W1')) {
      out.push(
        '| variant | msg/s received | ratio | p50 ms | p99 ms | peak RSS MB | lost | client CPU µs/msg | broker CPU µs/msg | cores busy |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      );
      for (const r of rows) {
        out.push(
          `| ${r.variant} | ${r.receivedPerSec.toLocaleString('en-US')} | ${r.throughputRatio.toFixed(2)}x | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.peakRssMb} | ${r.lost} | ${r.clientCpuUsPerMsg} | ${r.brokerCpuUsPerMsg} | ${r.coresBusy.toFixed(2)} |`,
        );
      }
    } else if (w === 'W3') {
      out.push('| variant | msg/s received | p50 ms | p99 ms | peak RSS MB |', '| --- | ---: | ---: | ---: | ---: |');
      for (const r of rows) out.push(`| ${r.variant} | ${r.receivedPerSec.toLocaleString('en-US')} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.peakRssMb} |`);
    } else if (w === 'W4') {
      out.push('| variant | p50 ms (all) | p99 ms, the 19 other clients | vs single loop without work |', '| --- | ---: | ---: | ---: |');
      for (const r of rows) out.push(`| ${r.variant} | ${r.latencyP50Ms} | ${r.othersP99Ms} | ${r.othersP99Ratio.toFixed(2)}x |`);
    } else {
      out.push('| variant | clients | connect ms | peak RSS MB | RSS per client KB |', '| --- | ---: | ---: | ---: | ---: |');
      for (const r of rows) out.push(`| ${r.variant} | ${r.clients.toLocaleString('en-US')} | ${r.connectMs.toLocaleString('en-US')} | ${r.peakRssMb} | ${r.rssPerClientKb} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
