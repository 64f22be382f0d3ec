import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compare, type Summary } from '../src/index.js';
import { ExitCode } from '../src/report/exit-codes.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { runForTest } from './helpers/run.js';
import { refusedRun } from './helpers/usage.js';
import { withTimeout } from './helpers/wait.js';

const outcome = (s: Summary, expr: string) => {
  const found = s.thresholds.find((o) => o.threshold === expr);
  assert.ok(found, `${expr} is in the summary`);
  return found;
};

test('thresholds on the final summary: each operator and several figures, their values, exit 99', async (t) => {
  const broker = await aedesForTest(t);
  // 4 clients x 100 messages, each hearing its own topic: 400 published and received, exactly.
  const passing = [
    'published==400',
    'received>=400',
    'received<=400',
    'lost==0',
    'duplicates==0',
    'gaveUp==0',
    'received>399',
    'latency.p99<3600s',
    'latency.p50>0us',
    'connect.max<3600s',
    'subscribe.p99<=3600s',
    'puback.p99<3600s',
    'scheduledLatency.p99<3600s',
    'sendLag.max<3600s',
    'receivedPerSec>=1',
    'publishedPerSec<1m',
    'lateSends<=400',
  ];
  const failing = ['published!=400', 'received>400', 'received<400', 'receivedPerSec>=10m', 'gaveUp!=0'];
  const summary = await runForTest(t, {
    brokers: [broker.url],
    clients: 4,
    count: 100,
    rate: 100,
    qos: 1,
    threads: '0',
    threshold: [...passing, ...failing],
  });
  assert.equal(summary.published, 400);
  assert.equal(summary.received, 400);
  for (const expr of passing) assert.equal(outcome(summary, expr).pass, true, `${expr} passes`);
  for (const expr of failing) assert.equal(outcome(summary, expr).pass, false, `${expr} fails`);
  assert.deepEqual(
    summary.thresholds.map((o) => o.threshold),
    [...passing, ...failing],
    'in the order given',
  );
  // Each reads its figure from the summary itself.
  assert.equal(outcome(summary, 'latency.p99<3600s').value, summary.latencyMs.p99);
  assert.equal(outcome(summary, 'connect.max<3600s').value, summary.steps.connackMs.max);
  assert.equal(outcome(summary, 'subscribe.p99<=3600s').value, summary.steps.subackMs.p99);
  assert.equal(outcome(summary, 'receivedPerSec>=1').value, summary.receivedPerSec);
  assert.equal(outcome(summary, 'sendLag.max<3600s').value, summary.sendLagMs!.max);
  assert.deepEqual(outcome(summary, 'received>400'), {
    threshold: 'received>400',
    figure: 'received',
    value: 400,
    pass: false,
    abortOnFail: false,
    abortedAt: null,
  });
  assert.deepEqual(summary.shortfall, []);
  assert.equal(summary.exitCode, ExitCode.ThresholdCrossed);
  assert.equal(ExitCode.ThresholdCrossed, 99);
});

test('all thresholds met: exit 0', async (t) => {
  const broker = await aedesForTest(t);
  const summary = await runForTest(t, {
    brokers: [broker.url],
    clients: 2,
    count: 20,
    rate: 50,
    threads: '0',
    threshold: ['lost==0', 'received==40', 'latency.p99<3600s'],
  });
  assert.ok(summary.thresholds.every((o) => o.pass));
  assert.equal(summary.exitCode, ExitCode.Ok);
});

test('a real loss is never hidden behind a crossed threshold: exit 1, and the threshold still says it failed', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const runId = 'thrloss';
  // Every 10th message to client 0 dropped on its way from the broker: lost at QoS 1.
  const proxy = await new FaultProxy(mosquitto.port, runId, (clientId, d) =>
    clientId === `mqtt-fleet-${runId}-0` && d.seq % 10 === 3 ? 'drop' : 'forward',
  ).listen();
  t.after(() => proxy.close());
  const summary = await runForTest(t, {
    brokers: [proxy.url],
    clients: 2,
    count: 50,
    rate: 100,
    qos: 1,
    threads: '0',
    runId,
    drainTimeout: '1s',
    threshold: ['lost==0', 'latency.p99<3600s'],
  });
  assert.equal(summary.lost, 5, 'seq 3, 13, ..., 43 lost');
  assert.deepEqual(outcome(summary, 'lost==0'), {
    threshold: 'lost==0',
    figure: 'lost',
    value: 5,
    pass: false,
    abortOnFail: false,
    abortedAt: null,
  });
  assert.equal(outcome(summary, 'latency.p99<3600s').pass, true);
  assert.deepEqual(summary.shortfall, ['lost']);
  assert.equal(summary.exitCode, ExitCode.Shortfall, '1 wins over 99');
});

