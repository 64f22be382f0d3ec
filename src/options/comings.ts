/**
 * How clients come and go: --client-stages (the connected count over time), --client-leave (how
 * they leave on the way down) and --churn (reconnects on a schedule). Each parser names its
 * option (a flag, or a scenario path), so a flag and a scenario file share one message.
 */
import { UsageError } from '../errors.js';
import type { Churn, ClientStage, LeaveMode } from '../group.js';
import { planLengthMs } from '../metrics/client-plan.js';
import { formatCount, formatMs, MAX_CLIENTS, MAX_RUN_MS } from './bounds.js';
import { parseBoundedDuration, parseCount, parseDuration, parseNumber } from './parse.js';

export const LEAVE_MODES = ['clean', 'abrupt'] as const;

/** Shortest churn period: a reconnect needs a round trip or two, and a stats interval should see it. */
const MIN_CHURN_MS = 100;

/**
 * `30s:100,1m:1000,30s:0`: over each DURATION the connected count goes linearly to its target,
 * from 0 at the start; `DUR:hold` keeps the previous target. A scenario may give a list of such
 * stages instead of one string.
 */
export function parseClientStages(option: string, value: unknown): ClientStage[] {
  const parts = Array.isArray(value) ? value.map(String) : String(value).split(',');
  const text = (part: string): string => JSON.stringify(part.trim());
  if (parts.length === 0 || parts.every((p) => p.trim() === ''))
    throw new UsageError(option, `${option} needs at least one stage, like 30s:100,1m:hold,30s:0`);
  const stages: ClientStage[] = [];
  let previous = 0;
  for (const part of parts) {
    const match = /^([^:]+):([^:]+)$/.exec(part.trim());
    if (!match)
      throw new UsageError(option, `${option}: each stage is DURATION:CLIENTS or DURATION:hold (got ${text(part)})`);
    const durationMs = parseDuration(`${option} (stage ${text(part)})`, match[1]);
    const target = match[2]!.trim().toLowerCase();
    let clients = previous;
    if (target !== 'hold') {
      clients = parseCount(`${option} (stage ${text(part)})`, target);
      if (clients > MAX_CLIENTS)
        throw new UsageError(option, `${option}: at most ${formatCount(MAX_CLIENTS)} clients (got ${text(part)})`);
    }
    stages.push({ durationMs, clients });
    previous = clients;
  }
  const total = planLengthMs(stages);
  if (total === 0) throw new UsageError(option, `${option} lasts 0 ms: give its stages a duration`);
  if (total > MAX_RUN_MS)
    throw new UsageError(
      option,
      `${option} lasts ${formatMs(total)}; a run publishes for at most ${formatMs(MAX_RUN_MS)}`,
    );
  return stages;
}

export function parseLeaveMode(option: string, value: unknown): LeaveMode {
  const mode = String(value).trim().toLowerCase();
  if (mode === 'clean' || mode === 'abrupt') return mode;
  throw new UsageError(option, `${option} must be clean or abrupt (got ${JSON.stringify(value)})`);
}

/**
 * `10s:0.1` or `10s:0.1:abrupt` on the command line; `{ every: 10s, fraction: 0.1, mode: abrupt }`
 * in a scenario. Every period, that fraction of the group (at least one client) reconnects.
 */
export function parseChurn(option: string, value: unknown): Churn {
  let every: unknown, fraction: unknown, mode: unknown;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const extra = Object.keys(v).filter((k) => !['every', 'fraction', 'mode'].includes(k));
    if (extra.length > 0)
      throw new UsageError(
        option,
        `${option}: ${extra.join(', ')} is not a churn setting; expected every, fraction, mode`,
      );
    ({ every, fraction, mode } = v);
  } else {
    const parts = String(value).split(':');
    if (parts.length < 2 || parts.length > 3)
      throw new UsageError(
        option,
        `${option} must be EVERY:FRACTION or EVERY:FRACTION:abrupt, like 10s:0.1 (got ${JSON.stringify(String(value))})`,
      );
    [every, fraction, mode] = parts;
  }
  if (every === undefined || fraction === undefined)
    throw new UsageError(option, `${option} needs every (a duration) and fraction (of the group, 0 to 1)`);
  const everyMs = parseBoundedDuration(`${option} every`, every, MIN_CHURN_MS, MAX_RUN_MS);
  const share = parseNumber(`${option} fraction`, fraction);
  if (!(share > 0 && share <= 1))
    throw new UsageError(
      option,
      `${option}: the fraction is of the group's clients, above 0 and at most 1 (got ${share})`,
    );
  return { everyMs, fraction: share, mode: mode === undefined ? 'clean' : parseLeaveMode(`${option} mode`, mode) };
}

/** A plan wants more clients than the group has: refused, naming the option (or the scenario path). */
export function stagesProblem(option: string, stages: readonly ClientStage[] | null, clients: number): string | null {
  if (stages === null) return null;
  const peak = Math.max(...stages.map((s) => s.clients));
  return peak > clients
    ? `${option} reaches ${peak} connected clients but there are only ${clients} (--clients, or the group's count): give at least as many`
    : null;
}
