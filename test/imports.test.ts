import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { circles, LAYERS, layerOf, readGraph, upwardImports } from '../scripts/import-graph.js';

// The sources, not dist/: type-only imports leave nothing in the emitted JavaScript.
const root = fileURLToPath(new URL('../../', import.meta.url));
const graph = readGraph(root);

test('the import graph of src/ and workers/ has no circle, type-only imports included', () => {
  assert.ok(graph.files.length > 50, `read only ${graph.files.length} files`);
  assert.deepEqual(circles(graph), []);
});

test('every file of src/ and workers/ is in a layer, and imports only its own layer and those below', () => {
  const upward = upwardImports(graph).map(({ from, to }) => (to === '' ? `${from}: in no layer` : `${from} -> ${to}`));
  assert.deepEqual(upward, []);
});

test('mqtt/ is the bottom layer', () => {
  assert.equal(layerOf('src/mqtt/templates.ts'), LAYERS.length - 1);
  for (const file of graph.files.filter((f) => f.startsWith('src/mqtt/'))) {
    for (const target of graph.edges.get(file) ?? []) {
      assert.ok(target.startsWith('src/mqtt/'), `${file} imports ${target}: mqtt/ imports nothing of ours`);
    }
  }
});

test('the checks see circles and upward imports when there are some', () => {
  const edges = new Map(graph.edges);
  edges.set('src/mqtt/payload.ts', [...(edges.get('src/mqtt/payload.ts') ?? []), 'src/run/run.ts']);
  const bent = { files: graph.files, edges };
  assert.ok(circles(bent).some((c) => c.includes('src/mqtt/payload.ts') && c.includes('src/run/run.ts')));
  assert.ok(upwardImports(bent).some((u) => u.from === 'src/mqtt/payload.ts' && u.to === 'src/run/run.ts'));
});
