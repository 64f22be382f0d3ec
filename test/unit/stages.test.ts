import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { resolveOptions, type RunOptions } from '../../src/options/index.js';
import { parseStages } from '../../src/options/stages.js';
import { RateSchedule } from '../../src/metrics/schedule.js';
import { publishPlan } from '../../src/metrics/planned.js';
import { LaneOffers, OfferedLoad } from '../../src/metrics/offered.js';
import { at } from '../../src/mqtt/checked.js';
import { tempFile } from '../helpers/temp.js';

function refused(input: RunOptions, option: string, pattern: RegExp): void {
  assert.throws(
    () => resolveOptions(input, {}),
    (err: unknown) => err instanceof UsageError && err.option === option && pattern.test(err.message),
    `expected ${option} ${pattern}`,
  );
}

test('stages parse: durations with units, rates, k for thousands, hold keeps the previous rate', () => {
  assert.deepEqual(parseStages('--stages', '30s:100,1m:hold,500ms:10k, 30s : 0'), [
    { durationMs: 30_000, rate: 100 },
    { durationMs: 60_000, rate: 100 },
    { durationMs: 500, rate: 10_000 },
    { durationMs: 30_000, rate: 0 },
  ]);
  // A first `hold` holds 0: a pause before the first ramp. A zero-length stage is a step.
  assert.deepEqual(parseStages('--stages', '5s:hold,0s:20,1m:hold'), [
    { durationMs: 5000, rate: 0 },
    { durationMs: 0, rate: 20 },
    { durationMs: 60_000, rate: 20 },
  ]);
  // As a scenario writes them: a list of entries, or k6's { duration, target }.
  assert.deepEqual(parseStages('s', ['10s:5', { duration: '1m', target: 'hold' }, { duration: '2s', target: 0 }]), [
    { durationMs: 10_000, rate: 5 },
    { durationMs: 60_000, rate: 5 },
    { durationMs: 2000, rate: 0 },
  ]);
});

test('bad stages are refused with one line naming --stages and the stage', () => {
  const bad = (value: unknown, pattern: RegExp): void =>
    assert.throws(
      () => parseStages('--stages', value),
      (err: unknown) => err instanceof UsageError && err.option === '--stages' && pattern.test(err.message),
      `expected ${String(pattern)}`,
    );
  bad('', /--stages must be DURATION:RATE stages/);
  bad('30s', /--stages stage 1 must be DURATION:RATE/);
  bad('30s:100,1m', /--stages stage 2 must be DURATION:RATE/);
  bad('30:100', /--stages stage 1 needs a unit/);
  bad('30s:fast', /--stages stage 1 must be a number/);
  bad('30s:-5', /--stages stage 1 must be at least 0/);
  bad('1s:2000000', /--stages stage 1 must be at most 1000000/);
  bad('10s:0,5s:hold', /never rises above 0 msg\/s/);
  bad('0s:100', /must last from 1ms/);
  bad('20d:100,5d:100', /must last from 1ms to 24d/);
  bad('0s:1000,20d:hold', /plans \d+ messages per client; at most 1000000000/);
  bad([{ duration: '1s', rate: 5 }], /--stages stage 1 must be DURATION:RATE/);
  bad([{ duration: 30, target: 5 }], /--stages stage 1 needs a unit/);
  bad(Array.from({ length: 1001 }, () => '1s:1').join(','), /1001 stages; at most 1000/);
});

test('the integral is piecewise quadratic: ramps, plateaus, steps and rate-0 stretches', () => {
  const s = new RateSchedule(parseStages('--stages', '10s:100,5s:hold,0s:40,10s:0,5s:hold'));
  assert.equal(s.durationMs, 30_000);
  // 0->100 over 10 s: 500; 100 for 5 s: 500; a step to 40 and down to 0 over 10 s: 200; then nothing.
  assert.equal(s.total, 1200);
  assert.equal(s.messagesBy(-5), 0);
  assert.equal(s.messagesBy(5000), 125); // a quarter of the ramp's area at half its length
  assert.equal(s.messagesBy(10_000), 500);
  assert.equal(s.messagesBy(12_500), 750);
  assert.equal(s.messagesBy(20_000), 1000 + 40 * 5 - (4 * 25) / 2);
  assert.equal(s.messagesBy(26_000), 1200);
  assert.equal(s.messagesBy(40_000), 1200);
  assert.equal(s.rateAt(5000), 50);
  assert.equal(s.rateAt(15_000), 40); // the step comes at its instant
  assert.equal(s.rateAt(27_000), 0);
});

