import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stream } from '../helpers/streams.js';
import { accountDelivery } from '../../src/metrics/delivery.js';
import {
  addEncoded,
  encodeHistogram,
  meanOf,
  newHistogram,
  recordMicros,
  summarizeLatency,
} from '../../src/metrics/histogram.js';
import { SeqTracker } from '../../src/metrics/sequence.js';
import type { PublisherFinal } from '../../src/protocol.js';

test('a tracker counts distinct, duplicate and out-of-order numbers and finds gaps', () => {
  const s = new SeqTracker();
  for (const seq of [0, 1, 2, 5, 3, 3, 9, 1, 1000]) s.record(seq);
  assert.equal(s.received, 7);
  assert.equal(s.duplicates, 2);
  assert.equal(s.outOfOrder, 1); // 3 after 5
  assert.equal(s.lowest, 0);
  assert.equal(s.highest, 1000);
  assert.deepEqual(s.missingRanges(), [4, 5, 6, 9, 10, 1000]);
});

/** A publisher's final without a send timeline: accounted as always subscribed. */
function pub(client: number, published: number, unacked: number[] = []): PublisherFinal {
  return { client, published, unacked, timeline: [], timelineErrorMs: 0 };
}

test('delivery accounting: gaps are lost if acknowledged, in flight if not; tails count too', () => {
  const expected = new Map([
    ['c:0', [0]],
    ['c:1', [0]],
    ['c:2', [1]],
  ]);
  const publishers = new Map([
    [0, pub(0, 10, [9])],
    [1, pub(1, 4)],
  ]);
  const streams = [
    stream(0, 0, [0, 1, 2, 3, 4, 5, 6, 7, 8]), // 9 unacked, missing: in flight
    stream(1, 0, [0, 2, 2, 3, 5, 4, 6, 7]), // 1 lost, 8 lost (acked), 9 in flight
    // subscriber 2 heard nothing from publisher 1: all 4 lost
  ];
  const d = accountDelivery(expected, publishers, streams, true);
  assert.deepEqual(d, {
    expected: 24,
    unique: 16,
    lost: 6,
    inFlight: 2,
    unsubscribed: 0,
    duplicates: 1,
    outOfOrder: 1,
  });
});

test('without a barrier a stream counts from the first number its subscriber saw', () => {
  const d = accountDelivery(
    new Map([['c:0', [0]]]),
    new Map([[0, pub(0, 10)]]),
    [stream(0, 0, [4, 5, 6, 7, 8, 9])],
    false,
  );
  assert.equal(d.lost, 0);
  assert.equal(d.expected, 6);
});

test('histograms merged from encoded parts equal one histogram of everything', () => {
  const whole = newHistogram();
  const merged = newHistogram();
  for (let part = 0; part < 4; part++) {
    const h = newHistogram();
    for (let n = 1; n <= 1000; n++) {
      const us = n * (part + 1) * 7;
      recordMicros(h, us);
      recordMicros(whole, us);
    }
    addEncoded(merged, encodeHistogram(h));
  }
  assert.deepEqual(summarizeLatency(merged), summarizeLatency(whole));
  assert.equal(summarizeLatency(merged).count, 4000);
  assert.ok(Math.abs(summarizeLatency(merged).max - 28) < 0.03);
});

test("a histogram's mean read off its counts is hdr-histogram-js's own, to the bit", () => {
  let seed = 11;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const empty = newHistogram();
  assert.equal(meanOf(empty), 0);
  assert.equal(summarizeLatency(empty).mean, 0);
  for (let h = 0; h < 60; h++) {
    const histogram = newHistogram();
    // From a few microseconds to an hour: every bucket size, and the highest trackable value.
    const scale = 10 ** (h % 10);
    for (let n = 0, count = 1 + Math.floor(random() * 3000); n < count; n++) recordMicros(histogram, random() * scale);
    if (h % 6 === 0) recordMicros(histogram, 3_600_000_000);
    assert.equal(meanOf(histogram), histogram.mean, `histogram ${h}`);
    assert.equal(summarizeLatency(histogram).mean, Math.round((histogram.mean / 1000) * 1000) / 1000);
  }
});

