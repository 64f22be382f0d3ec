import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { resolveOptions } from '../../src/index.js';
import { crossedNow, FIGURES, judgeFinal, parseThreshold, type ThresholdFigures } from '../../src/report/thresholds.js';
import { tempFile } from '../helpers/temp.js';

const dist = (p99: number, count = 10) => ({
  count,
  p50: p99 / 2,
  p90: p99 * 0.9,
  p99,
  p999: p99,
  max: p99,
  mean: p99 / 2,
});

function figures(over: Partial<ThresholdFigures> = {}): ThresholdFigures {
  return {
    latency: dist(12),
    scheduledLatency: dist(20),
    sendLag: dist(1),
    roundTrip: dist(25),
    timedOut: 4,
    steps: {
      connect: dist(150),
      tcpConnect: dist(2),
      tlsHandshake: dist(0, 0),
      subscribe: dist(5),
      puback: dist(3),
      pubcomp: dist(0, 0),
      reconnect: dist(0, 0),
    },
    lost: 0,
    inFlight: 0,
    duplicates: 2,
    received: 9500,
    published: 9500,
    gaveUp: 0,
    failed: 0,
    reconnects: 0,
    lateSends: 3,
    receivedPerSec: 9400,
    publishedPerSec: 9450,
    ...over,
  };
}

const judge = (expr: string, f = figures()) => judgeFinal([parseThreshold('--threshold', expr)], f)[0]!;

function refused(expr: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseThreshold('--threshold', expr),
    (err: unknown) =>
      err instanceof UsageError &&
      err.option === '--threshold' &&
      pattern.test(err.message) &&
      !err.message.includes('\n'),
    `${JSON.stringify(expr)}: expected ${pattern}`,
  );
}

test('each operator, on a time, a count and a rate', () => {
  const cases: [string, boolean][] = [
    ['latency.p99<50ms', true],
    ['latency.p99<12ms', false],
    ['latency.p99<=12ms', true],
    ['latency.p99<=11.9ms', false],
    ['latency.p99>12ms', false],
    ['latency.p99>11999us', true],
    ['latency.p99>=0.012s', true],
    ['latency.p99>=12.001ms', false],
    ['lost==0', true],
    ['duplicates==0', false],
    ['duplicates!=0', true],
    ['lost!=0', false],
    ['receivedPerSec>=9k', true],
    ['receivedPerSec>=9.5k', false],
    ['received>9000', true],
    ['received<9.5k', false],
    ['publishedPerSec<0.01m', true],
    ['connect.p99<200ms', true],
    ['roundTrip.p99<30ms', true],
    ['roundTrip.p50>=20ms', false],
    ['timedOut==0', false],
    ['timedOut<=4', true],
    ['connect.p99<0.1s', false],
    ['scheduledLatency.p99<=20ms', true],
    ['sendLag.max<1ms', false],
    ['gaveUp==0', true],
    ['lateSends<=2', false],
    ['subscribe.p50<3ms', true],
  ];
  for (const [expr, pass] of cases) assert.equal(judge(expr).pass, pass, expr);
});

test('a threshold reads its figure and says how it came out', () => {
  assert.deepEqual(judge('connect.p99 < 200ms'), {
    threshold: 'connect.p99<200ms',
    figure: 'connect.p99',
    value: 150,
    pass: true,
    abortOnFail: false,
    abortedAt: null,
  });
  assert.equal(judge('latency.mean<1s').value, 6);
  assert.equal(judge('latency.p999<1s').value, 12);
  assert.equal(parseThreshold('--threshold', 'latency.p99<800us').value, 0.8);
  assert.equal(parseThreshold('--threshold', 'receivedPerSec>=1.5m').value, 1_500_000);
  assert.equal(parseThreshold('--threshold', 'lost==0', true).abortOnFail, true);
});

test('a figure that was not measured fails: no latency with nothing received, no schedule unpaced', () => {
  const none = figures({ latency: dist(0, 0), scheduledLatency: null, receivedPerSec: null });
  for (const expr of ['latency.p99<50ms', 'scheduledLatency.p99<50ms', 'receivedPerSec>=0', 'tlsHandshake.p99<1s']) {
    const outcome = judge(expr, none);
    assert.equal(outcome.value, null, expr);
    assert.equal(outcome.pass, false, expr);
  }
});

test('a threshold that stopped the run fails, whatever its figure at the end', () => {
  const [outcome] = judgeFinal(
    [parseThreshold('--threshold', 'latency.p99<50ms', true)],
    figures(),
    new Map([[0, { t: 2000, value: 80 }]]),
  );
  assert.deepEqual(outcome!.abortedAt, { t: 2000, value: 80 });
  assert.equal(outcome!.pass, false);
});