test('due times invert the integral exactly, and a plan of total T sends ceil(T) messages', () => {
  const plans = ['10s:100,5s:hold,0s:40,10s:0,5s:hold', '3s:7,2s:0,2s:0,4s:13.3', '1s:hold,2s:0.7', '250ms:1000'];
  for (const text of plans) {
    const s = new RateSchedule(parseStages('--stages', text));
    let previous = -1;
    let sent = 0;
    for (let n = 0; n < s.total + 2; n++) {
      const t = s.timeOf(n);
      if (t >= s.durationMs) continue;
      sent++;
      assert.ok(t >= previous, `${text}: due times never go back (${n})`);
      previous = t;
      // The integral at the due time is n, to rounding; and not reached a hair before it.
      assert.ok(Math.abs(s.messagesBy(t) - n) < 1e-6 * Math.max(1, n), `${text}: integral at timeOf(${n}) is ${n}`);
      if (n > 0) assert.ok(s.messagesBy(t - 1e-3) < n, `${text}: ${n} is not due before timeOf(${n})`);
    }
    assert.equal(sent, Math.ceil(s.total), `${text}: ceil(${s.total}) messages`);
    assert.equal(s.timeOf(Math.ceil(s.total)), Infinity);
  }
  // Rate 0 sends nothing: after 100 messages at the first plateau's end, the next waits for the rise.
  const gap = new RateSchedule(parseStages('--stages', '0s:100,1s:hold,0s:0,2s:hold,0s:100,1s:hold'));
  assert.equal(gap.timeOf(99), 990);
  assert.equal(gap.timeOf(100), 1000);
  assert.equal(gap.timeOf(101), 3010);
  // A trailing plateau at 0 sends no extra message at the point the integral reaches its total.
  assert.equal(new RateSchedule(parseStages('--stages', '10s:10,10s:0,5s:hold')).timeOf(100), Infinity);
});

test('a staged plan plans the integral (rounded) and bounds it, as a constant one does', () => {
  const plan = (stages: string): ReturnType<typeof publishPlan> => {
    const o = resolveOptions({ stages }, {});
    return publishPlan(at(o.groups, 0).publish);
  };
  assert.deepEqual(plan('10s:100,10s:0'), { planned: 1000, bound: 1001 });
  assert.deepEqual(plan('3s:1'), { planned: 2, bound: 3 }); // 1.5 messages
});

test('--stages sets the publishing time and the peak rate, and refuses --rate, --duration and --count', () => {
  const o = resolveOptions({ stages: '30s:100,1m:1000,30s:0' }, {});
  assert.equal(o.durationMs, 120_000);
  const publish = at(o.groups, 0).publish!;
  assert.equal(publish.rate, 1000);
  assert.equal(publish.durationMs, 120_000);
  assert.equal(publish.count, undefined);
  assert.deepEqual(publish.stages, [
    { durationMs: 30_000, rate: 100 },
    { durationMs: 60_000, rate: 1000 },
    { durationMs: 30_000, rate: 0 },
  ]);
  assert.equal(at(resolveOptions({}, {}).groups, 0).publish!.stages, null);
  refused({ stages: '10s:5', rate: 5 }, '--rate', /--rate does not go with --stages/);
  refused({ stages: '10s:5', duration: '10s' }, '--duration', /--duration does not go with --stages/);
  refused({ stages: '10s:5', count: 10 }, '--count', /--count does not go with --stages/);
  refused(
    { stages: '10s:5', clientStages: '10s:5', clients: 5 },
    '--client-stages',
    /--client-stages does not go with --stages yet/,
  );
  refused({ stages: '10s:x' }, '--stages', /--stages stage 1 must be a number/);
  refused({ stages: '10s:5', warmup: '10s' }, '--warmup', /shorter than the publishing time/);
});