test('worker-side recorder counts add into the main HDR histogram exactly', async () => {
  const { LatencyRecorder } = await import('../../src/metrics/recorder.js');
  const { addCounts } = await import('../../src/metrics/histogram.js');
  const direct = newHistogram();
  const viaRecorder = newHistogram();
  const recorder = new LatencyRecorder();
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let n = 0; n < 50_000; n++) {
    const us = Math.floor(Math.exp(random() * Math.log(3e9))) + (n % 3);
    recordMicros(direct, us);
    recorder.record(us);
    if (n % 10_000 === 0) addCounts(viaRecorder, recorder.drain());
  }
  addCounts(viaRecorder, recorder.drain());
  assert.deepEqual(summarizeLatency(viaRecorder), summarizeLatency(direct));
  for (const p of [1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) {
    assert.equal(viaRecorder.getValueAtPercentile(p), direct.getValueAtPercentile(p), `p${p}`);
  }
  assert.deepEqual(recorder.drain(), []);
});

test('interval percentiles agree with the HDR histogram of the same counts', async () => {
  const { LatencyRecorder, IntervalLatency } = await import('../../src/metrics/recorder.js');
  const { addCounts } = await import('../../src/metrics/histogram.js');
  const recorder = new LatencyRecorder();
  for (let n = 1; n <= 20_000; n++) recorder.record((n * 7919) % 250_000);
  const pairs = recorder.drain();
  const hdr = newHistogram();
  addCounts(hdr, pairs);
  const interval = new IntervalLatency();
  interval.add(pairs.slice(0, 200));
  interval.add(pairs.slice(200));
  assert.deepEqual(
    interval.percentiles([50, 90, 99, 100]),
    [50, 90, 99, 100].map((p) => hdr.getValueAtPercentile(p)),
  );
});

test('a shared subscription: its members together see each message once; overlaps are duplicates, gaps are lost', () => {
  const key = 'share:default:$share/g/t';
  const expected = new Map([[key, [0]]]);
  const publishers = new Map([[0, pub(0, 12)]]);
  const streams = [stream(1, 0, [0, 2, 4, 6, 8, 10], key), stream(2, 0, [1, 3, 5, 7, 9], key), stream(3, 0, [4], key)];
  const d = accountDelivery(expected, publishers, streams, true);
  assert.deepEqual(d, {
    expected: 12,
    unique: 11,
    lost: 1,
    inFlight: 0,
    unsubscribed: 0,
    duplicates: 1,
    outOfOrder: 0,
  });
});

test('a tracker agrees with a plain set on random input, across chunk boundaries', () => {
  let seed = 11;
  const random = (n: number): number => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
  for (let round = 0; round < 20; round++) checkAgainstSet(Array.from({ length: 300 }, () => random(5000)));
});

/** What a tracker must say of `input`, from a plain set. */
function checkAgainstSet(input: number[]): void {
  const s = new SeqTracker();
  const seen = new Set<number>();
  let highest = -1;
  let duplicates = 0;
  let outOfOrder = 0;
  for (const seq of input) {
    const first = !seen.has(seq);
    if (!first) duplicates++;
    else {
      if (seq < highest) outOfOrder++;
      highest = Math.max(highest, seq);
      seen.add(seq);
    }
    assert.equal(s.record(seq), first, `record(${seq})`);
    assert.ok(s.has(seq));
  }
  // The gaps between the numbers seen, in order (not number by number: one input goes up to 2^32).
  const missing: number[] = [];
  let next = 0;
  for (const seq of [...seen].sort((x, y) => x - y)) {
    if (seq > next) missing.push(next, seq);
    next = seq + 1;
  }
  assert.deepEqual(s.missingRanges(), missing);
  assert.deepEqual(
    [s.received, s.duplicates, s.outOfOrder, s.highest, s.lowest],
    [seen.size, duplicates, outOfOrder, highest, Math.min(...seen)],
  );
  assert.equal(s.has(highest + 1), false);
}

test('a run in order, across chunk boundaries, then each way of breaking it: the same figures as a plain set', () => {
  const run = Array.from({ length: 2400 }, (_, i) => 700 + i); // 700..3099: chunks 0 to 3
  checkAgainstSet(run);
  checkAgainstSet([...run, 1500]); // a duplicate inside the run
  checkAgainstSet([...run, 3099, 3100]); // a duplicate of its end, then the run goes on
  checkAgainstSet([...run, 3105, 3100, 3101]); // a gap, then filled in part
  checkAgainstSet([...run, 699, 5, 3100]); // below the run, then on
  checkAgainstSet([...run, 2 ** 32 - 1, 3100]); // a forged number near 2^32
  checkAgainstSet([1023, 1024, 1025, 1023, 0]); // a run over one boundary, a duplicate, then below
});
