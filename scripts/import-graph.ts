/**
 * The import graph of src/ and workers/: its circles (strongly connected components, type-only
 * imports included, since a type circle is still a knot a reader has to untie) and the imports
 * that point up against the declared layer order. test/imports.test.ts fails on either;
 * `node dist/scripts/import-graph.js` prints them.
 *
 * Reads the TypeScript sources, not dist/: `import type` leaves no trace in the emitted code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Top to bottom; a file may import its own layer and any layer below it. The data flows
 * options -> run -> hosts -> session -> metrics -> report, but imports name what they use, so
 * the order is who may name whom: run reads the options and writes reports; report formats what
 * options, sessions and metrics define; the group profile (src/group.ts) is plain data every
 * layer from metrics up reads, beside the protocol; mqtt/ is the leaf.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['src/bin.ts', 'src/cli.ts', 'src/index.ts'],
  ['workers'],
  ['src/run', 'src/shard'],
  ['src/hosts', 'src/broker'],
  ['src/options'],
  ['src/report'],
  ['src/session'],
  ['src/metrics'],
  ['src/protocol.ts', 'src/group.ts', 'src/errors.ts'],
  ['src/mqtt'],
];

export interface Graph {
  /** Repository-relative POSIX paths of every source file, sorted. */
  files: string[];
  /** file -> the files it imports (relative specifiers only; packages are not ours). */
  edges: Map<string, string[]>;
}

const ROOTS = ['src', 'workers'];
const SOURCE = /\.(ts|cts|mts)$/;

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) walk(root, path, out);
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
}

/** Every module specifier a file names: static, type-only, re-exports, import() and import('x') types. */
function specifiers(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) found.push(arg.text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push(node.argument.literal.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** './x.js' from src/a/b.ts -> src/a/x.ts (NodeNext names the emitted file). */
function resolve(from: string, specifier: string, known: Set<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  for (const candidate of [
    target.replace(/\.js$/, '.ts'),
    target.replace(/\.cjs$/, '.cts'),
    target.replace(/\.mjs$/, '.mts'),
    target,
  ]) {
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}

export function readGraph(root: string): Graph {
  const files: string[] = [];
  for (const dir of ROOTS) walk(root, dir, files);
  files.sort();
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const targets = new Set<string>();
    for (const specifier of specifiers(file, readFileSync(join(root, file), 'utf8'))) {
      const target = resolve(file, specifier, known);
      if (specifier.startsWith('.') && target === undefined) throw new Error(`${file}: cannot resolve ${specifier}`);
      if (target !== undefined && target !== file) targets.add(target);
    }
    edges.set(file, [...targets].sort());
  }
  return { files, edges };
}

/** Tarjan's strongly connected components of more than one file: the import circles. */
export function circles(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.edges.get(file) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(file, Math.min(low.get(file) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file) as number, index.get(next) as number));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const file of graph.files) if (!index.has(file)) connect(file);
  return found.sort((a, b) => b.length - a.length || (a[0] as string).localeCompare(b[0] as string));
}

/** The layer a file belongs to (index into LAYERS, 0 = top), by its longest matching prefix. */
export function layerOf(file: string, layers: readonly (readonly string[])[] = LAYERS): number | undefined {
  let best: { layer: number; length: number } | undefined;
  layers.forEach((members, layer) => {
    for (const member of members) {
      const matches = file === member || file.startsWith(`${member}/`);
      if (matches && (best === undefined || member.length > best.length)) best = { layer, length: member.length };
    }
  });
  return best?.layer;
}

export interface Upward {
  from: string;
  to: string;
}

/** Imports from a lower layer to a higher one, and files no layer claims (reported as to: ''). */
export function upwardImports(
  graph: Graph,
  layers: readonly (readonly string[])[] = LAYERS,
  rename: (file: string) => string = (file) => file,
): Upward[] {
  const found: Upward[] = [];
  for (const file of graph.files) {
    const own = layerOf(rename(file), layers);
    if (own === undefined) {
      found.push({ from: file, to: '' });
      continue;
    }
    for (const target of graph.edges.get(file) ?? []) {
      const theirs = layerOf(rename(target), layers);
      if (theirs !== undefined && theirs < own) found.push({ from: file, to: target });
    }
  }
  return found;
}

function main(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  // --map FILE: "old new" lines, to measure the current tree against a planned layout.
  const mapAt = process.argv.indexOf('--map');
  const planned = new Map<string, string>();
  if (mapAt !== -1) {
    for (const line of readFileSync(process.argv[mapAt + 1] as string, 'utf8').split('\n')) {
      const [from, to] = line.trim().split(/\s+/);
      if (from && to && !from.startsWith('#')) planned.set(from, to);
    }
  }
  const graph = readGraph(root);
  const edgeCount = [...graph.edges.values()].reduce((sum, targets) => sum + targets.length, 0);
  console.log(
    `${graph.files.length} files, ${edgeCount} imports (${relative(process.cwd(), root).split(sep).join('/') || '.'})`,
  );
  const found = circles(graph);
  console.log(`\n${found.length} import circle(s)`);
  for (const component of found) console.log(`  ${component.length} files: ${component.join(' ')}`);
  const upward = upwardImports(graph, LAYERS, (file) => planned.get(file) ?? file);
  const name = (file: string): string => (planned.has(file) ? `${file} (${planned.get(file)})` : file);
  const line = ({ from, to }: Upward): string =>
    to === '' ? `${name(from)}: in no layer` : `${name(from)} -> ${name(to)}`;
  console.log(`\n${upward.length} upward import(s) or unplaced file(s)`);
  for (const u of upward) console.log(`  ${line(u)}`);
  if (found.length > 0 || upward.length > 0) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
