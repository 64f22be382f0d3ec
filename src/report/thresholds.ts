/**
 * Pass/fail thresholds on a run's figures (`--threshold 'latency.p99<50ms'`): the figures they
 * may name, how an expression is read, and how one is judged, on the final summary or during the
 * run. Pure: the run supplies the figures.
 */
import { UsageError } from '../errors.js';
import type { LatencySummary } from '../metrics/histogram.js';

export const OPERATORS = ['<=', '>=', '==', '!=', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];

/** What a figure measures: its unit decides how a threshold's value is written. */
export type FigureKind = 'time' | 'count' | 'rate';

/** One threshold, read and checked. */
export interface ThresholdSpec {
  /** The expression as written (`latency.p99<50ms`). */
  expr: string;
  figure: string;
  op: Operator;
  /** In the figure's unit: milliseconds for times, messages (per second) for counts and rates. */
  value: number;
  /** Also judged during the run, at every stats interval; crossing it stops the run. */
  abortOnFail: boolean;
}

/** How one threshold came out: in the summary, its `--json` line and the table on stderr. */
export interface ThresholdOutcome {
  threshold: string;
  figure: string;
  /** The figure at the end (milliseconds, messages or messages/s); null when it was not measured. */
  value: number | null;
  pass: boolean;
  abortOnFail: boolean;
  /** When it stopped the run: ms since the run started, and the figure then (cumulative so far). */
  abortedAt: { t: number; value: number } | null;
}

/**
 * The figures thresholds read: from the summary at the end, or from the figures so far during
 * the run. Null: not measured (nothing received, no paced messages, not known until the end).
 */
export interface ThresholdFigures {
  latency: LatencySummary | null;
  scheduledLatency: LatencySummary | null;
  sendLag: LatencySummary | null;
  /** Request/response: round trips of the answered requests, and requests timed out (null: no group sends requests). */
  roundTrip: LatencySummary | null;
  timedOut: number | null;
  steps: Record<StepFigure, LatencySummary | null>;
  lost: number | null;
  inFlight: number | null;
  duplicates: number | null;
  received: number;
  published: number;
  gaveUp: number;
  failed: number;
  reconnects: number;
  lateSends: number;
  receivedPerSec: number | null;
  publishedPerSec: number | null;
}

/** Steps of a client's life a threshold may name, and the summary's step each reads. */
export const STEP_FIGURES = {
  connect: 'connack',
  tcpConnect: 'tcpConnect',
  tlsHandshake: 'tlsHandshake',
  subscribe: 'suback',
  puback: 'puback',
  pubcomp: 'pubcomp',
  reconnect: 'reconnect',
} as const;
export type StepFigure = keyof typeof STEP_FIGURES;

const STATS = ['p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const;
type Stat = (typeof STATS)[number];

interface Figure {
  kind: FigureKind;
  /**
   * Counts only grow during a run: an upper bound crossed is crossed for good, so it may stop
   * the run; a lower bound not yet reached says nothing until the end.
   */
  growing: boolean;
  read: (f: ThresholdFigures) => number | null;
}

const distribution = (get: (f: ThresholdFigures) => LatencySummary | null, stat: Stat): Figure => ({
  kind: 'time',
  growing: false,
  // A distribution with nothing in it has no percentiles: not measured, rather than 0 ms.
  read: (f) => {
    const d = get(f);
    return d === null || d.count === 0 ? null : d[stat];
  },
});

const count = (read: (f: ThresholdFigures) => number | null): Figure => ({ kind: 'count', growing: true, read });
const rate = (read: (f: ThresholdFigures) => number | null): Figure => ({ kind: 'rate', growing: false, read });

function distributions(): [string, Figure][] {
  const sources: [string, (f: ThresholdFigures) => LatencySummary | null][] = [
    ['latency', (f) => f.latency],
    ['scheduledLatency', (f) => f.scheduledLatency],
    ['sendLag', (f) => f.sendLag],
    ['roundTrip', (f) => f.roundTrip],
    ...Object.keys(STEP_FIGURES).map(
      (step) =>
        [step, (f: ThresholdFigures) => f.steps[step as StepFigure]] as [
          string,
          (f: ThresholdFigures) => LatencySummary | null,
        ],
    ),
  ];
  return sources.flatMap(([name, get]) =>
    STATS.map((stat): [string, Figure] => [`${name}.${stat}`, distribution(get, stat)]),
  );
}

/** Every figure a threshold may name (README, "Thresholds", lists them). */
export const FIGURES: ReadonlyMap<string, Figure> = new Map<string, Figure>([
  ...distributions(),
  ['lost', count((f) => f.lost)],
  ['inFlight', count((f) => f.inFlight)],
  ['duplicates', count((f) => f.duplicates)],
  ['received', count((f) => f.received)],
  ['published', count((f) => f.published)],
  ['gaveUp', count((f) => f.gaveUp)],
  ['failed', count((f) => f.failed)],
  ['reconnects', count((f) => f.reconnects)],
  ['lateSends', count((f) => f.lateSends)],
  ['timedOut', count((f) => f.timedOut)],
  ['receivedPerSec', rate((f) => f.receivedPerSec)],
  ['publishedPerSec', rate((f) => f.publishedPerSec)],
]);

const EXPRESSION = /^\s*([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)?)\s*(<=|>=|==|!=|<|>|=)?\s*(.*?)\s*$/s;
const TIME_UNITS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000 };
const MULTIPLIERS: Record<string, number> = { '': 1, k: 1e3, m: 1e6 };