test('during the run: a latency or rate crossed stops it; a count only past an upper bound', () => {
  const now = figures({ lost: null, received: 100 });
  const crossed = (expr: string): number | null => crossedNow(parseThreshold('--threshold', expr, true), now);
  assert.equal(crossed('latency.p99<10ms'), 12);
  assert.equal(crossed('latency.p99<50ms'), null);
  assert.equal(crossed('receivedPerSec>=10k'), 9400);
  // Counts only grow: received>=1000 may still be met, received<50 never again.
  assert.equal(crossed('received>=1000'), null);
  assert.equal(crossed('received<50'), 100);
  assert.equal(crossed('duplicates==0'), 2);
  assert.equal(crossed('duplicates!=0'), null);
  // Loss is known at the end only.
  assert.equal(crossed('lost==0'), null);
  // Rates not settled yet say nothing.
  assert.equal(
    crossedNow(parseThreshold('--threshold', 'receivedPerSec>=10k'), figures({ receivedPerSec: null })),
    null,
  );
});

test('bad expressions are refused in one line naming the threshold', () => {
  refused('latency.p99<5x', /^--threshold "latency\.p99<5x": 5x is not a time/);
  refused('latency.p99<50', /"latency\.p99<50": 50 is not a time: a number with us, ms or s/);
  refused('lost==1ms', /"lost==1ms": 1ms is not a count/);
  refused('receivedPerSec>=fast', /fast is not a rate/);
  refused('latency.p98<5ms', /latency\.p98 is not a figure; expected one of latency\.\{p50,p90,p99,p999,max,mean\}/);
  refused('latncy<5ms', /latncy is not a figure/);
  refused('lost=0', /expected an operator after lost: one of <= >= == != < >/);
  refused('lost=>0', /expected an operator|is not a count/);
  refused('lost<', /expected a value after </);
  refused('lost', /expected an operator after lost/);
  refused('', /expected FIGURE OPERATOR VALUE/);
  refused('lost==-1', /-1 is not a count/);
  refused(42, /must be a string/);
});

test('every figure has a kind and reads a number or null', () => {
  for (const [name, figure] of FIGURES) {
    const value = figure.read(figures());
    assert.ok(value === null || typeof value === 'number', name);
  }
  assert.ok(FIGURES.has('latency.p999') && FIGURES.has('connect.p50') && FIGURES.has('sendLag.p99'));
});

test('--threshold and --abort-on-fail resolve; a scenario adds its own, with abortOnFail per threshold', (t: TestContext) => {
  const flat = resolveOptions({ threshold: ['lost==0', 'latency.p99<50ms'], abortOnFail: true });
  assert.deepEqual(
    flat.thresholds.map((s) => [s.expr, s.abortOnFail]),
    [
      ['lost==0', true],
      ['latency.p99<50ms', true],
    ],
  );
  assert.deepEqual(resolveOptions({}).thresholds, []);
  assert.throws(() => resolveOptions({ threshold: 'latency.p99<5x' }), /--threshold "latency\.p99<5x"/);
  const scenario = tempFile(
    t,
    'fleet.yaml',
    [
      'thresholds:',
      "  - 'latency.p99<50ms'",
      '  - { expr: lost==0, abortOnFail: true }',
      'groups:',
      "  - { name: a, count: 2, publish: { topic: 't/{i}', rate: 5 }, subscribe: ['t/#'] }",
      '',
    ].join('\n'),
  );
  const resolved = resolveOptions({ scenario, threshold: 'receivedPerSec>=1' });
  assert.deepEqual(
    resolved.thresholds.map((s) => [s.expr, s.abortOnFail]),
    [
      ['receivedPerSec>=1', false],
      ['latency.p99<50ms', false],
      ['lost==0', true],
    ],
  );
  const bad = (text: string, pattern: RegExp): void =>
    assert.throws(
      () => resolveOptions({ scenario: tempFile(t, 'bad.yaml', `${text}groups:\n  - { name: a, count: 1 }\n`) }),
      (err: unknown) => err instanceof UsageError && err.option === '--scenario' && pattern.test(err.message),
      String(pattern),
    );
  bad(`thresholds:\n  - 'latency.p99<5x'\n`, /bad\.yaml:2:5: thresholds\[0\] "latency\.p99<5x": 5x is not a time/);
  bad(`thresholds:\n  - { expr: lost==0, abort: true }\n`, /thresholds\[0\]\.abort is not a known setting here/);
  bad(`thresholds:\n  - { abortOnFail: true }\n`, /thresholds\[0\] needs expr/);
  bad(`thresholds:\n  - { expr: lost==0, abortOnFail: maybe }\n`, /thresholds\[0\]\.abortOnFail must be true or false/);
  bad(`thresholds: lost==0\n`, /thresholds must be a list of thresholds/);
});

test('request/response figures are not measured when no group sends requests: their thresholds fail', () => {
  const none = figures({ roundTrip: null, timedOut: null });
  for (const expr of ['roundTrip.p99<1s', 'timedOut==0']) {
    const outcome = judge(expr, none);
    assert.equal(outcome.value, null, expr);
    assert.equal(outcome.pass, false, expr);
  }
});
