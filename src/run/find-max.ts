/**
 * `mqtt-fleet find-max`: the highest per-client rate a broker sustains within thresholds. The same
 * fleet is run once per step, each step a whole run (its own connections, its warm-up left out),
 * so every step's loss accounting is exact; the rate doubles until a threshold breaks, then is
 * bisected between the last rate that held and the first that did not.
 */
import { startBroker, type EmbeddedBroker } from '../broker/embedded.js';
import { UsageError } from '../errors.js';
import { resolveOptions, type ResolvedOptions, type RunOptions } from '../options/index.js';
import { parseBoundedDuration, parseNumber, parseRate } from '../options/parse.js';
import { MAX_WAIT_MS } from '../options/bounds.js';
import { checkMachineLimits } from '../options/limits.js';
import type { Summary } from '../report/events.js';
import { ExitCode, stopExitCode, stopReason } from '../report/exit-codes.js';
import type { FindMaxResult, FindMaxStep } from '../report/find-max.js';
import { silentLogger, type Logger } from '../report/log.js';
import { runResolved } from './run.js';

/** Judged when no --threshold is given: the latency budget most brokers are held to, and no loss. */
export const DEFAULT_THRESHOLDS = ['latency.p99<=50ms', 'lost==0'] as const;

export const FIND_MAX_DEFAULTS = {
  startRate: 10,
  maxRate: 10_000,
  stepDuration: '4s',
  warmup: '1s',
  resolution: '5%',
} as const;

export interface FindMaxOptions {
  /** Per-client rate of the first step (msg/s). */
  startRate?: number | string;
  /** The ramp goes no higher (msg/s per client). */
  maxRate?: number | string;
  /** Publishing time of each step, warm-up included (`4s`). */
  stepDuration?: number | string;
  /** Bisection stops when the last good and first bad rates are this close, relative to the good one (`5%`, 0.05). */
  resolution?: number | string;
  /** Run a failing step once more, and take the rate as broken only if it fails again (default true). */
  confirm?: boolean;
}

export interface FindMaxControl {
  signal?: AbortSignal;
  /** Each step as it ends. */
  onStep?: (step: FindMaxStep) => void;
  logger?: Logger;
}

export interface FindMaxPlan {
  /** The first step's options, resolved: what the search's output must keep secret. */
  first: ResolvedOptions;
  startRate: number;
  maxRate: number;
  stepDurationMs: number;
  resolution: number;
  base: RunOptions;
  size: number;
  confirm: boolean;
}

/** Every option checked before the first step runs: bad input (UsageError, exit 2) with nothing connected. */
export function planFindMax(input: RunOptions & FindMaxOptions): FindMaxPlan {
  for (const key of ['rate', 'duration', 'count', 'scenario'] as const) {
    if (input[key] !== undefined) {
      const flag = `--${key}`;
      throw new UsageError(
        flag,
        key === 'scenario'
          ? '--scenario does not go with find-max: it varies the rate of a plain fleet (--clients, --qos, --size, ...)'
          : `${flag} does not go with find-max: each step sets the rate (--start-rate, --max-rate) and its length (--step-duration)`,
      );
    }
  }
  const startRate = parseRate('--start-rate', input.startRate ?? FIND_MAX_DEFAULTS.startRate);
  const maxRate = parseRate('--max-rate', input.maxRate ?? FIND_MAX_DEFAULTS.maxRate);
  if (startRate === 0) throw new UsageError('--start-rate', '--start-rate must be above 0 (find-max paces every step)');
  if (maxRate < startRate)
    throw new UsageError('--max-rate', `--max-rate (${maxRate}) must be at least --start-rate (${startRate})`);
  const stepDurationMs = parseBoundedDuration(
    '--step-duration',
    input.stepDuration ?? FIND_MAX_DEFAULTS.stepDuration,
    1000,
    MAX_WAIT_MS,
  );
  const resolution = parseResolution(input.resolution ?? FIND_MAX_DEFAULTS.resolution);
  const { startRate: _s, maxRate: _m, stepDuration: _d, resolution: _r, confirm, ...run } = input;
  if (confirm !== undefined && typeof confirm !== 'boolean')
    throw new UsageError('--confirm', `--confirm must be true or false (got ${JSON.stringify(confirm)})`);
  const base: RunOptions = {
    ...run,
    warmup: input.warmup ?? FIND_MAX_DEFAULTS.warmup,
    threshold: input.threshold ?? [...DEFAULT_THRESHOLDS],
    // Every step stops as soon as a threshold is crossed for good: a failing step costs little.
    abortOnFail: input.abortOnFail ?? true,
  };
  // The first step's options, resolved now, so a bad one is refused before anything starts.
  const first = resolveOptions({ ...base, rate: startRate, duration: stepDurationMs });
  checkMachineLimits(first);
  if (first.groups.every((g) => g.publish === null))
    throw new UsageError('--topic', 'find-max needs publishing clients (--topic)');
  return { first, startRate, maxRate, stepDurationMs, resolution, base, size: first.size, confirm: confirm ?? true };
}

/** `5%` or `0.05`: from 0.1% to 50%. */
function parseResolution(value: unknown): number {
  const text = String(value).trim();
  const percent = text.endsWith('%');
  const n = parseNumber('--resolution', percent ? text.slice(0, -1) : text) / (percent ? 100 : 1);
  if (!(n >= 0.001 && n <= 0.5))
    throw new UsageError('--resolution', `--resolution must be from 0.1% to 50% (got ${text})`);
  return n;
}

