import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextWindow, PACING } from '../../src/session/pacing.js';

const round = (over: Partial<Parameters<typeof nextWindow>[0]>): ReturnType<typeof nextWindow> =>
  nextWindow({ window: 16, ssthresh: PACING.ssthresh, baseMs: 1, roundMinMs: 1.5, roundMeanMs: 3, losses: 0, ...over });

test('quick rounds double the window up to ssthresh, then add an eighth', () => {
  assert.deepEqual(round({ window: 16 }), { window: 32, ssthresh: 64 });
  assert.deepEqual(round({ window: 64 }), { window: 72, ssthresh: 64 });
  assert.equal(round({ window: PACING.max }).window, PACING.max, 'never past the maximum');
  // Past ssthresh the round's mean must be quick too (base 1 ms: within 7 ms).
  assert.deepEqual(round({ window: 64, roundMeanMs: 9 }), { window: 64, ssthresh: 64 });
  assert.deepEqual(
    round({ window: 16, roundMeanMs: 9 }),
    { window: 32, ssthresh: 64 },
    'doubling looks at the quickest',
  );
});

test('a round whose quickest CONNACK queued shrinks the window by a quarter; between quick and queued it doubles to 64, then holds', () => {
  // base 1 ms: quick up to 7 ms, queueing past 30 ms (the floor).
  assert.deepEqual(round({ window: 64, roundMinMs: 31 }), { window: 48, ssthresh: 64 });
  assert.deepEqual(round({ window: 64, roundMinMs: 20 }), { window: 64, ssthresh: 64 });
  assert.deepEqual(
    round({ window: 16, roundMinMs: 20 }),
    { window: 32, ssthresh: 64 },
    'a busy machine is not a queue',
  );
  // A far broker: base 50 ms, quick up to 105 ms, queueing past that.
  assert.equal(round({ window: 64, baseMs: 50, roundMinMs: 100 }).window, 72);
  assert.equal(round({ window: 64, baseMs: 50, roundMinMs: 120 }).window, 48);
  assert.equal(round({ window: 2, roundMinMs: 500 }).window, PACING.min, 'never below the minimum');
});

test('a loss (a 1 s TCP connect or CONNACK) halves the window; a round of quick refusals holds it', () => {
  assert.deepEqual(round({ window: 100, losses: 1 }), { window: 50, ssthresh: 50 });
  assert.deepEqual(
    round({ window: 20, ssthresh: 25 }),
    { window: 25, ssthresh: 25 },
    'doubling stops where a SYN was lost',
  );
  assert.deepEqual(round({ window: 100, roundMinMs: null }), { window: 100, ssthresh: PACING.ssthresh });
});
