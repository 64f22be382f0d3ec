import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isAlias, isMap, isPair, isSeq, type Document, type Node } from 'yaml';
import { UsageError } from '../../errors.js';
import { FILE_LIMITS, readOptionFile } from '../parse.js';

export type Path = readonly (string | number)[];

/** A scenario file, parsed: plain values with `${ENV}` filled in, and where each one came from. */
export interface Scenario {
  file: string;
  name: string | undefined;
  defaults: Record<string, unknown>;
  brokers: Record<string, unknown>;
  groups: unknown[];
  /**
   * The folder a relative path at `path` is relative to: the scenario's own, unless the value
   * begins with one taken from the environment (`CA=./ca.pem mqtt-fleet run ...`), which the
   * user wrote in the shell, relative to where they stand.
   */
  baseOf(path: Path): string;
  /** Pass/fail thresholds: expressions, or `{ expr, abortOnFail }`. */
  thresholds: unknown[];
  /** Throw the one-line error for the value at `path`: `fleet.yaml:12:7: groups[1].publish.rate ...`. */
  fail(path: Path, message: string): never;
  /** The same, pointing at the key itself (an unknown setting). */
  failKey(path: Path, message: string): never;
}

const TOP_LEVEL = new Set(['name', 'description', 'defaults', 'brokers', 'groups', 'thresholds']);

export function pathText(path: Path): string {
  return path.map((p, n) => (typeof p === 'number' ? `[${p}]` : n === 0 ? p : `.${p}`)).join('');
}

/** Parse a value with the CLI's parsers, reporting their error at the value's place in the file. */
export function at<T>(scenario: Scenario, path: Path, parse: (label: string) => T): T {
  const label = pathText(path);
  try {
    return parse(label);
  } catch (err) {
    // A parser's message starts with the label it was given; one that does not was already placed in the file.
    if (err instanceof UsageError && err.message.startsWith(label))
      scenario.fail(path, err.message.slice(label.length).trim());
    throw err;
  }
}

/**
 * Read a YAML or JSON scenario (JSON is YAML too, so one parser gives positions for both).
 * Syntax errors and structural problems are reported with file, line and column.
 */