test('scenario groups: stages in a publish plan, inherited from --stages, refused beside rate, count or duration', (t: TestContext) => {
  const file = (text: string): string => tempFile(t, 'fleet.yaml', text, 'scenario');
  const scenario = file(
    [
      'groups:',
      '  - name: ramp',
      '    count: 2',
      "    publish: { topic: 'r/{n}', stages: ['10s:50', '5s:hold', { duration: 5s, target: 0 }] }",
      '  - name: steady',
      '    count: 1',
      "    publish: { topic: 's/{n}', rate: 3 }",
      '  - name: follows',
      '    count: 1',
      "    publish: { topic: 'f/{n}' }",
      '',
    ].join('\n'),
  );
  const plain = resolveOptions({ scenario }, {});
  const [ramp, steady, follows] = plain.groups.map((g) => g.publish!);
  assert.deepEqual(ramp!.stages, [
    { durationMs: 10_000, rate: 50 },
    { durationMs: 5000, rate: 50 },
    { durationMs: 5000, rate: 0 },
  ]);
  assert.equal(ramp!.durationMs, 20_000);
  assert.equal(steady!.stages, null);
  assert.equal(follows!.stages, null);
  // Under --stages, a group that says nothing of its rate follows them; one that gives a rate keeps it, for their length.
  const staged = resolveOptions({ scenario, stages: '4s:8' }, {});
  assert.deepEqual(staged.groups[2]!.publish!.stages, [{ durationMs: 4000, rate: 8 }]);
  assert.equal(staged.groups[1]!.publish!.stages, null);
  assert.equal(staged.groups[1]!.publish!.durationMs, 4000);
  assert.throws(
    () =>
      resolveOptions(
        { scenario: file(`groups:\n  - name: a\n    count: 1\n    publish: { topic: t, stages: '1s:5', rate: 5 }\n`) },
        {},
      ),
    /fleet\.yaml:4:\d+: groups\[0\]\.publish\.rate does not go with stages/,
  );
  assert.throws(
    () =>
      resolveOptions(
        { scenario: file(`groups:\n  - name: a\n    count: 1\n    publish: { topic: t, stages: '1s' }\n`) },
        {},
      ),
    /fleet\.yaml:4:\d+: groups\[0\]\.publish\.stages stage 1 must be DURATION:RATE/,
  );
});

test('the offered load is the plan, all publishers together: stages, constant rates, counts; unknown when unpaced', () => {
  const staged = resolveOptions({ stages: '10s:100,10s:0', clients: 3 }, {});
  const load = new OfferedLoad(staged.groups, [0, 1, 2]);
  assert.equal(load.by(0), 0);
  assert.equal(load.by(10_000), 1500);
  assert.equal(load.by(15_000), 3 * (500 + 375));
  assert.equal(load.by(60_000), 3000);
  // Only this process's publishers: a shard offers its share.
  assert.equal(new OfferedLoad(staged.groups, [1]).by(10_000), 500);
  const constant = resolveOptions({ rate: 20, count: 50, clients: 2 }, {});
  assert.equal(new OfferedLoad(constant.groups, [0, 1]).by(1000), 40);
  assert.equal(new OfferedLoad(constant.groups, [0, 1]).by(60_000), 100); // the count ends it at 2.5 s
  const unpaced = resolveOptions({ rate: 0, count: 50 }, {});
  assert.equal(new OfferedLoad(unpaced.groups, [0]).known, false);
  assert.equal(new OfferedLoad(unpaced.groups, [0]).by(1000), null);
});

test("each lane's offer is taken where its published count stands: at its last batch, or now once it has been silent", () => {
  const { groups } = resolveOptions({ stages: '0s:100,10s:hold', clients: 4 }, {});
  const offers = new LaneOffers(
    groups,
    [
      { lane: 0, publishers: [0, 1] },
      { lane: 1, publishers: [2, 3] },
    ],
    500,
  );
  assert.equal(offers.by(5000), 0, 'nothing is offered before publishing starts');
  offers.goAt = 1000;
  offers.onBatch(0, 2900);
  offers.onBatch(1, 2800);
  // At 3000: lane 0 counted up to 2900 (1.9 s x 100 x 2), lane 1 up to 2800 (1.8 s x 100 x 2).
  assert.equal(offers.by(3000), 380 + 360);
  // At 3400, lane 1 has said nothing for 600 ms (> 500): it is taken at 3400.
  assert.equal(offers.by(3400), 380 + 480);
  assert.equal(
    new LaneOffers(resolveOptions({ rate: 0, count: 5 }, {}).groups, [{ lane: 0, publishers: [0] }], 500).by(1),
    null,
  );
});
