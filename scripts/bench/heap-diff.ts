/**
 * What each added client holds, from two heap snapshots of the same variant at two client
 * counts (idle-memory.js --snapshots DIR): self sizes summed per kind of node (an object's
 * constructor, a closure's function name, arrays, strings, ...), the difference divided by the
 * clients added. Itemises a per-client figure; retained sizes would count shared things twice.
 *
 *   node --max-old-space-size=4096 dist/scripts/bench/heap-diff.js A.heapsnapshot 1000 B.heapsnapshot 5000 [--top 40]
 *
 * `--owners 'array:'`: instead, the nodes of that kind split by what holds them (each node's
 * first retainer, its kind and the edge's name), to tell whose the anonymous arrays are.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '40' }, owners: { type: 'string' } },
});
const [fileA, countA, fileB, countB] = positionals;
if (!fileB) throw new Error('usage: heap-diff A.heapsnapshot COUNT_A B.heapsnapshot COUNT_B');

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * Self size and count per "type:name" (names of strings and numbers left out: each is its own);
 * with `owners`, only the nodes of that key, per their first retainer's key and edge name.
 */
function tally(file: string, owners?: string): Map<string, { size: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt, edgeCountAt] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
    fields.indexOf(f),
  );
  const keyOf = (i: number): string => {
    const type = types[snap.nodes[i + typeAt!]!]!;
    const named = !['string', 'concatenated string', 'sliced string', 'number', 'heap number'].includes(type);
    return `${type}:${named ? snap.strings[snap.nodes[i + nameAt!]!]!.slice(0, 60) : ''}`;
  };
  // The first retainer of each node (by node offset) and the name of that edge: two levels up, to tell whose.
  const retainer = new Map<number, { from: number; label: string }>();
  if (owners !== undefined) {
    const ew = meta.edge_fields.length;
    const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f));
    const edgeTypes = meta.edge_types[0];
    let e = 0;
    for (let i = 0; i < snap.nodes.length; i += width) {
      for (let k = 0; k < snap.nodes[i + edgeCountAt!]!; k++, e += ew) {
        const to = snap.edges[e + eTo!]!;
        const kind = edgeTypes[snap.edges[e + eType!]!]!;
        if (retainer.has(to) || kind === 'weak') continue;
        const nameOrIndex = snap.edges[e + eName!]!;
        retainer.set(to, {
          from: i,
          label: kind === 'element' || kind === 'hidden' ? `[${kind}]` : snap.strings[nameOrIndex]!,
        });
      }
    }
  }
  const ownerOf = (i: number): string => {
    const up = retainer.get(i);
    if (!up) return '(no retainer)';
    const upper = retainer.get(up.from);
    return `${keyOf(up.from)} .${up.label}${upper ? ` < ${keyOf(upper.from)} .${upper.label}` : ''}`;
  };
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    let key = keyOf(i);
    if (owners !== undefined) {
      if (key !== owners) continue;
      key = ownerOf(i);
    }
    const entry = out.get(key) ?? { size: 0, count: 0 };
    entry.size += snap.nodes[i + sizeAt!]!;
    entry.count++;
    out.set(key, entry);
  }
  return out;
}

const a = tally(fileA!, values.owners);
const b = tally(fileB, values.owners);
const added = Number(countB) - Number(countA);
const rows = [...b.entries()].map(([key, { size, count }]) => {
  const before = a.get(key) ?? { size: 0, count: 0 };
  return { key, bytes: (size - before.size) / added, count: (count - before.count) / added };
});
rows.sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((s, r) => s + r.bytes, 0);
process.stdout.write(`per added client: ${(total / 1024).toFixed(2)} KB of self size\n`);
process.stdout.write('| bytes | nodes | type:name |\n| ---: | ---: | --- |\n');
for (const r of rows.slice(0, Number(values.top)))
  process.stdout.write(`| ${r.bytes.toFixed(0)} | ${r.count.toFixed(2)} | ${r.key} |\n`);
