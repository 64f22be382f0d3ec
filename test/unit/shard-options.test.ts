import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { resolveOptions } from '../../src/index.js';

test('--shard I/N, --shards with JOB_COMPLETION_INDEX, --start-at, and the run id and broker they need', () => {
  const brokers = ['mqtt://127.0.0.1:1'];
  assert.deepEqual(resolveOptions({ shard: '2/5', runId: 'r', brokers }, {}).shard, { index: 2, count: 5 });
  assert.deepEqual(resolveOptions({ shards: 3, runId: 'r', brokers }, { JOB_COMPLETION_INDEX: '1' }).shard, {
    index: 1,
    count: 3,
  });
  assert.equal(resolveOptions({ shard: '0/2', brokers }, { MQTT_FLEET_RUN_ID: 'fromenv' }).runId, 'fromenv');
  const inAMinute = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
  assert.equal(
    resolveOptions({ startAt: inAMinute.toISOString().replace('.000Z', 'Z') }, {}).startAt,
    inAMinute.getTime(),
  );
  const rejects = (
    input: Parameters<typeof resolveOptions>[0],
    env: NodeJS.ProcessEnv,
    option: string,
    pattern: RegExp,
  ): void =>
    assert.throws(
      () => resolveOptions(input, env),
      (e: unknown) => e instanceof UsageError && e.option === option && pattern.test(e.message),
    );
  rejects({ shard: '1/3' }, {}, '--shard', /needs --run-id/);
  rejects({ shard: '3/3', runId: 'r' }, {}, '--shard', /index 3 is not in 0\.\.2/);
  rejects({ shard: 'half', runId: 'r' }, {}, '--shard', /must be I\/N/);
  rejects({ shards: 4, runId: 'r' }, {}, '--shards', /needs JOB_COMPLETION_INDEX/);
  rejects({ startAt: 'tomorrow' }, {}, '--start-at', /ISO 8601/);
});
