import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';

for (const threads of ['0', '3', 'per-client'] as const) {
  test(`--threads ${threads}: the same sessions, every message accounted for`, async (t) => {
    const broker = await aedesForTest(t);
    const summary = await run({ brokers: [broker.url], clients: 6, count: 50, rate: 0, qos: 1, threads, topic: 'm/{i}', subTopic: 'm/+' });
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
