import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ShardMessage } from '../../src/protocol.js';
import { ShardStats } from '../../src/session/shard-stats.js';

type Batch = Extract<ShardMessage, { type: 'batch' }>;
const batchOf = (stats: ShardStats): Batch | null => stats.takeBatch(null) as Batch | null;

test('a batch goes out whenever a counter moved since the last one, whoever moved it', () => {
  const stats = new ShardStats(1);
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
