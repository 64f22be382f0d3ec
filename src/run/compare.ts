import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { UsageError, type SerializedError } from '../errors.js';
import type { Comparison, ComparisonRow, Summary } from '../report/events.js';
import type { StatsLine } from '../metrics/stats-line.js';
import { ExitCode, isStopCode, stopExitCode, stopReason } from '../report/exit-codes.js';
import { checkWorkloads } from './workload-check.js';
import { verdictOf } from '../report/verdict.js';
import { checkMachineLimits } from '../options/limits.js';
import type { Logger } from '../report/log.js';
import { silentLogger } from '../report/log.js';
import { newRunId, resolveOptions, type ResolvedOptions, type RunOptions } from '../options/index.js';
import { assertNever } from '../protocol.js';
import { at } from '../mqtt/checked.js';

const CHILD = fileURLToPath(new URL('./compare-child.js', import.meta.url));

/** A mode's options, resolved by the parent: the child runs them as they are. */
export type CompareParentMessage = { type: 'run'; options: ResolvedOptions };
export type CompareChildMessage =
  | { type: 'stats'; event: StatsLine }
  | { type: 'summary'; summary: Summary }
  | { type: 'error'; error: SerializedError };

export interface CompareOptions extends Omit<RunOptions, 'threads'> {
  /** The modes to run, in order: `0`, `K`, `per-client`; a list or a comma-separated string. */
  threads?: string | string[];
}

export interface CompareControl {
  signal?: AbortSignal;
  logger?: Logger;
  /** Each mode's summary as it finishes. */
  onSummary?: (summary: Summary) => void;
  onStats?: (mode: string, stats: StatsLine) => void;
}

export function defaultModes(): string[] {
  return ['0', String(availableParallelism()), 'per-client'];
}

export function parseModes(value: string | string[] | undefined): string[] {
  const list = (value === undefined ? defaultModes() : Array.isArray(value) ? value : String(value).split(','))
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (list.length === 0) throw new UsageError('--threads', '--threads needs at least one mode, e.g. 0,2,per-client');
  return list;
}

/** What `compare` runs: one resolved run per mode, all checked before the first starts. */
export interface ComparePlan {
  runId: string;
  modes: string[];
  /** Each mode's options, resolved once here and handed to the process that runs it. */
  runs: ResolvedOptions[];
}

/**
 * Resolve and check every mode's options before the first starts: a bad mode must not cost a
 * whole run first. Throws UsageError, naming the option.
 */
export function planCompare(input: CompareOptions = {}): ComparePlan {
  const { threads, ...runOptions } = input;
  const modes = parseModes(threads);
  const runId = runOptions.runId ?? newRunId();
  // Each mode would write the same files, the last one overwriting the others.
  if (runOptions.out !== undefined) {
    throw new UsageError(
      '--out',
      "--out does not go with compare: every mode would write the same file; --json prints each mode's summary, --report draws them",
    );
  }
  const runs = modes.map((mode, n) => {
    const options = resolveOptions({ ...runOptions, threads: mode, runId: `${runId}-${n}` });
    checkMachineLimits(options);
    return options;
  });
  return { runId, modes, runs };
}

/**
 * Run the identical workload once per thread mode, one after another, each in a fresh process
 * (against the same broker, or a fresh embedded one per mode), and set their figures side by side.
 */
export async function compare(
  input: CompareOptions & CompareControl = {},
): Promise<{ comparison: Comparison; summaries: Summary[] }> {
  const { signal, logger, onSummary, onStats, ...options } = input;
  return comparePlanned(planCompare(options), { signal, logger, onSummary, onStats });
}

