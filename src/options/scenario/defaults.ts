/**
 * A scenario's `defaults`: the run options a scenario file may set for the whole run, those whose
 * table entry says `scenario: true`, in camelCase or kebab-case.
 */
import { resolve as resolvePath } from 'node:path';
import { camel } from '../spec.js';
import { OPTION_ENTRIES } from '../table.js';
import type { RunOptions } from '../types.js';
import type { Scenario } from './load.js';

const SCENARIO_DEFAULT_KEYS = new Set<string>(OPTION_ENTRIES.filter(([, spec]) => spec.scenario).map(([key]) => key));
/** Files, relative to the scenario file when its defaults name them. */
const FILE_KEYS = new Set<string>(OPTION_ENTRIES.filter(([, spec]) => spec.file === true).map(([key]) => key));

/**
 * A scenario's `defaults`: run options in camelCase or kebab-case; files relative to the scenario.
 * `spelling` maps each camelCase name back to the key written in the file, for error positions.
 */
export function scenarioDefaults(scenario: Scenario): { defaults: RunOptions; spelling: Map<string, string> } {
  const out: Record<string, unknown> = {};
  const spelling = new Map<string, string>();
  for (const [key, value] of Object.entries(scenario.defaults)) {
    const name = camel(key);
    if (!SCENARIO_DEFAULT_KEYS.has(name)) {
      scenario.failKey(
        ['defaults', key],
        `is not a run option that a scenario can default; expected one of ${[...SCENARIO_DEFAULT_KEYS].join(', ')}`,
      );
    }
    spelling.set(name, key);
    // A scenario is text like the command line: `duration: 10` is the string "10", which needs its unit,
    // where a number from a library caller would be milliseconds. Not a password: YAML has already
    // rounded a long number, so the text would not be what was written; it is refused instead.
    const text = typeof value === 'number' && name !== 'password' ? String(value) : value;
    out[name] =
      FILE_KEYS.has(name) && typeof text === 'string' ? resolvePath(scenario.baseOf(['defaults', key]), text) : text;
  }
  return { defaults: out, spelling };
}

export function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}
