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