/** Round a bisected rate to what a user would type: whole msg/s from 10 up, one decimal below. */
function roundRate(rate: number): number {
  return rate >= 10 ? Math.round(rate) : Math.round(rate * 10) / 10;
}

/**
 * Find the highest per-client rate at which every threshold holds. Throws UsageError on bad
 * input before anything starts; everything after is in the result.
 */
export async function findMax(
  input: (RunOptions & FindMaxOptions) | FindMaxPlan = {},
  control: FindMaxControl = {},
): Promise<FindMaxResult> {
  const p = 'first' in input && 'base' in input ? input : planFindMax(input);
  const log = control.logger ?? silentLogger;
  const startedAt = Date.now();
  let broker: EmbeddedBroker | null = null;
  // One embedded broker for every step: the same broker measured throughout.
  if (p.first.embeddedBroker && !control.signal?.aborted) {
    broker = await startBroker();
    log.info({ broker: broker.url }, `embedded Aedes broker listening on ${broker.url} (pid ${broker.pid})`);
  }
  const steps: FindMaxStep[] = [];
  let last: Summary | null = null;
  /**
   * A rate breaks only when it fails twice in a row: one stall of a busy machine (a GC pause, a
   * neighbour's burst) can push one step's p99 over a budget the broker keeps; an overload fails again.
   */
  const judge = async (rate: number, phase: FindMaxStep['phase']): Promise<FindMaxStep> => {
    const first = await runStep(rate, phase);
    if (first.pass || control.signal?.aborted || !p.confirm) return first;
    return runStep(rate, phase);
  };
  const runStep = async (rate: number, phase: FindMaxStep['phase']): Promise<FindMaxStep> => {
    const options = resolveOptions({
      ...p.base,
      ...(broker ? { brokers: [broker.url] } : {}),
      rate,
      duration: p.stepDurationMs,
    });
    const summary = await runResolved(options, { signal: control.signal, logger: log });
    last = summary;
    const publishers = options.groups.reduce((n, g) => n + (g.publish === null ? 0 : g.count), 0);
    const step: FindMaxStep = {
      type: 'find-max-step',
      step: steps.length + 1,
      phase,
      rate,
      offeredPerSec: Math.round(rate * publishers),
      publishedPerSec: summary.publishedPerSec,
      receivedPerSec: summary.receivedPerSec,
      latencyMs: { p50: summary.latencyMs.p50, p99: summary.latencyMs.p99 },
      lost: summary.lost,
      pass: summary.exitCode === ExitCode.Ok,
      failed: [...summary.thresholds.filter((o) => !o.pass).map((o) => o.threshold), ...summary.shortfall],
      generatorLimited: summary.generatorLimited,
      durationMs: summary.durationMs,
      exitCode: summary.exitCode,
    };
    steps.push(step);
    control.onStep?.(step);
    return step;
  };
  let good: FindMaxStep | null = null;
  let bad: FindMaxStep | null = null;
  let interrupted = false;
  try {
    for (let rate = p.startRate; ; rate = Math.min(rate * 2, p.maxRate)) {
      const step = await judge(rate, 'ramp');
      if (control.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (!step.pass) {
        bad = step;
        break;
      }
      good = step;
      if (rate >= p.maxRate) break;
    }
    while (!interrupted && good && bad && (bad.rate - good.rate) / good.rate > p.resolution) {
      const rate = roundRate((good.rate + bad.rate) / 2);
      if (rate <= good.rate || rate >= bad.rate) break;
      const step = await judge(rate, 'bisect');
      if (control.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (step.pass) good = step;
      else bad = step;
    }
  } finally {
    await broker?.stop();
  }
  const lastSummary = last as Summary | null;
  const generatorLimited = bad?.generatorLimited.limited ?? false;
  const exitCode = interrupted
    ? stopExitCode(stopReason(control.signal?.reason))
    : good !== null
      ? ExitCode.Ok
      : (bad?.exitCode ?? ExitCode.Shortfall);
  return {
    type: 'find-max',
    clients: lastSummary?.clients ?? 0,
    qos: lastSummary?.qos ?? 0,
    size: p.size,
    brokers: lastSummary?.brokers ?? [],
    thresholds: lastSummary?.thresholds.map((o) => o.threshold) ?? [],
    rate: good?.rate ?? null,
    offeredPerSec: good?.offeredPerSec ?? null,
    receivedPerSec: good?.receivedPerSec ?? null,
    breakingRate: bad?.rate ?? null,
    limit: interrupted ? 'interrupted' : bad === null ? 'max-rate' : good === null ? 'start-rate' : 'threshold',
    generatorLimited,
    advice: generatorLimited
      ? `the step that broke (${bad!.rate} msg/s per client) was generator-limited: the limit found is mqtt-fleet's, not the broker's. Give it more threads (--threads K, or per-client), fewer clients per process, or split the fleet over processes or machines with --shard (${bad!.generatorLimited.reasons.map((r) => r.signal).join(', ')})`
      : null,
    resolution: p.resolution,
    steps,
    durationMs: Date.now() - startedAt,
    exitCode,
  };
}
