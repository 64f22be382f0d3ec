/**
 * Checks every part of a scenario file makes of its values, each refused at the value's place in
 * the file with one wording: unknown keys, strings, templates, settings that need MQTT 5.
 */
import { refuse } from '../../errors.js';
import { templateProblem } from '../../mqtt/templates.js';
import { at, type Path, type Scenario } from './load.js';

/** A mapping's keys, each one of `allowed`: a misspelt key is refused, never silently ignored. */
export function checkKeys(
  scenario: Scenario,
  value: Record<string, unknown>,
  allowed: Iterable<string>,
  path: Path,
): void {
  const known = new Set(allowed);
  for (const key of Object.keys(value)) {
    if (!known.has(key))
      scenario.failKey([...path, key], `is not a known setting here; expected one of ${[...known].join(', ')}`);
  }
}

/**
 * A setting MQTT 3.1.1 cannot carry, refused below version 5 rather than not sent; `refusal`
 * says why, after the setting's place.
 */
export function needsMqtt5(
  scenario: Scenario,
  path: Path,
  protocolVersion: 4 | 5,
  refusal = 'needs mqttVersion 5 (MQTT 3.1.1 has no such thing)',
): void {
  if (protocolVersion !== 5) scenario.fail(path, refusal);
}

/**
 * A non-empty string; `what` names it in the refusal. A secret (a password, a URL that may hold
 * credentials) is described by its kind, never shown.
 */
export function stringAt(scenario: Scenario, path: Path, value: unknown, secret = false, what = 'string'): string {
  if (typeof value !== 'string' || value === '')
    scenario.fail(path, `must be a non-empty ${what} (got ${secret ? kindOf(value) : JSON.stringify(value)})`);
  return value;
}

function kindOf(value: unknown): string {
  if (value === '') return 'an empty string';
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/** A topic, filter or client id template: a non-empty string with only `tokens` as placeholders. */
export function templateAt(
  scenario: Scenario,
  path: Path,
  value: unknown,
  wildcards: boolean,
  tokens: readonly string[],
  what = 'string',
): string {
  const text = stringAt(scenario, path, value, false, what);
  at(scenario, path, (label) => refuse(label, templateProblem(label, text, wildcards, tokens)));
  return text;
}
