/**
 * Whether the load generator itself could not keep up. When it could not, its figures describe
 * mqtt-fleet (a thread busy elsewhere, a saturated machine), not the broker: latency stamped late
 * on receipt, messages sent behind their schedule.
 */

/** One sign that the generator was the bottleneck, with what it measured. */
export interface GeneratorReason {
  signal: 'send-lag' | 'loop-delay' | 'cpu';
  /** The figure, the limit it passed, and what to change, in words. */
  detail: string;
}

export interface GeneratorVerdict {
  limited: boolean;
  reasons: GeneratorReason[];
  /**
   * CPU this process (every thread of it) used while publishing, as a share of the cores it
   * has (os.availableParallelism()): 1 = all of them; null when nothing was published.
   */
  cpuShare: number | null;
}

/** A meaningful share of paced messages sent more than one period late. */
export const LATE_SHARE = 0.01;
/** Event-loop delay at p99, worst thread: receive times are stamped this late. */
export const LOOP_DELAY_MS = 100;
/** CPU near every core the process has. */
export const CPU_SHARE = 0.9;

export function generatorVerdict(f: {
  lateSends: number;
  pacedSent: number;
  loopDelayP99: number | null;
  cpuShare: number | null;
}): GeneratorVerdict {
  const reasons: GeneratorReason[] = [];
  const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;
  if (f.pacedSent > 0 && f.lateSends / f.pacedSent >= LATE_SHARE) {
    reasons.push({
      signal: 'send-lag',
      detail: `${pct(f.lateSends / f.pacedSent)} of paced messages (${f.lateSends} of ${f.pacedSent}) went out more than a period late (limit ${pct(LATE_SHARE)}): fewer clients or a lower --rate per process, or split the fleet with --shard`,
    });
  }
  if (f.loopDelayP99 !== null && f.loopDelayP99 >= LOOP_DELAY_MS) {
    reasons.push({
      signal: 'loop-delay',
      detail: `an event loop ran ${Math.round(f.loopDelayP99)} ms late at p99 (limit ${LOOP_DELAY_MS} ms), so receive times were stamped late: spread clients over more threads (--threads), or less --work and lighter workload hooks`,
    });
  }
  if (f.cpuShare !== null && f.cpuShare >= CPU_SHARE) {
    reasons.push({
      signal: 'cpu',
      detail: `the process used ${pct(f.cpuShare)} of its cores while publishing (limit ${pct(CPU_SHARE)}): give it more cores, or split the fleet with --shard across machines`,
    });
  }
  return { limited: reasons.length > 0, reasons, cpuShare: f.cpuShare };
}
