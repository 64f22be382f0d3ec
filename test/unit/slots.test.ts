import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSlotsBuffer, Slots, windowOf } from '../../src/session/slots.js';
import { withTimeout } from '../helpers/wait.js';

test('connection slots: at most N held, a release admits one waiter, double release is harmless', async () => {
  const buffer = newSlotsBuffer(2);
  const slots = new Slots(buffer);
  const free = (): number => {
    const { window, inFlight } = windowOf(buffer);
    return window - inFlight;
  };
  const a = await slots.acquire();
  const b = await slots.acquire();
  assert.equal(free(), 0);
  const admitted: string[] = [];
  const c = slots.acquire().then((release) => (admitted.push('c'), release));
  const d = slots.acquire().then((release) => (admitted.push('d'), release));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(admitted, [], 'both wait while two are held');
  a();
  a();
  await withTimeout(
    c.then(() => undefined).catch(() => undefined),
    5000,
    'a waiter to be admitted',
  );
  // Give a second, wrong admission every chance to happen: the double release must not count twice.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(
    admitted.length,
    1,
    `one release admits one waiter, even if called twice (admitted ${admitted.join(',')})`,
  );
  b();
  const [releaseC, releaseD] = await withTimeout(Promise.all([c, d]), 5000, 'the second waiter');
  assert.equal(admitted.length, 2);
  releaseC();
  releaseD();
  assert.equal(free(), 2, 'every slot back');
});

test('a release serves its own lane first, and wakes another lane at once for a slot left free', async () => {
  // Two lanes of one process on one window of 1, as a pool's threads share it.
  const buffer = newSlotsBuffer(1);
  const laneA = new Slots(buffer);
  const laneB = new Slots(buffer);
  const admitted: string[] = [];
  const a1 = await laneA.acquire();
  const b = laneB.acquire().then((release) => (admitted.push('b'), release));
  const a2 = laneA.acquire().then((release) => (admitted.push('a2'), release));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(admitted, [], 'both wait while the one slot is held');
  a1();
  const releaseA2 = await withTimeout(a2, 5000, "lane A's own waiter");
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(admitted, ['a2'], "the freed slot goes to the releasing lane's own queue");
  // Nothing left queued in lane A: the slot is free, and lane B must be woken for it, not left
  // to find it at its next recheck (RECHECK_MS, a second later).
  const freedAt = performance.now();
  releaseA2();
  const releaseB = await withTimeout(b, 5000, 'lane B');
  const waitedMs = performance.now() - freedAt;
  assert.ok(waitedMs < 600, `lane B admitted ${Math.round(waitedMs)} ms after the slot came free`);
  releaseB();
  assert.equal(windowOf(buffer).inFlight, 0);
});
