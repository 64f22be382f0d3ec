import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Document } from 'yaml';
import { UsageError } from '../errors.js';
import { readOptionFile } from '../parse.js';

export type Path = readonly (string | number)[];

/** A scenario file, parsed: plain values with `${ENV}` filled in, and where each one came from. */
export interface Scenario {
  file: string;
  dir: string;
  name: string | undefined;
  defaults: Record<string, unknown>;
  brokers: Record<string, unknown>;
  groups: unknown[];
  /** Throw the one-line error for the value at `path`: `fleet.yaml:12:7: groups[1].publish.rate ...`. */
  fail(path: Path, message: string): never;
  /** The same, pointing at the key itself (an unknown setting). */
  failKey(path: Path, message: string): never;
}

const TOP_LEVEL = new Set(['name', 'description', 'defaults', 'brokers', 'groups']);

export function pathText(path: Path): string {
  return path.map((p, n) => (typeof p === 'number' ? `[${p}]` : n === 0 ? p : `.${p}`)).join('');
}

/**
 * Read a YAML or JSON scenario (JSON is YAML too, so one parser gives positions for both).
 * Syntax errors and structural problems are reported with file, line and column.
 */
export function loadScenario(file: string, env: NodeJS.ProcessEnv): Scenario {
  const path = resolve(file);
  const text = readOptionFile('--scenario', file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    throw new UsageError('--scenario', `${where(err.pos[0])}: ${err.message.split('\n')[0]}`);
  }
  const fail = (at: Path, message: string): never => {
    throw new UsageError('--scenario', `${where(offsetOf(doc, at))}: ${pathText(at)}${message.startsWith(':') ? '' : ' '}${message}`);
  };
  const failKey = (at: Path, message: string): never => {
    throw new UsageError('--scenario', `${where(keyOffset(doc, at) ?? offsetOf(doc, at))}: ${pathText(at)} ${message}`);
  };
  const root = interpolate(doc.toJS() as unknown, [], env, fail);
  if (!isPlainObject(root)) fail([], 'must be a mapping with `groups` (and optionally `name`, `defaults`, `brokers`)');
  const top = root as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!TOP_LEVEL.has(key)) failKey([key], `is not a scenario key; expected one of ${[...TOP_LEVEL].join(', ')}`);
  if (top.name !== undefined && typeof top.name !== 'string') fail(['name'], 'must be a string');
  if (top.defaults !== undefined && !isPlainObject(top.defaults)) fail(['defaults'], 'must be a mapping of run options');
  if (top.brokers !== undefined && !isPlainObject(top.brokers)) fail(['brokers'], 'must be a mapping of names to URLs or { url, ca, cert, key, insecure, cluster }');
  if (!Array.isArray(top.groups) || top.groups.length === 0) fail(['groups'], 'must be a list of at least one group');
  return {
    file,
    dir: dirname(path),
    name: top.name as string | undefined,
    defaults: (top.defaults as Record<string, unknown> | undefined) ?? {},
    brokers: (top.brokers as Record<string, unknown> | undefined) ?? {},
    groups: top.groups as unknown[],
    fail,
    failKey,
  };
}

/** Source offset of the key at the end of `path`, when its parent is a mapping. */
function keyOffset(doc: Document, path: Path): number | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === path.at(-1));
  return (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
}

/** Source offset of the node at `path`, or of its nearest ancestor that exists. */
function offsetOf(doc: Document, path: Path): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return range[0];
    if (n > 0 && (isMap(node) || isSeq(node))) break;
  }
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${NAME}` and `${NAME:-default}` in any string value, from the environment. */
function interpolate(value: unknown, path: Path, env: NodeJS.ProcessEnv, fail: Scenario['fail']): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_, name: string, fallback: string | undefined) => {
      const found = env[name] ?? fallback;
      if (found === undefined) fail(path, `uses \${${name}}, which is not set in the environment (give a default: \${${name}:-value})`);
      return found!;
    });
  }
  if (Array.isArray(value)) return value.map((v, n) => interpolate(v, [...path, n], env, fail));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, [...path, k], env, fail)]));
  }
  return value;
}
