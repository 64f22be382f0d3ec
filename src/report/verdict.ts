import type { ComparisonRow, Verdict } from './events.js';
import { MODE_LABELS } from '../group.js';
import { fmtMs } from './format.js';

/** Throughputs this close count as the same: run-to-run noise on these machines is of this order. */
const SAME_THROUGHPUT = 0.05;
/** p99s within this factor count as the same: a tie is broken by CPU. */
const SAME_LATENCY = 1.25;

const label = (r: ComparisonRow): string => MODE_LABELS[r.mode];
const p99Of = (r: ComparisonRow): number => r.othersMs?.p99 ?? r.latencyMs.p99;
const least = (rows: ComparisonRow[], of: (r: ComparisonRow) => number): ComparisonRow | undefined =>
  rows.reduce<ComparisonRow | undefined>((best, r) => (best === undefined || of(r) < of(best) ? r : best), undefined);
const times = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(1)}×` : '-');

export function verdictOf(rows: readonly ComparisonRow[], workMs: number): Verdict {
  // A mode that lost messages or clients is no choice, whatever its figures.
  const clean = rows.filter((r) => r.lost === 0 && r.gaveUp === 0 && r.receivedPerSec > 0);
  const none: Verdict = {
    lowestP99: null,
    mostThroughput: null,
    sameThroughput: false,
    leastCpu: null,
    leastMemory: null,
    choice: null,
    text: 'No mode ran cleanly (messages lost, clients gave up, or nothing received): no verdict.',
  };
  const fastest = least(clean, p99Of);
  const richest = least(clean, (r) => -r.receivedPerSec);
  const frugal = least(clean, (r) => r.cpuSeconds);
  const slim = least(clean, (r) => r.peakRssMb);
  if (!fastest || !richest || !frugal || !slim) return none;
  const top = richest.receivedPerSec;
  const enough = clean.filter((r) => r.receivedPerSec >= top * (1 - SAME_THROUGHPUT));
  const sameThroughput = enough.length === clean.length;
  // Of the modes that kept up, the quickest; among those about as quick, the cheapest.
  const quick = least(enough, p99Of) ?? fastest;
  const choice =
    least(
      enough.filter((r) => p99Of(r) <= p99Of(quick) * SAME_LATENCY),
      (r) => r.cpuSeconds,
    ) ?? quick;
  const loaded = workMs > 0 && rows.some((r) => r.othersMs);
  const p99Name = loaded ? 'p99 of the clients beside the slow ones' : 'p99';
  const others = clean.filter((r) => r !== fastest);
  const sentences = [
    `Lowest ${p99Name}: ${label(fastest)} (${fmtMs(p99Of(fastest))}${others.length ? `; ${others.map((r) => `${label(r)} ${fmtMs(p99Of(r))}`).join(', ')}` : ''}).`,
    sameThroughput
      ? `Throughput: the same in every mode (within ${SAME_THROUGHPUT * 100}%).`
      : `Most throughput: ${label(richest)} (${Math.round(top)} msg/s).`,
    `Least CPU: ${label(frugal)} (${frugal.cpuSeconds.toFixed(2)} s); least memory: ${label(slim)} (${Math.round(slim.peakRssMb)} MB peak RSS).`,
  ];
  const costliest = least(clean, (r) => -r.cpuSeconds) ?? choice;
  const why: string[] = [];
  if (sameThroughput) why.push('the same throughput');
  else if (choice === richest) why.push('the most throughput');
  else why.push(`${Math.round((choice.receivedPerSec / top) * 100)}% of the best throughput`);
  if (choice === fastest) why.push(`the lowest ${loaded ? 'latency beside the slow clients' : 'p99'}`);
  else why.push(`p99 ${fmtMs(p99Of(choice))} (${times(p99Of(choice), p99Of(fastest))} the lowest)`);
  if (costliest !== choice)
    why.push(`${times(choice.cpuSeconds, costliest.cpuSeconds)} the CPU of ${label(costliest)}`);
  sentences.push(`For this workload, ${label(choice)}: ${why.join(', ')}.`);
  const perClient = clean.find((r) => r.mode === 'thread-per-client');
  if (perClient && perClient !== choice)
    sentences.push(
      loaded
        ? `A thread per client did not pay off here: with it, the clients beside the slow ones had a p99 of ${fmtMs(p99Of(perClient))}.`
        : 'A thread per client pays off only when a client is slow (try --work): each thread costs CPU and memory.',
    );
  return {
    lowestP99: label(fastest),
    mostThroughput: label(richest),
    sameThroughput,
    leastCpu: label(frugal),
    leastMemory: label(slim),
    choice: label(choice),
    text: sentences.join(' '),
  };
}
