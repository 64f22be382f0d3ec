import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Slots } from '../src/session/slots.js';

test('connection slots: at most N held, waiters served in order, double release is harmless', async () => {
  const slots = new Slots(2);
  const a = await slots.acquire();
  const b = await slots.acquire();
  const order: string[] = [];
  const c = slots.acquire().then((release) => (order.push('c'), release));
  const d = slots.acquire().then((release) => (order.push('d'), release));
  await Promise.resolve();
  assert.deepEqual(order, [], 'both wait while two are held');
  a();
  a();
  const releaseC = await c;
  assert.deepEqual(order, ['c'], 'one release admits one waiter, even if called twice');
  b();
  const releaseD = await d;
  assert.deepEqual(order, ['c', 'd']);
  releaseC();
  releaseD();
  const e = await slots.acquire();
  const f = await slots.acquire();
  e();
  f();
});
