import assert from 'node:assert/strict';
import { test } from 'node:test';
import { now } from '../../src/session/clock.js';
import { Deadlines } from '../../src/session/deadlines.js';
import { withTimeout } from '../helpers/wait.js';

interface Item {
  name: number;
  at: number;
  index: number;
  firedAt: number;
}

test('deadlines on one timer: each fires once, never before its time, in time order; deleted and moved ones as told', async () => {
  const fired: Item[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  let expected = 0;
  const heap = new Deadlines<Item>({
    at: (item) => item.at,
    index: (item) => item.index,
    setIndex: (item, i) => (item.index = i),
    fire: (item) => {
      item.firedAt = now();
      fired.push(item);
      if (fired.length === expected) done();
    },
  });
  let seed = 7;
  const random = (n: number): number => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
  const start = now();
  const items: Item[] = Array.from({ length: 200 }, (_, name) => ({
    name,
    at: start + 5 + random(60),
    index: -1,
    firedAt: 0,
  }));
  for (const item of items) heap.set(item);
  assert.equal(heap.size, 200);
  // Every third deleted; every fifth (not deleted) moved, earlier or later.
  const deleted = new Set(items.filter((item) => item.name % 3 === 0));
  for (const item of deleted) heap.delete(item);
  heap.delete(items[0]!); // twice: nothing happens
  for (const item of items)
    if (item.name % 5 === 0 && !deleted.has(item)) {
      item.at = start + 5 + random(60);
      heap.set(item);
    }
  expected = 200 - deleted.size;
  assert.equal(heap.size, expected);
  await withTimeout(all, 5000, 'every deadline to fire');
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(fired.length, expected, 'none fired twice, no deleted one fired');
  assert.ok(fired.every((item) => !deleted.has(item)));
  assert.ok(
    fired.every((item) => item.firedAt >= item.at),
    'none before its time',
  );
  for (let i = 1; i < fired.length; i++) assert.ok(fired[i - 1]!.at <= fired[i]!.at, 'in time order');
  assert.equal(heap.size, 0);
  assert.ok(
    fired.every((item) => item.index === -1),
    'out of the heap once fired',
  );
});
