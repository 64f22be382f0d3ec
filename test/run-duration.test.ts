import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';

test('a number passed to run() is milliseconds: duration 400 publishes for 400 ms', async (t) => {
  const broker = await aedesForTest(t);
  const summary = await run({ brokers: [broker.url], clients: 1, rate: 50, duration: 400, threads: 0 });
  // 50 msg/s for 0.4 s: about 20 messages (a scheduled first one at 0, the last before 400 ms).
  assert.ok(summary.published >= 15 && summary.published <= 21, `published ${summary.published}`);
  assert.equal(summary.exitCode, 0);
});
