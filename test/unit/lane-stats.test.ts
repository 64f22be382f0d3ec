import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LaneMessage } from '../../src/protocol.js';
import { LaneStats } from '../../src/session/lane-stats.js';

type Batch = Extract<LaneMessage, { type: 'batch' }>;
const batchOf = (stats: LaneStats): Batch | null => stats.takeBatch(null) as Batch | null;

test('a batch goes out whenever a counter moved since the last one, whoever moved it', () => {
  const stats = new LaneStats(1);
  assert.equal(batchOf(stats), null, 'nothing happened: no batch');
  stats.onPublish(1, 64);
  assert.equal(batchOf(stats)?.counters.published, 1);
  // An acknowledgement arriving after the batch that carried its publish (a hook's ctx.publish
  // moves the counter directly): it must still reach the main thread.
  stats.counters.acked++;
  assert.equal(batchOf(stats)?.counters.acked, 1);
  stats.reasonCode('puback', 0x10);
  assert.deepEqual(batchOf(stats)?.reasonCodes, [['puback:16', 1]]);
  assert.equal(batchOf(stats), null);
});
