import type { Options } from 'yargs';
import { UsageError } from '../errors.js';
import { kebab, type OptionSpec } from './spec.js';
import { flagOf, labelOf, OPTION_ENTRIES } from './table.js';
import type { RunOptions } from './types.js';
import { parseBoolean } from './parse.js';
import { at, InternalError } from '../mqtt/checked.js';

/** One flag for yargs, shown by --help and in the README, from its table entry. */
function yargsOption(spec: OptionSpec): Options {
  const shown = spec.shownDefault ?? (spec.default === undefined ? false : String(spec.default));
  return {
    ...(spec.alias === undefined ? {} : { alias: spec.alias }),
    type: spec.kind === 'boolean' ? 'boolean' : 'string',
    description: spec.description,
    ...(shown === false ? {} : { defaultDescription: shown }),
    ...(spec.choices === undefined ? {} : { choices: spec.choices }),
  };
}

/**
 * The `run` command's flags, from the option table. Numbers are taken as strings and parsed when
 * the options are resolved. No yargs defaults: a flag left out stays undefined, so a scenario's
 * defaults can apply; the defaults themselves are only described here.
 */
export const RUN_FLAGS: Readonly<Record<string, Options>> = Object.fromEntries(
  OPTION_ENTRIES.map(([key, spec]) => [flagOf(key), yargsOption(spec)]),
);

/** One run flag, for the commands that take a few of them. */
export function runFlag(flag: string): Options {
  const option = RUN_FLAGS[flag];
  if (option === undefined) throw new InternalError(`no run flag --${flag}`);
  return option;
}

/** `compare` takes the run flags, with --threads as a list of modes, and an HTML report. */
export const COMPARE_FLAGS: Readonly<Record<string, Options>> = {
  ...RUN_FLAGS,
  // Refused by compare with a reason (every mode would write the same files): known, so the reason is given, but not offered.
  out: { ...runFlag('out'), hidden: true },
  json: { ...runFlag('json'), description: "NDJSON on stdout: each mode's summary line, then the comparison's" },
  threads: {
    type: 'string',
    description: 'Modes to compare, in order: 0 (one loop), K (a pool of K), per-client',
    defaultDescription: '0,CORES,per-client',
  },
  report: { type: 'string', description: 'Write a self-contained HTML report with charts to this file' },
};

/** yargs' parsed flags as run options: each option read under its flag; one given twice is refused unless it is a list. */
export function runOptionsFrom(args: Readonly<Record<string, unknown>>): RunOptions {
  const options: Record<string, unknown> = {};
  for (const [key, spec] of OPTION_ENTRIES) {
    if (spec.cliOnly) continue;
    const value = args[flagOf(key)];
    if (value === undefined) continue;
    if (Array.isArray(value) && spec.kind !== 'strings')
      throw new UsageError(labelOf(key), `${labelOf(key)} was given more than once`);
    options[key] = value;
  }
  return options;
}

/**
 * yargs reads `--clean=<anything but true>` as false, so `--clean=nope` would mean --no-clean:
 * a boolean flag takes `=true` or `=false` (or its --no- form), and nothing else.
 */
export function checkBooleanValues(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    const match = /^--([^=]+)=(.*)$/s.exec(arg);
    if (!match) continue;
    const flag = kebab(at(match, 1));
    if (!BOOLEAN_FLAGS.has(flag)) continue;
    if (match[2] !== 'true' && match[2] !== 'false') parseBoolean(`--${flag}`, match[2]);
  }
}

/** `find-max` takes the run flags but those it sets itself per step, and its own. */
export const FIND_MAX_FLAGS: Readonly<Record<string, Options>> = {
  ...Object.fromEntries(
    Object.entries(RUN_FLAGS).filter(([flag]) => !['rate', 'duration', 'count', 'scenario'].includes(flag)),
  ),
  'start-rate': { type: 'string', description: 'Per-client rate (msg/s) of the first step', defaultDescription: '10' },
  'max-rate': { type: 'string', description: 'Per-client rate (msg/s) the ramp stops at', defaultDescription: '10000' },
  'step-duration': {
    type: 'string',
    description: 'Publishing time of each step, its --warmup included',
    defaultDescription: '4s',
  },
  resolution: {
    type: 'string',
    description: 'Bisect until the last good and first bad rates are this close (5%, 0.05)',
    defaultDescription: '5%',
  },
  warmup: { ...RUN_FLAGS.warmup, defaultDescription: '1s' },
  threshold: {
    ...RUN_FLAGS.threshold,
    description:
      "What a step must hold, as for run (repeatable); given, they replace the default 'latency.p99<=50ms' and 'lost==0'",
  },
  'abort-on-fail': {
    ...RUN_FLAGS['abort-on-fail'],
    description: 'Stop a step as soon as a threshold is crossed (--no-abort-on-fail: run every step to its end)',
    defaultDescription: 'true',
  },
  json: { ...RUN_FLAGS.json, description: 'NDJSON on stdout: a find-max-step line per step, then the find-max result' },
  confirm: {
    type: 'boolean',
    description: 'Run a failing step once more; a rate breaks only if it fails twice (--no-confirm: once)',
    defaultDescription: 'true',
  },
  report: { type: 'string', description: 'Write a self-contained HTML report: rate against p99 and loss' },
};

/** Every command's boolean flags, read from the flag tables themselves (for checkBooleanValues, called after this). */
const BOOLEAN_FLAGS = new Set(
  [RUN_FLAGS, COMPARE_FLAGS, FIND_MAX_FLAGS].flatMap((flags) =>
    Object.entries(flags)
      .filter(([, option]) => option.type === 'boolean')
      .map(([flag]) => flag),
  ),
);
