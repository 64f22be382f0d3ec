import assert from 'node:assert/strict';
import { test } from 'node:test';
import { churnSlice, nextChurn, planLengthMs, plannedAt, presence } from '../../src/metrics/client-plan.js';
import { parseChurn, parseClientStages, stagesProblem } from '../../src/options/comings.js';
import { UsageError } from '../../src/errors.js';
import { resolveOptions } from '../../src/options/index.js';
import { tempFile } from '../helpers/temp.js';

test('parseClientStages: durations, counts, hold, the plan length', () => {
  const stages = parseClientStages('--client-stages', '30s:100,1m:hold,30s:1k,10s:0');
  assert.deepEqual(stages, [
    { durationMs: 30_000, clients: 100 },
    { durationMs: 60_000, clients: 100 },
    { durationMs: 30_000, clients: 1000 },
    { durationMs: 10_000, clients: 0 },
  ]);
  assert.equal(planLengthMs(stages), 130_000);
  assert.deepEqual(parseClientStages('x', ['1s:2', '1s:hold']), [
    { durationMs: 1000, clients: 2 },
    { durationMs: 1000, clients: 2 },
  ]);
  for (const bad of ['', '1s', '1s:2:3', 'soon:2', '1s:many', '0s:5', '1s:-1'])
    assert.throws(() => parseClientStages('--client-stages', bad), UsageError, bad);
  assert.match(
    stagesProblem('--client-stages', stages, 999) ?? '',
    /reaches 1000 connected clients but there are only 999/,
  );
  assert.equal(stagesProblem('--client-stages', stages, 1000), null);
});

test('plannedAt: linear from 0, floor of the count, held after the last stage', () => {
  const stages = parseClientStages('s', '10s:100,5s:hold,10s:0,1s:hold');
  assert.equal(plannedAt(stages, 0), 0);
  assert.equal(plannedAt(stages, 5000), 50);
  assert.equal(plannedAt(stages, 9999), 99);
  assert.equal(plannedAt(stages, 10_000), 100);
  assert.equal(plannedAt(stages, 14_000), 100);
  assert.equal(plannedAt(stages, 20_000), 50);
  assert.equal(plannedAt(stages, 25_000), 0);
  assert.equal(plannedAt(parseClientStages('s', '1s:3'), 60_000), 3);
});

test('presence: clients join in index order and leave in reverse; floor(N(t)) are connected at any time', () => {
  const stages = parseClientStages('s', '10s:10,10s:hold,10s:0');
  assert.deepEqual(presence(stages, 0), [[1000, 29_000]]);
  assert.deepEqual(presence(stages, 9), [[10_000, 20_000]]);
  assert.deepEqual(presence(stages, 10), [], 'past the peak: never joins');
  // Between the instants at which someone comes or goes (at one, the count is either side of it).
  for (let t = 125; t <= 30_000; t += 250) {
    const connected = Array.from({ length: 12 }, (_, n) => presence(stages, n)).filter((s) =>
      s.some(([join, leave]) => t >= join && t < leave),
    ).length;
    assert.equal(connected, plannedAt(stages, t), `at ${t} ms`);
  }
  // Down and up again: a client away in the middle has two stretches; one still there at the end, an open one.
  const dip = parseClientStages('s', '1s:4,1s:2,1s:4');
  assert.deepEqual(
    presence(dip, 3),
    [
      [1000, 1000 + 0],
      [3000, Infinity],
    ].filter(([a, b]) => b! > a!),
  );
  assert.deepEqual(presence(dip, 0), [[250, Infinity]]);
  assert.deepEqual(presence(parseClientStages('s', '0s:3,1s:hold'), 2), [[0, Infinity]], 'a step');
});

test('parseChurn and the churn schedule: a rotating slice, at least one client, every client in turn', () => {
  assert.deepEqual(parseChurn('--churn', '10s:0.1'), { everyMs: 10_000, fraction: 0.1, mode: 'clean' });
  assert.deepEqual(parseChurn('--churn', '500ms:0.5:abrupt'), { everyMs: 500, fraction: 0.5, mode: 'abrupt' });
  assert.deepEqual(parseChurn('c', { every: '1s', fraction: 1, mode: 'abrupt' }), {
    everyMs: 1000,
    fraction: 1,
    mode: 'abrupt',
  });
  for (const bad of ['10s', '10s:0', '10s:2', '10s:0.1:loud', '1ms:0.1', 'x:0.1', '1s:0.1:clean:more'])
    assert.throws(() => parseChurn('--churn', bad), UsageError, bad);
  assert.throws(() => parseChurn('c', { every: '1s', fraction: 0.1, often: true }), UsageError);
  const churn = parseChurn('--churn', '1s:0.3');
  assert.equal(churnSlice(churn, 10), 3);
  assert.equal(churnSlice(parseChurn('c', '1s:0.01'), 10), 1, 'at least one');
  // Periods 1, 2, 3, 4 take clients 0-2, 3-5, 6-8, then 9, 0, 1 (wrapping).
  const firsts = Array.from({ length: 10 }, (_, n) => nextChurn(churn, 10, n, 0));
  assert.deepEqual(firsts, [1000, 1000, 1000, 2000, 2000, 2000, 3000, 3000, 3000, 4000]);
  assert.equal(nextChurn(churn, 10, 0, 1000), 4000, 'strictly after the time given');
  // Per period, exactly the slice.
  for (let k = 1; k <= 20; k++) {
    const taken = Array.from({ length: 10 }, (_, n) => n).filter(
      (n) => nextChurn(churn, 10, n, k * 1000 - 1) === k * 1000,
    );
    assert.equal(taken.length, 3, `period ${k}`);
  }
});

test('scenario groups: clientStages, clientLeave and churn per group, checked against the group’s count', (t) => {
  const scenario = (text: string): string => tempFile(t, 'comings.yaml', text, 'comings');
  const options = resolveOptions(
    {
      scenario: scenario(
        [
          'defaults: { clientLeave: abrupt }',
          'groups:',
          "  - { name: a, count: 4, clientStages: ['1s:4', '1s:hold', '1s:0'], churn: { every: 2s, fraction: 0.5 } }",
          '  - { name: b, count: 2, clientLeave: clean, clientStages: 2s:2 }',
          '  - { name: c, count: 1 }',
        ].join('\n'),
      ),
    },
    {},
  );
  assert.deepEqual(
    options.groups.map((g) => g.comings),
    [
      {
        clientStages: [
          { durationMs: 1000, clients: 4 },
          { durationMs: 1000, clients: 4 },
          { durationMs: 1000, clients: 0 },
        ],
        clientLeave: 'abrupt',
        churn: { everyMs: 2000, fraction: 0.5, mode: 'clean' },
      },
      { clientStages: [{ durationMs: 2000, clients: 2 }], clientLeave: 'clean', churn: null },
      { clientStages: null, clientLeave: 'abrupt', churn: null },
    ],
  );
  assert.throws(
    () => resolveOptions({ scenario: scenario('groups:\n  - { name: a, count: 2, clientStages: 1s:5 }\n') }, {}),
    /groups\[0\]\.clientStages reaches 5 connected clients but there are only 2/,
  );
  assert.throws(
    () => resolveOptions({ scenario: scenario('groups:\n  - { name: a, count: 2, churn: { every: 1s } }\n') }, {}),
    /groups\[0\]\.churn needs every \(a duration\) and fraction/,
  );
});
