import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { run, type RunEvent, type StatusLine } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { MiniBroker } from './helpers/mini-broker.js';
import { runForTest } from './helpers/run.js';
import { tempFile } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';
import { BLOCK_FOREVER } from './helpers/block.js';
import { at } from '../src/mqtt/checked.js';

// Both tests mostly wait out a timeout (an 11 s drain, a 7 s grace), each on its own broker: side by side.
describe('the end of a run after stop', { concurrency: true }, () => {
  test('stop: sessions get the whole --drain-timeout (longer than the connect timeout + 10 s) for acks, then DISCONNECT; the unacknowledged stay in flight', async (t) => {
    const broker = await new MiniBroker({ acknowledge: false, deliver: false }).listen();
    t.after(() => broker.close());
    const controller = new AbortController();
    const statuses: StatusLine[] = [];
    let published = 0;
    const running = run({
      brokers: [broker.url],
      clients: 2,
      count: 5,
      rate: 50,
      qos: 1,
      runId: 'noack',
      // The old grace after stop was connect timeout + 10 s = 10.5 s: shorter than this drain.
      connectTimeout: '500ms',
      drainTimeout: '11s',
      signal: controller.signal,
      onEvent: (e: RunEvent) => {
        if (e.type !== 'status') return;
        statuses.push(e);
        if (e.state === 'published' && ++published === 2) controller.abort('SIGINT');
      },
    });
    t.after(() => controller.abort('SIGINT'));
    const summary = await withTimeout(running, 60_000, 'the run to end after its drain');
    const failed = statuses.filter((s) => s.state === 'failed');
    assert.deepEqual(failed, [], 'no client failed: no thread was terminated mid-drain');
    assert.equal(summary.failed, 0);
    assert.equal(summary.published, 10);
    assert.equal(summary.acked, 0);
    assert.equal(summary.expected, 10, 'the accounting of both clients survived');
    assert.equal(summary.inFlight, 10, 'every unacknowledged message is in flight, not lost');
    assert.equal(summary.lost, 0);
    assert.deepEqual(
      [...broker.disconnected].sort(),
      ['mqtt-fleet-noack-0', 'mqtt-fleet-noack-1'],
      'both sent DISCONNECT after the drain',
    );
  });

  test('a thread that does not finish after stop is terminated at the grace: its client failed with why, the counters so far kept, exit 1 though interrupted', async (t) => {
    const mosquitto = await Mosquitto.start();
    t.after(() => mosquitto.stop());
    // Client 1's thread blocks for good half a second after its first message, outside any hook:
    // only the grace after stop can end it (asleep in its loop: a spin would hold a core ~8 s).
    const workload = tempFile(
      t,
      'blocker.mjs',
      `export function onMessage(ctx) {
       if (ctx.index !== 1 || ctx.state.armed) return;
       ctx.state.armed = true;
       setTimeout(() => { ${BLOCK_FOREVER} }, 500);
     }`,
      'grace',
    );
    const cli = spawnCli(
      t,
      [
        'run',
        '-b',
        mosquitto.url,
        '-c',
        '3',
        '--rate',
        '20',
        '--duration',
        '60s',
        '--run-id',
        'grace',
        '--workload',
        workload,
        '--connect-timeout',
        '500ms',
        '--drain-timeout',
        '500ms',
        '--hook-timeout',
        '500ms',
        '--json',
        '--stats-interval',
        '200ms',
      ],
      { json: true },
    );
    const stats = (): Record<string, unknown>[] => cli.lines.filter((l) => l.type === 'stats');
    // Well past client 1's block (the others go on publishing at 40 msg/s).
    await cli.changed.until(() => (stats().at(-1)?.published as number) >= 80, 30_000, 'publishing for a while');
    const before = stats().at(-1)!.published as number;
    const stoppedAt = Date.now();
    cli.child.kill('SIGINT');
    const exit = await withTimeout(cli.exit, 30_000, 'the CLI to exit after the grace');
    const tookMs = Date.now() - stoppedAt;
    // Grace: 2 x connect timeout + hook timeout + drain timeout + 5 s.
    assert.ok(tookMs >= 6_500 && tookMs < 20_000, `ended ${tookMs} ms after SIGINT`);
    assert.equal(exit.code, 1, `a terminated thread is exit 1, even when interrupted: ${cli.stderr().slice(-600)}`);
    const summary = cli.lines.at(-1)!;
    assert.equal(summary.type, 'summary');
    assert.equal(summary.interrupted, true);
    assert.equal(summary.exitCode, 1);
    assert.equal(summary.failed, 1);
    assert.ok(
      (summary.published as number) >= before,
      `counters so far kept: ${String(summary.published)} >= ${before}`,
    );
    const failed = cli.lines.filter((l) => l.type === 'status' && l.state === 'failed');
    assert.equal(failed.length, 1);
    assert.equal(at(failed, 0).client, 1);
    assert.match(
      (at(failed, 0).error as { message: string }).message,
      /its thread did not finish within 7000 ms of stop and was terminated/,
    );
    assert.deepEqual(
      mosquitto.withoutDisconnect(['mqtt-fleet-grace-0', 'mqtt-fleet-grace-2']),
      [],
      'the other clients left cleanly',
    );
    assert.doesNotMatch(cli.stderr(), /\n\s+at /, 'no stack trace');
  });
});

test('the end of a run waits for an acknowledgement on its way only as long as it takes, not the whole --drain-timeout', async (t) => {
  const broker = await aedesForTest(t);
  // Every PUBACK held 300 ms: each client's one message is still unacknowledged when its plan ends.
  const proxy = await new FaultProxy(broker.port, 'late-ack', () => 'forward').listen();
  t.after(() => proxy.close());
  proxy.delay = { cmd: 'puback', ms: 300 };
  const started = performance.now();
  const summary = await runForTest(t, {
    brokers: [proxy.url],
    clients: 2,
    count: 1,
    qos: 1,
    subTopic: '',
    drainTimeout: '20s',
    threads: 0,
  });
  const ms = performance.now() - started;
  assert.equal(proxy.delayed, 2, 'both PUBACKs went through the delay');
  assert.equal(summary.acked, 2, 'both acknowledged before the clients disconnected');
  assert.equal(summary.inFlight, 0);
  assert.ok(ms < 10_000, `the run took ${Math.round(ms)} ms: it waited out the drain timeout`);
});
