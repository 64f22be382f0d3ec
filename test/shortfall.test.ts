import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, type Summary } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { MiniBroker } from './helpers/mini-broker.js';
import { runForTest } from './helpers/run.js';
import { withTimeout } from './helpers/wait.js';

test('a QoS 1 broker that never acknowledges: 40 of 300 planned messages sent, none acknowledged: the run says so and exits 1', async (t) => {
  const broker = await new MiniBroker({ acknowledge: false }).listen();
  t.after(() => broker.close());
  const cli = spawnCli(
    t,
    [
      'run',
      '-b',
      broker.url,
      '-c',
      '2',
      '--rate',
      '50',
      '--duration',
      '3s',
      '--qos',
      '1',
      '--drain-timeout',
      '500ms',
      '--threads',
      '0',
      '--json',
    ],
    { json: true },
  );
  const { code } = await withTimeout(cli.exit, 30_000, 'the run');
  const summary = cli.lines.at(-1) as unknown as Summary;
  t.diagnostic(
    `planned ${summary.planned}, published ${summary.published}, acked ${summary.acked}, inFlight ${summary.inFlight}, shortfall ${JSON.stringify(summary.shortfall)}, exit ${code}`,
  );
  assert.equal(broker.published, 40, 'each client stopped at its in-flight window of 20');
  assert.deepEqual([summary.planned, summary.published, summary.acked], [300, 40, 0]);
  assert.deepEqual(summary.shortfall, ['unpublished', 'unacknowledged']);
  assert.equal(summary.exitCode, 1);
  assert.equal(code, 1);
  assert.match(cli.stderr(), /shortfall\s+published 40 of 300 planned · acknowledged 0 of 300 planned/);
  assert.match(
    cli.stderr(),
    /result: fell short: 40 of 300 planned messages published, 0 of 300 planned messages acknowledged \(exit 1\)/,
  );
});

test('a plan cut short by its --duration (unpaced, 1m messages per client in 300 ms) exits 1; a paced run that ends a message early or late per client exits 0', async (t) => {
  const broker = await aedesForTest(t);
  const cut = await runForTest(t, {
    brokers: [broker.url],
    clients: 2,
    rate: 0,
    count: '1m',
    duration: '300ms',
    threads: 0,
  });
  t.diagnostic(
    `unpaced: published ${cut.published} of ${cut.planned}, shortfall ${JSON.stringify(cut.shortfall)}, exit ${cut.exitCode}`,
  );
  assert.equal(cut.planned, 2_000_000);
  assert.ok(cut.published < 1_000_000, `${cut.published} published`);
  assert.deepEqual(cut.shortfall, ['unpublished', 'unacknowledged']);
  assert.equal(cut.exitCode, 1);
  for (const threads of [0, 'per-client'] as const) {
    const paced = await runForTest(t, { brokers: [broker.url], clients: 4, rate: 20, duration: '2s', qos: 1, threads });
    t.diagnostic(
      `paced, --threads ${threads}: published ${paced.published} of ${paced.planned}, acked ${paced.acked}, exit ${paced.exitCode}`,
    );
    assert.equal(paced.planned, 160);
    assert.ok(Math.abs(paced.published - 160) <= 4, `${paced.published} published`);
    assert.deepEqual(paced.shortfall, []);
    assert.equal(paced.exitCode, 0);
  }
});

test('an interrupted run keeps exit 130 although it published less than planned; the shortfall is still listed', async (t) => {
  const broker = await aedesForTest(t);
  const controller = new AbortController();
  t.after(() => controller.abort('SIGINT'));
  const summary = await withTimeout(
    run({
      brokers: [broker.url],
      clients: 2,
      rate: 20,
      duration: '10s',
      threads: 0,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'stats' && e.published > 0) controller.abort('SIGINT');
      },
    }),
    30_000,
    'the interrupted run',
  );
  assert.equal(summary.interrupted, true);
  assert.ok(summary.published < summary.planned / 2, `${summary.published} of ${summary.planned}`);
  assert.ok(summary.shortfall.includes('unpublished'));
  assert.equal(summary.exitCode, 130);
});
