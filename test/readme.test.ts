import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { run } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { at } from '../src/mqtt/checked.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test("the README's summary example and field table name exactly the fields a run's summary has", async (t) => {
  const broker = await aedesForTest(t);
  const summary = await run({ brokers: [broker.url], clients: 2, count: 2, rate: 50, threads: 0 });
  const example = /^(\{"type":"summary".*\})$/m.exec(README);
  assert.ok(example, 'README has a summary example line');
  // Fields present only in some runs (scenario, shard, merge): documented in the table, not in this example.
  const optional = ['scenario', 'groups', 'shard', 'shards'];
  assert.deepEqual(
    Object.keys(JSON.parse(at(example, 1)) as Record<string, unknown>),
    Object.keys(summary).filter((k) => !optional.includes(k)),
  );
  const table = README.slice(README.indexOf(at(example, 1)));
  const documented = new Set([...table.slice(0, table.indexOf('\n## ')).matchAll(/`(\w+)`/g)].map((m) => m[1]));
  for (const key of [...Object.keys(summary), ...optional])
    if (key !== 'type') assert.ok(documented.has(key), `the summary field table documents ${key}`);
});
