import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, type RunOptions, type Summary } from '../src/index.js';
import { PayloadWriter, runTag } from '../src/mqtt/payload.js';
import { spawnCli } from './helpers/cli.js';
import { MiniBroker } from './helpers/mini-broker.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { withTimeout } from './helpers/wait.js';

/** A payload carrying `runId`'s header, as one of its publishers would send it. */
function forged(runId: string, publisher: number, seq: number, sentAt = Date.now()): Buffer {
  return new PayloadWriter(64, runTag(runId), publisher).write(seq, sentAt, sentAt);
}

const figures = (s: Summary): Record<string, unknown> => {
  const { expected, received, lost, inFlight, unsubscribed, duplicates, outOfOrder, foreign, stale, exitCode } = s;
  return {
    expected,
    received,
    lost,
    inFlight,
    unsubscribed,
    duplicates,
    outOfOrder,
    foreign,
    stale,
    exitCode,
    latencyCount: s.latencyMs.count,
  };
};

test("a broker forging this run's header (an unknown publisher, numbers past a publisher's plan, an earlier run's send time): foreign or stale, never expected", async (t) => {
  const runId = 'forged';
  const broker = await new MiniBroker({
    inject: () => [
      // Publisher 7 is not in a fleet of 2; seq 5..9 of it would be "5 lost" if it were expected.
      ...[5, 6, 7, 8, 9].map((seq) => ({ topic: 'fleet/7', payload: forged(runId, 7, seq) })),
      // Publisher 0 plans 50 messages: 1000 and on cannot be its own.
      ...[1000, 1001, 1002].map((seq) => ({ topic: 'fleet/0', payload: forged(runId, 0, seq) })),
      // Sent an hour ago: an earlier run's retained message with the same id.
      ...[3, 4].map((seq) => ({
        topic: 'fleet/1',
        payload: forged(runId, 1, seq, Date.now() - 3_600_000),
        retain: true,
      })),
    ],
  }).listen();
  t.after(() => broker.close());
  const summary = await run({
    brokers: [broker.url],
    clients: 2,
    count: 50,
    rate: 100,
    qos: 1,
    subTopic: 'fleet/+',
    runId,
    threads: 0,
  });
  t.diagnostic(JSON.stringify(figures(summary)));
  assert.equal(broker.injected, 2 * 10);
  assert.deepEqual(figures(summary), {
    expected: 2 * 2 * 50,
    received: 2 * 2 * 50,
    lost: 0,
    inFlight: 0,
    unsubscribed: 0,
    duplicates: 0,
    outOfOrder: 0,
    foreign: 2 * 8,
    stale: 2 * 2,
    exitCode: 0,
    latencyCount: 2 * 2 * 50,
  });
  assert.ok(summary.latencyMs.max < 10_000, `an hour-old send time is not a latency (max ${summary.latencyMs.max} ms)`);
});

test('forged sequence numbers near 2^32, in a thread per client: foreign, bounded, and the run completes with exact figures', async (t) => {
  const runId = 'huge';
  const broker = await new MiniBroker({
    inject: () => [
      { topic: 'fleet/1', payload: forged(runId, 1, 2 ** 32 - 1) },
      { topic: 'fleet/1', payload: forged(runId, 1, 2 ** 32 - 2) },
      { topic: 'fleet/0', payload: forged(runId, 0, 2 ** 31) },
      { topic: 'fleet/9', payload: forged(runId, 2 ** 32 - 1, 2 ** 32 - 1) },
    ],
  }).listen();
  t.after(() => broker.close());
  const summary = await withTimeout(
    run({ brokers: [broker.url], clients: 2, count: 30, rate: 100, subTopic: 'fleet/+', runId, threads: 'per-client' }),
    60_000,
    'the run',
  );
  t.diagnostic(`${JSON.stringify(figures(summary))}, peak RSS ${summary.peakRssMb} MB`);
  assert.deepEqual(figures(summary), {
    expected: 2 * 2 * 30,
    received: 2 * 2 * 30,
    lost: 0,
    inFlight: 0,
    unsubscribed: 0,
    duplicates: 0,
    outOfOrder: 0,
    foreign: 2 * 4,
    stale: 0,
    exitCode: 0,
    latencyCount: 2 * 2 * 30,
  });
  assert.equal(summary.failed, 0, 'no thread died');
});

test('an earlier run with the same --run-id and --retain (real Mosquitto): its retained messages are stale or foreign, not losses', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const plan: RunOptions = {
    brokers: [mosquitto.url],
    count: 50,
    rate: 200,
    qos: 1,
    retain: true,
    subTopic: 'fleet/+',
    runId: 'again',
    threads: 0,
  };
  const earlier = await run({ ...plan, clients: 3 });
  assert.equal(earlier.exitCode, 0);
  // Mosquitto now holds fleet/0..2's last messages, seq 49, retained; the next run replays them on subscribe.
  const summary = await run({ ...plan, clients: 2 });
  t.diagnostic(JSON.stringify({ ...figures(summary), retained: summary.retained }));
  assert.deepEqual(figures(summary), {
    expected: 2 * 2 * 50,
    received: 2 * 2 * 50,
    lost: 0,
    inFlight: 0,
    unsubscribed: 0,
    duplicates: 0,
    outOfOrder: 0,
    foreign: 2, // fleet/2's: publisher 2 is not in this run's plan
    stale: 2 * 2, // fleet/0's and fleet/1's, sent before this run began
    exitCode: 0,
    latencyCount: 2 * 2 * 50,
  });
  assert.equal(summary.retained, 2 * 3, 'the replays carried the retain flag');
});

test('a second process publishing with the same run id, as clients this run does not have: foreign, not expected', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  // A misconfigured shard of the same run: clients 2 and 6 of 8, publishing for 20 s.
  const twin = spawnCli(
    t,
    [
      'run',
      '-b',
      mosquitto.url,
      '--run-id',
      'twin',
      '--shard',
      '2/4',
      '-c',
      '8',
      '--rate',
      '20',
      '--duration',
      '20s',
      '--qos',
      '1',
      '--sub-topic',
      '',
      '--threads',
      '0',
      '--json',
      '--stats-interval',
      '200ms',
    ],
    { json: true },
  );
  await twin.changed.until(
    () => twin.lines.some((l) => l.type === 'stats' && (l.published as number) > 0),
    30_000,
    'the twin to publish',
  );
  const summary = await run({
    brokers: [mosquitto.url],
    clients: 2,
    count: 30,
    rate: 50,
    qos: 1,
    subTopic: 'fleet/+',
    runId: 'twin',
    threads: 0,
  });
  twin.child.kill('SIGTERM');
  await withTimeout(twin.exit, 30_000, 'the twin to stop');
  t.diagnostic(JSON.stringify(figures(summary)));
  assert.ok(summary.foreign >= 2 * 2 * 10, `the twin's messages heard meanwhile are foreign (${summary.foreign})`);
  assert.deepEqual(
    { ...figures(summary), foreign: 0 },
    {
      expected: 2 * 2 * 30,
      received: 2 * 2 * 30,
      lost: 0,
      inFlight: 0,
      unsubscribed: 0,
      duplicates: 0,
      outOfOrder: 0,
      foreign: 0,
      stale: 0,
      exitCode: 0,
      latencyCount: 2 * 2 * 30,
    },
  );
});
