import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Progress } from '../../src/report/progress.js';
import type { StatsLine } from '../../src/metrics/stats-line.js';
import { publishingWindowMs } from '../../src/metrics/planned.js';
import { resolveOptions } from '../../src/index.js';

/** A terminal that keeps what was drawn on it. */
function terminal(): { stream: NodeJS.WriteStream; last: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: 200 });
  return { stream, last: () => text.split('\r\x1b[K').at(-1) ?? '' };
}

const stats = (t: number, published: number): StatsLine =>
  ({
    type: 'stats',
    t,
    connected: 2,
    reconnecting: 0,
    gaveUp: 0,
    failed: 0,
    published,
    received: published,
    publishedPerSec: 10,
    receivedPerSec: 10,
    latencyMs: null,
  }) as unknown as StatsLine;

test('the progress line counts down the planned publishing time, then says it is draining', () => {
  const window = publishingWindowMs(
    resolveOptions({ clients: 2, rate: 10, duration: '10s', phase: 'together' }).groups,
  );
  assert.equal(window, 10_000);
  const { stream, last } = terminal();
  const progress = new Progress(stream, 2, window);
  progress.onEvent(stats(1000, 0));
  assert.doesNotMatch(last(), /left/, 'nothing to count down before publishing starts');
  progress.onEvent(stats(2000, 10)); // publishing began about 1.5 s in
  assert.match(last(), /· ~10 s left$/);
  progress.onEvent(stats(7000, 110));
  assert.match(last(), /· ~5 s left$/);
  progress.onEvent(stats(12_000, 200));
  assert.match(last(), /· draining$/);
});

test('no ETA where the plan has no end in time (unpaced counts)', () => {
  assert.equal(publishingWindowMs(resolveOptions({ clients: 2, rate: 0, count: 100 }).groups), null);
  // A count at a rate ends when the count is sent; spread adds up to one period of phase.
  assert.equal(publishingWindowMs(resolveOptions({ clients: 2, rate: 10, count: 50 }).groups), 5100);
});