export function loadScenario(file: string, env: NodeJS.ProcessEnv): Scenario {
  const path = resolve(file);
  const text = readOptionFile('--scenario', file, FILE_LIMITS.scenario);
  const lines = new LineCounter();
  const where = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    // The parser recurses: nesting deep enough exhausts the stack before it can report a position.
    throw new UsageError(
      '--scenario',
      `${file}: cannot be parsed (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const [err] = doc.errors;
  if (err !== undefined) {
    throw new UsageError('--scenario', `${where(err.pos[0])}: ${err.message.split('\n')[0]}`);
  }
  const expansion = expansionProblem(doc);
  if (expansion) throw new UsageError('--scenario', `${where(expansion.node.range?.[0])}: ${expansion.message}`);
  const fail = (at: Path, message: string): never => {
    throw new UsageError(
      '--scenario',
      `${where(offsetOf(doc, at))}: ${pathText(at)}${message.startsWith(':') ? '' : ' '}${message}`,
    );
  };
  const failKey = (at: Path, message: string): never => {
    throw new UsageError('--scenario', `${where(keyOffset(doc, at) ?? offsetOf(doc, at))}: ${pathText(at)} ${message}`);
  };
  let plain: unknown;
  try {
    plain = doc.toJS({ maxAliasCount: -1 }); // bounded by expansionProblem, with a position
  } catch (err) {
    throw new UsageError('--scenario', `${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const fromEnv = new Set<string>();
  const root = interpolate(plain, [], env, fail, fromEnv);
  if (!isPlainObject(root)) fail([], 'must be a mapping with `groups` (and optionally `name`, `defaults`, `brokers`)');
  const top = root as Record<string, unknown>;
  for (const key of Object.keys(top))
    if (!TOP_LEVEL.has(key)) failKey([key], `is not a scenario key; expected one of ${[...TOP_LEVEL].join(', ')}`);
  if (top.name !== undefined && typeof top.name !== 'string') fail(['name'], 'must be a string');
  if (top.defaults !== undefined && !isPlainObject(top.defaults))
    fail(['defaults'], 'must be a mapping of run options');
  if (top.brokers !== undefined && !isPlainObject(top.brokers))
    fail(['brokers'], 'must be a mapping of names to URLs or { url, ca, cert, key, insecure, cluster }');
  if (!Array.isArray(top.groups) || top.groups.length === 0) fail(['groups'], 'must be a list of at least one group');
  if (top.thresholds !== undefined && !Array.isArray(top.thresholds))
    fail(['thresholds'], "must be a list of thresholds ('latency.p99<50ms', or { expr, abortOnFail })");
  return {
    file,
    name: top.name as string | undefined,
    defaults: (top.defaults as Record<string, unknown> | undefined) ?? {},
    brokers: (top.brokers as Record<string, unknown> | undefined) ?? {},
    groups: top.groups as unknown[],
    baseOf: (at) => (fromEnv.has(pathText(at)) ? process.cwd() : dirname(path)),
    thresholds: (top.thresholds as unknown[] | undefined) ?? [],
    fail,
    failKey,
  };
}

/** Values aliases may add to a scenario: a real one repeats a few blocks; an alias bomb expands to billions. */
export const MAX_ALIAS_VALUES = 100_000;
/** Nesting deeper than a scenario ever needs. */
export const MAX_DEPTH = 64;

/**
 * An alias bomb, an alias inside the node it names, or nesting past MAX_DEPTH, found on the
 * document itself, before anything walks its expansion: the alias (or node) to report, and why.
 */
function expansionProblem(doc: Document): { node: Node; message: string } | null {
  const sizes = new Map<Node, number>();
  const expanding = new Set<Node>();
  class Cycle extends Error {}
  // Values a node stands for once every alias in it is expanded (capped: the sum only needs to pass the bound).
  const size = (node: unknown): number => {
    if (isAlias(node)) return size(node.resolve(doc));
    if (!isMap(node) && !isSeq(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (expanding.has(node)) throw new Cycle();
    expanding.add(node);
    let n = 1;
    for (const item of node.items) n += isPair(item) ? size(item.key) + size(item.value) : size(item);
    expanding.delete(node);
    n = Math.min(n, MAX_ALIAS_VALUES + 1);
    sizes.set(node, n);
    return n;
  };
  let added = 0;
  const walk = (node: unknown, depth: number, holders: Set<Node>): { node: Node; message: string } | null => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      const cyclic = (): { node: Node; message: string } => ({
        node,
        message: `alias *${node.source} refers to a node that holds it`,
      });
      if (target && holders.has(target)) return cyclic();
      try {
        added += size(target);
      } catch (err) {
        if (err instanceof Cycle) return cyclic();
        throw err;
      }
      return added > MAX_ALIAS_VALUES
        ? { node, message: `aliases expand the scenario by more than ${MAX_ALIAS_VALUES} values (an alias bomb?)` }
        : null;
    }
    if (!isMap(node) && !isSeq(node)) return null;
    if (depth > MAX_DEPTH) return { node, message: `nests deeper than ${MAX_DEPTH} levels` };
    holders.add(node);
    for (const item of node.items) {
      const found = isPair(item)
        ? (walk(item.key, depth + 1, holders) ?? walk(item.value, depth + 1, holders))
        : walk(item, depth + 1, holders);
      if (found) return found;
    }
    holders.delete(node);
    return null;
  };
  return walk(doc.contents, 0, new Set());
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

/**
 * `${NAME}` and `${NAME:-default}` in any string value, from the environment; `fromEnv` gathers
 * the paths of values that begin with a variable's value from the environment (not its default).
 */
function interpolate(
  value: unknown,
  path: Path,
  env: NodeJS.ProcessEnv,
  fail: Scenario['fail'],
  fromEnv: Set<string>,
): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_, name: string, fallback: string | undefined, offset: number) => {
      if (offset === 0 && env[name] !== undefined) fromEnv.add(pathText(path));
      const found = env[name] ?? fallback;
      if (found === undefined)
        fail(path, `uses \${${name}}, which is not set in the environment (give a default: \${${name}:-value})`);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, n) => interpolate(v, [...path, n], env, fail, fromEnv));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, [...path, k], env, fail, fromEnv)]),
    );
  }
  return value;
}
