import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';

for (const threads of ['0', '3', 'per-client'] as const) {
  test(`--threads ${threads}: the same sessions, every message accounted for`, async (t) => {
    const broker = await aedesForTest(t);
    const summary = await run({
      brokers: [broker.url],
      clients: 6,
      count: 50,
      rate: 0,
      qos: 1,
      threads,
      topic: 'm/{i}',
      subTopic: 'm/+',
    });
    const expectedMode = threads === '0' ? 'single-loop' : threads === '3' ? 'pool' : 'thread-per-client';
    assert.equal(summary.mode, expectedMode);
    assert.equal(summary.threads, threads === '0' ? 0 : threads === '3' ? 3 : 6);
    assert.equal(summary.published, 300);
    assert.equal(summary.expected, 6 * 300, 'every client hears every publisher');
    assert.equal(summary.received, 1800);
    assert.equal(summary.lost, 0);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.latencyMs.count, 1800);
    assert.ok(summary.loopDelayMs !== null && summary.loopDelayMs.max >= summary.loopDelayMs.p99);
    assert.ok(summary.connectMs > 0);
    assert.equal(summary.exitCode, 0);
  });
}

test('--connect-rate spreads first connects over time', async (t) => {
  const broker = await aedesForTest(t);
  const firstAttempt = new Map<number, number>();
  const summary = await run({
    brokers: [broker.url],
    clients: 5,
    count: 1,
    threads: 0,
    connectRate: 10,
    onEvent: (e) => {
      if (e.type === 'status' && e.state === 'connecting') firstAttempt.set(e.client, e.t);
    },
  });
  assert.equal(summary.connected, 5);
  const times = [...firstAttempt.entries()].sort((a, b) => a[0] - b[0]).map(([, at]) => at);
  // Client i waits i x 100 ms from the launch: none starts before its turn (less 50 ms: the
  // times count from the coordinator's start, a moment apart from the launch). Client 0 may start
  // late on a busy machine, so the gap from client 0 to client 4 can be shorter than 400 ms.
  for (let i = 0; i < 5; i++)
    assert.ok(times[i]! >= i * 100 - 50, `client ${i} waited its turn: first connects at ${times.join(', ')} ms`);
  for (let i = 1; i < 5; i++) assert.ok(times[i]! >= times[i - 1]!, 'in index order');
});