/** compare() with its plan made already (the CLI makes it first, for its redactor). */
export async function comparePlanned(
  plan: ComparePlan,
  control: CompareControl = {},
): Promise<{ comparison: Comparison; summaries: Summary[] }> {
  const { signal, logger = silentLogger, onSummary, onStats } = control;
  const { runId, modes, runs: resolved } = plan;
  const first = at(resolved, 0);
  await checkWorkloads(first, signal);
  const summaries: Summary[] = [];
  let interrupted = false;
  const startedAt = new Date().toISOString();
  for (const [n, mode] of modes.entries()) {
    if (signal?.aborted) {
      interrupted = true;
      break;
    }
    logger.info({ mode }, `compare: mode ${n + 1} of ${modes.length}: --threads ${mode}`);
    const summary = await runChild(mode, at(resolved, n), signal, (s) => onStats?.(mode, s));
    summaries.push(summary);
    onSummary?.(summary);
    if (summary.interrupted) {
      interrupted = true;
      break;
    }
  }
  const rows = summaries.map((s) => row(s, at(summaries, 0)));
  const last = summaries.at(-1)?.exitCode;
  // Our own signal says why; a mode stopped by a signal of its own (Ctrl-C reaches the whole process group) says so itself.
  const exitCode = interrupted
    ? signal?.aborted
      ? stopExitCode(stopReason(signal.reason))
      : last !== undefined && isStopCode(last)
        ? last
        : ExitCode.Interrupted
    : summaries.some((s) => s.exitCode !== ExitCode.Ok && s.exitCode !== ExitCode.ThresholdCrossed)
      ? ExitCode.Shortfall
      : summaries.some((s) => s.exitCode === ExitCode.ThresholdCrossed)
        ? ExitCode.ThresholdCrossed
        : ExitCode.Ok;
  return {
    summaries,
    comparison: {
      type: 'comparison',
      runId,
      startedAt,
      clients: first.clients,
      qos: first.qos,
      workMs: first.workMs,
      rows,
      verdict: verdictOf(rows, first.workMs),
      interrupted,
      exitCode,
    },
  };
}

function row(s: Summary, base: Summary): ComparisonRow {
  const pick = (l: Summary['latencyMs']['others']) => (l ? { p50: l.p50, p99: l.p99, max: l.max } : null);
  return {
    mode: s.mode,
    threads: s.threads,
    connectMs: s.connectMs,
    publishedPerSec: s.publishedPerSec,
    receivedPerSec: s.receivedPerSec,
    throughputRatio: base.receivedPerSec > 0 ? Math.round((s.receivedPerSec / base.receivedPerSec) * 100) / 100 : 0,
    latencyMs: {
      p50: s.latencyMs.p50,
      p90: s.latencyMs.p90,
      p99: s.latencyMs.p99,
      p999: s.latencyMs.p999,
      max: s.latencyMs.max,
    },
    othersMs: pick(s.latencyMs.others),
    workingMs: pick(s.latencyMs.working),
    loopDelayP99Ms: s.loopDelayMs?.p99 ?? null,
    peakRssMb: s.peakRssMb,
    cpuSeconds: Math.round((s.cpuMs.user + s.cpuMs.system) / 10) / 100,
    lost: s.lost,
    gaveUp: s.gaveUp,
    exitCode: s.exitCode,
  };
}

function runChild(
  mode: string,
  options: ResolvedOptions,
  signal: AbortSignal | undefined,
  onStats: (s: StatsLine) => void,
): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let summary: Summary | null = null;
    let error: SerializedError | null = null;
    const forward = (): void => {
      const reason = stopReason(signal?.reason);
      child.kill(reason === 'EPIPE' ? 'SIGINT' : reason);
    };
    signal?.addEventListener('abort', forward, { once: true });
    child.on('message', (message: CompareChildMessage) => {
      switch (message.type) {
        case 'stats':
          onStats(message.event);
          break;
        case 'summary':
          summary = message.summary;
          break;
        case 'error':
          error = message.error;
          break;
        default:
          assertNever(message);
      }
    });
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      signal?.removeEventListener('abort', forward);
      if (summary) resolve(summary);
      else reject(new Error(error ? error.message : `the ${mode} run exited (${code ?? sig}) without a summary`));
    });
    const message: CompareParentMessage = { type: 'run', options };
    child.send(message);
  });
}
