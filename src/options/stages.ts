/**
 * `--stages '30s:100,1m:hold,30s:0'` (and a scenario group's `publish.stages`): the per-client
 * publish rate over time, read into stages the publisher and the accounting share.
 */
import { UsageError } from '../errors.js';
import type { Stage } from '../group.js';
import { RateSchedule } from '../metrics/schedule.js';
import { approxMs, formatCount, formatMs, MAX_MESSAGES, MAX_RUN_MS } from './bounds.js';
import { parseCount, parseDuration, parseRate } from './parse.js';

/** More would be a plan nobody types; each stage costs a segment in every publisher. */
export const MAX_STAGES = 1000;

const SHAPE = 'DURATION:RATE stages like 30s:100,1m:hold,30s:0';

/**
 * Stages from text (`30s:100,1m:hold`), a list of such entries, or a list of `{ duration,
 * target }` mappings (as k6 writes them). `hold` keeps the previous stage's rate (0 for the
 * first). A rate takes `k` for thousands (`10k`). A zero-length stage is a step.
 */
export function parseStages(option: string, value: unknown): Stage[] {
  const entries = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? (value as unknown[]) : null;
  if (entries === null || entries.length === 0 || (entries.length === 1 && String(entries[0]).trim() === ''))
    throw new UsageError(option, `${option} must be ${SHAPE} (got ${JSON.stringify(value)})`);
  if (entries.length > MAX_STAGES)
    throw new UsageError(option, `${option} has ${entries.length} stages; at most ${MAX_STAGES}`);
  const stages: Stage[] = [];
  let previous = 0;
  entries.forEach((entry, n) => {
    const label = `${option} stage ${n + 1}`;
    try {
      const [duration, target] = stageParts(label, entry);
      const durationMs = parseDuration(label, duration);
      const text = String(target).trim().toLowerCase();
      const rate =
        text === 'hold' ? previous : parseRate(label, /^[\d.]+k$/.test(text) ? parseCount(label, text) : target);
      stages.push({ durationMs, rate });
      previous = rate;
    } catch (err) {
      // Named by the option, so a scenario's defaults point at their line; the message says which stage.
      if (err instanceof UsageError) throw new UsageError(option, err.message);
      throw err;
    }
  });
  const schedule = new RateSchedule(stages);
  if (schedule.durationMs < 1 || schedule.durationMs > MAX_RUN_MS)
    throw new UsageError(
      option,
      `${option} must last from 1ms to ${formatMs(MAX_RUN_MS)} in all (got ${approxMs(schedule.durationMs)})`,
    );
  if (!(schedule.total > 0))
    throw new UsageError(option, `${option} never rises above 0 msg/s: nothing would be published`);
  if (Math.ceil(schedule.total) > MAX_MESSAGES)
    throw new UsageError(
      option,
      `${option} plans ${Math.ceil(schedule.total)} messages per client; at most ${formatCount(MAX_MESSAGES)} (sequence numbers are 32-bit)`,
    );
  return stages;
}

/** One entry's duration and target: `30s:100`, or `{ duration: 30s, target: 100 }`. */
function stageParts(label: string, entry: unknown): [unknown, unknown] {
  if (typeof entry === 'string') {
    const match = /^\s*([^:]+):([^:]+)$/.exec(entry);
    if (match) return [match[1]!.trim(), match[2]!.trim()];
  } else if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
    const e = entry as Record<string, unknown>;
    const keys = Object.keys(e);
    // A bare number as text, as on the command line: `duration: 30` needs its unit.
    if (e.duration !== undefined && e.target !== undefined && keys.length === 2)
      return [typeof e.duration === 'number' ? String(e.duration) : e.duration, e.target];
  }
  throw new UsageError(label, `${label} must be DURATION:RATE, e.g. 30s:100 or 1m:hold (got ${JSON.stringify(entry)})`);
}

/** A staged plan's highest rate: its `rate`, which spreads clients' phases and marks the plan as paced. */
export function peakRate(stages: readonly Stage[]): number {
  return stages.reduce((max, s) => Math.max(max, s.rate), 0);
}
