import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { run } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';

// The table mqtt-packet would fill with 65,536 Buffers on its first packet (6 MB in every thread).
const numbers = createRequire(import.meta.url)('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };

for (const mqttClient of ['auto', 'mqttjs'] as const) {
  test(`--mqtt-client ${mqttClient}: sessions write their packets without mqtt-packet's number table`, async (t) => {
    const broker = await aedesForTest(t);
    const summary = await run({
      brokers: [broker.url],
      clients: 2,
      count: 20,
      rate: 0,
      qos: 1,
      threads: '0',
      mqttClient,
      topic: 'n/{i}',
      subTopic: 'n/+',
    });
    // Packet ids, topic lengths and the like went out as numbers, and every message arrived.
    assert.equal(summary.received, 2 * 40);
    assert.equal(summary.lost, 0);
    assert.equal(Object.keys(numbers.cache).length, 0);
  });
}