/**
 * Read one threshold; bad input throws a UsageError whose message starts with `label` and the
 * expression: `--threshold "latency.p99<5x": 5x is not a time ...`.
 */
export function parseThreshold(label: string, expr: unknown, abortOnFail = false): ThresholdSpec {
  const text = typeof expr === 'string' ? expr : JSON.stringify(expr);
  const fail = (why: string): never => {
    throw new UsageError(label, `${label} "${text}": ${why}`);
  };
  if (typeof expr !== 'string') return fail('must be a string such as latency.p99<50ms');
  const match = EXPRESSION.exec(expr);
  if (match === null || expr.trim() === '') return fail('expected FIGURE OPERATOR VALUE, such as latency.p99<50ms');
  const [, name, op, valueText] = match as unknown as [string, string, string | undefined, string];
  const figure = FIGURES.get(name);
  if (figure === undefined)
    return fail(`${name} is not a figure; expected one of ${[...figureNames()].join(', ')} (README, "Thresholds")`);
  if (op === undefined || op === '=')
    return fail(`expected an operator after ${name}: one of ${OPERATORS.join(' ')} (== for equality)`);
  if (valueText === '') return fail(`expected a value after ${op}`);
  const value = parseValue(figure.kind, valueText);
  if (value === null)
    return fail(
      figure.kind === 'time'
        ? `${valueText} is not a time: a number with us, ms or s (50ms, 1.5s)`
        : `${valueText} is not a ${figure.kind === 'rate' ? 'rate' : 'count'}: a number, optionally with k or m (9000, 9k)`,
    );
  return { expr: `${name}${op}${valueText}`, figure: name, op: op as Operator, value, abortOnFail };
}

/** The figure names, with each distribution's statistics folded: `latency.{p50,p90,p99,p999,max,mean}`. */
export function figureNames(): string[] {
  const names: string[] = [];
  const folded = new Set<string>();
  for (const name of FIGURES.keys()) {
    const [head, stat] = name.split('.');
    if (stat === undefined) names.push(name);
    else if (!folded.has(head!)) {
      folded.add(head!);
      names.push(`${head}.{${STATS.join(',')}}`);
    }
  }
  return names;
}

/** A time in ms (`50ms`, `1.5s`, `800us`), or a count or rate (`9000`, `9k`, `1.5m`); null if not one. */
function parseValue(kind: FigureKind, text: string): number | null {
  const match = /^(\d+(?:\.\d+)?|\.\d+)([a-zµ]*)$/i.exec(text);
  if (match === null) return null;
  const number = Number(match[1]);
  const suffix = match[2]!.toLowerCase();
  const factor = kind === 'time' ? TIME_UNITS[suffix] : MULTIPLIERS[suffix];
  if (factor === undefined || (kind === 'time' && suffix === '')) return null;
  return number * factor;
}

export function compare(actual: number, op: Operator, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

function figureOf(spec: ThresholdSpec): Figure {
  const figure = FIGURES.get(spec.figure);
  if (figure === undefined) throw new Error(`threshold on unknown figure ${spec.figure}`);
  return figure;
}

/** The figure a threshold reads, from these figures; null when not measured. */
export function figureValue(spec: ThresholdSpec, figures: ThresholdFigures): number | null {
  return figureOf(spec).read(figures);
}

/**
 * Judged on the final figures. A figure that was not measured fails: a budget on latency with
 * nothing received, or on scheduled latency with nothing paced, was not shown to be met. One
 * that stopped the run fails, whatever its figure at the end.
 */
export function judgeFinal(
  specs: readonly ThresholdSpec[],
  figures: ThresholdFigures,
  aborted: ReadonlyMap<number, { t: number; value: number }> = new Map(),
): ThresholdOutcome[] {
  return specs.map((spec, n) => {
    const value = figureValue(spec, figures);
    const abortedAt = aborted.get(n) ?? null;
    return {
      threshold: spec.expr,
      figure: spec.figure,
      value,
      pass: abortedAt === null && value !== null && compare(value, spec.op, spec.value),
      abortOnFail: spec.abortOnFail,
      abortedAt,
    };
  });
}

/**
 * Judged during the run, on the figures so far: the figure if the threshold is crossed for good
 * by now, else null. Not measured yet is not crossed; a count (which only grows) is crossed for
 * good only when it is past an upper bound (`lost==0` at 1, `received<1000` at 1000).
 */
export function crossedNow(spec: ThresholdSpec, figures: ThresholdFigures): number | null {
  const figure = figureOf(spec);
  const value = figure.read(figures);
  if (value === null || compare(value, spec.op, spec.value)) return null;
  if (!figure.growing) return value;
  const upperBound = spec.op === '<' || spec.op === '<=' || spec.op === '==';
  return upperBound && value > spec.value ? value : null;
}

/** `latency.p99<50ms (12.3 ms)`: the expression and the figure, for people. */
export function describeOutcome(o: ThresholdOutcome): string {
  const figure = FIGURES.get(o.figure);
  const shown = (v: number): string =>
    figure?.kind === 'time'
      ? `${Math.round(v * 1000) / 1000} ms`
      : figure?.kind === 'rate'
        ? `${Math.round(v).toLocaleString('en-US')} msg/s`
        : Math.round(v).toLocaleString('en-US');
  const value = o.value === null ? 'not measured' : shown(o.value);
  const aborted =
    o.abortedAt === null ? '' : `; stopped the run at ${shown(o.abortedAt.value)}, ${o.abortedAt.t} ms in`;
  return `${o.threshold} (${value}${aborted})`;
}