test('--abort-on-fail: a threshold crossed during the run stops it early, figures kept, exit 99', async (t) => {
  const broker = await aedesForTest(t);
  const stats: number[] = [];
  const started = Date.now();
  const summary = await runForTest(t, {
    brokers: [broker.url],
    clients: 2,
    rate: 20,
    duration: '60s',
    qos: 1,
    threads: '0',
    statsInterval: '200ms',
    // Only growing: once 20 messages are in, `received<20` is crossed for good.
    threshold: ['received<20', 'latency.p99<3600s'],
    abortOnFail: true,
    onEvent: (e) => {
      if (e.type === 'stats') stats.push(e.t);
    },
  });
  const took = Date.now() - started;
  const crossed = outcome(summary, 'received<20');
  assert.ok(crossed.abortedAt !== null, 'it says it stopped the run');
  assert.ok(crossed.abortedAt.value >= 20, `crossed at ${crossed.abortedAt.value} received`);
  assert.ok(stats.includes(crossed.abortedAt.t), 'at a stats interval');
  assert.equal(crossed.pass, false);
  assert.equal(outcome(summary, 'latency.p99<3600s').abortedAt, null);
  assert.equal(outcome(summary, 'latency.p99<3600s').pass, true);
  assert.ok(took < 30_000, `stopped long before its 60 s (${took} ms)`);
  assert.ok(summary.published < summary.planned, `published ${summary.published} of ${summary.planned} planned`);
  // Stopping on purpose is not a shortfall, and nothing was lost on the way out.
  assert.deepEqual(summary.shortfall, []);
  assert.equal(summary.lost, 0);
  assert.equal(summary.interrupted, false);
  assert.equal(summary.exitCode, ExitCode.ThresholdCrossed);
});

test('abortOnFail on one threshold only: a latency budget stops the run, the other thresholds are judged at the end', async (t) => {
  const broker = await aedesForTest(t);
  const summary = await runForTest(t, {
    brokers: [broker.url],
    clients: 2,
    rate: 20,
    duration: '60s',
    threads: '0',
    statsInterval: '200ms',
    // Nothing crosses the loopback in under a microsecond: crossed at the first interval with a message.
    threshold: ['latency.p50<1us'],
    abortOnFail: true,
  });
  const crossed = outcome(summary, 'latency.p50<1us');
  assert.ok(crossed.abortedAt !== null && crossed.abortedAt.value >= 0.001);
  assert.ok(summary.durationMs < 30_000, `stopped early (${summary.durationMs} ms)`);
  assert.equal(summary.exitCode, ExitCode.ThresholdCrossed);
});

test('the CLI: a crossed threshold exits 99 with the outcome in the --json summary; a bad one is refused up front', async (t) => {
  // A broker in this process, not the embedded one's process.
  const broker = await aedesForTest(t);
  const cli = spawnCli(
    t,
    [
      'run',
      '-b',
      broker.url,
      '--json',
      '-c',
      '2',
      '--count',
      '10',
      '--rate',
      '50',
      '--threads',
      '0',
      '--threshold',
      'published>1m',
      '--threshold',
      'lost==0',
    ],
    { json: true },
  );
  const { code } = await withTimeout(cli.exit, 120_000, 'the CLI run');
  assert.equal(code, 99, cli.stderr());
  const summary = cli.lines.find((l) => l.type === 'summary') as unknown as Summary;
  assert.deepEqual(
    summary.thresholds.map((o) => [o.threshold, o.value, o.pass]),
    [
      ['published>1m', 20, false],
      ['lost==0', 0, true],
    ],
  );
  assert.match(cli.stderr(), /thresholds +FAIL +published>1m \(20\)/);
  assert.match(cli.stderr(), /result: threshold crossed: published>1m \(exit 99\)/);

  // Refused by the options' resolution the CLI calls before anything starts, here in this
  // process: the CLI's exit 2 and one line for a refusal are checked in refusals.test and cli.test.
  refusedRun(
    { threshold: 'latency.p99<5x' },
    '--threshold "latency.p99<5x": 5x is not a time: a number with us, ms or s (50ms, 1.5s)',
  );
});

test('compare: a mode that crossed a threshold makes the comparison exit 99', async (t) => {
  const broker = await aedesForTest(t);
  const { comparison, summaries } = await compare({
    brokers: [broker.url],
    clients: 2,
    count: 10,
    rate: 50,
    threads: '0,1',
    threshold: ['published>1m'],
  });
  assert.deepEqual(
    summaries.map((s) => s.exitCode),
    [99, 99],
  );
  assert.equal(comparison.exitCode, ExitCode.ThresholdCrossed);
});
