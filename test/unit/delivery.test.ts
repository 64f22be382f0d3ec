import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stream } from '../helpers/streams.js';
import { accountDelivery } from '../../src/metrics/delivery.js';
import { hearingRanges, hears, plannedMessages, publishingWindowMs, publishPlan } from '../../src/metrics/planned.js';
import { clientOfSource, sourceId } from '../../src/mqtt/payload.js';
import { sentFrom, Timeline } from '../../src/metrics/timeline.js';
import { SubscriptionWindows } from '../../src/metrics/windows.js';
import type { GroupProfile } from '../../src/group.js';
import type { PublisherFinal, SubscriberFinal } from '../../src/protocol.js';
import { allowedShortfall, shortfallOf } from '../../src/report/shortfall.js';
import { at } from '../../src/mqtt/checked.js';

/** The time the timeline's line gives message `seq`. */
function interpolate(points: readonly number[], seq: number): number {
  for (let n = 2; n < points.length; n += 2) {
    if (seq <= at(points, n)) {
      const [s0, t0, s1, t1] = [at(points, n - 2), at(points, n - 1), at(points, n), at(points, n + 1)];
      return t0 + ((seq - s0) * (t1 - t0)) / (s1 - s0);
    }
  }
  return at(points, 1);
}

function checkWithin(times: readonly number[], timeline: Timeline): { points: number; errorMs: number } {
  const { points, errorMs } = timeline.final();
  for (let seq = 0; seq < times.length; seq++) {
    const off = Math.abs(interpolate(points, seq) - at(times, seq));
    assert.ok(off <= errorMs + 1e-6, `seq ${seq}: ${off} ms from its send time, bound ${errorMs}`);
  }
  for (let n = 3; n < points.length; n += 2)
    assert.ok(at(points, n) >= at(points, n - 2), 'never earlier than the point before');
  return { points: points.length / 2, errorMs };
}

test('a send timeline: a publisher on schedule costs two points; a pause one or two more; every send time within the bound', () => {
  let seed = 5;
  const jitter = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1.5;
  const onSchedule = new Timeline();
  const times: number[] = [];
  for (let seq = 0; seq < 36_000; seq++) times.push(1e12 + seq * 100 + jitter()); // an hour at 10 msg/s
  times.forEach((t, seq) => onSchedule.add(seq, t));
  assert.deepEqual(checkWithin(times, onSchedule), { points: 2, errorMs: 2 });

  // Offline for 5 s at seq 500, then a catch-up burst of 50 messages, then on schedule again.
  const paused = new Timeline();
  const withPause: number[] = [];
  for (let seq = 0; seq < 2000; seq++) {
    const due = 1e12 + seq * 100;
    withPause.push(seq < 500 ? due : seq < 550 ? 1e12 + 55_000 + (seq - 500) * 0.05 : Math.max(due, 1e12 + 55_003));
  }
  withPause.forEach((t, seq) => paused.add(seq, t));
  const { points } = checkWithin(withPause, paused);
  assert.ok(points <= 6, `${points} points`);
  assert.equal(sentFrom(paused.final().points, 1e12 + 52_000), 500, 'nothing was sent while offline');
  assert.equal(sentFrom(paused.final().points, 1e12 + 49_950), 500);
});

test('a send timeline stays bounded whatever the timing: at most 256 points, every message within the (grown) bound', () => {
  let seed = 9;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const timeline = new Timeline();
  const times: number[] = [];
  let t = 1e12;
  for (let seq = 0; seq < 100_000; seq++) {
    t += random() < 0.1 ? random() * 50 : random() * 0.1; // bursts and stalls at random
    times.push(t);
    timeline.add(seq, t);
  }
  const { points, errorMs } = checkWithin(times, timeline);
  assert.ok(points <= 256, `${points} points`);
  assert.ok(errorMs > 2 && errorMs < 5000, `error bound ${errorMs} ms`);
});

test('sentFrom inverts the timeline: the first message sent at or after a time', () => {
  const line = [0, 1000, 10, 1100]; // seq 0..10, 10 ms apart
  assert.equal(sentFrom(line, 0), 0);
  assert.equal(sentFrom(line, 1000), 0);
  assert.equal(sentFrom(line, 1000.5), 1);
  assert.equal(sentFrom(line, 1050), 5);
  assert.equal(sentFrom(line, 1100), 10);
  assert.equal(sentFrom(line, 1100.1), 11);
  const burst = [0, 1000, 99, 1000, 100, 2000]; // 100 at once, then one a second later
  assert.equal(sentFrom(burst, 1000), 0);
  assert.equal(sentFrom(burst, 1000.01), 100);
  assert.equal(sentFrom(burst, 2000.01), 101);
});

test('subscription windows: clean sessions close at a drop; a resumed persistent session spans it; bounded', () => {
  const clean = new SubscriptionWindows();
  clean.subscribed(100, false);
  clean.closedAt(200);
  clean.subscribed(300, false);
  assert.deepEqual(clean.final(400), [100, 200, 300, 400]);
  const persistent = new SubscriptionWindows();
  persistent.subscribed(100, false);
  persistent.closedAt(200);
  persistent.subscribed(300, true);
  persistent.closedAt(350);
  assert.deepEqual(persistent.final(400), [100, 350], 'the broker queued while it was away; it left at 350');
  const lostSession = new SubscriptionWindows();
  lostSession.subscribed(100, false);
  lostSession.closedAt(200);
  lostSession.subscribed(300, false);
  assert.deepEqual(lostSession.final(400), [100, 200, 300, 400], 'no session present: the gap was not subscribed');
  const flapping = new SubscriptionWindows();
  for (let n = 0; n < 10_000; n++) {
    flapping.subscribed(n * 10, false);
    flapping.closedAt(n * 10 + (n % 7 === 0 ? 9 : 5));
  }
  const w = flapping.final(1e6);
  assert.ok(w.length <= 2 * 257, `${w.length / 2} windows`);
  assert.equal(w[0], 0);
  assert.equal(w.at(-1), 99_995);
});

/** A publisher that sent `published` messages 10 ms apart from t = 1000. */
function paced(client: number, published: number, unacked: number[] = []): PublisherFinal {
  return {
    client,
    published,
    unacked,
    timeline: [0, 1000, published - 1, 1000 + (published - 1) * 10],
    timelineErrorMs: 0,
  };
}

const sub = (client: number, windows: number[], key = `c:${client}`, transitMs = 0): SubscriberFinal => ({
  client,
  key,
  windows,
  transitMs,
});

test('a message sent while its subscriber was not subscribed is counted apart, not lost; one sent while it was is lost or in flight', () => {
  // Publisher 0 sends seq 0..99 at t = 1000 + 10 seq. Subscriber 1 was subscribed over [1000, 1300) and
  // [1600, 3000): it could not get seq 30..59. It also missed 10 (lost) and 80 (unacknowledged: in flight);
  // 45, unacknowledged too, is in flight although it was sent while nobody was subscribed: its fate is unknown.
  const seen = Array.from({ length: 100 }, (_, n) => n)
    .filter((n) => n < 30 || n >= 60)
    .filter((n) => n !== 10 && n !== 80);
  const d = accountDelivery(
    new Map([['c:1', [0]]]),
    new Map([[0, paced(0, 100, [80, 45])]]),
    [stream(1, 0, seen)],
    true,
    [sub(1, [1000, 1300, 1600, 3000])],
  );
  assert.deepEqual(d, {
    expected: 100,
    unique: 68,
    lost: 1,
    inFlight: 2,
    unsubscribed: 29,
    duplicates: 0,
    outOfOrder: 0,
  });
  // Without windows (results of an older mqtt-fleet), as before: all of it lost or in flight.
  const old = accountDelivery(
    new Map([['c:1', [0]]]),
    new Map([[0, paced(0, 100, [80, 45])]]),
    [stream(1, 0, seen)],
    true,
    null,
  );
  assert.deepEqual([old.lost, old.inFlight, old.unsubscribed], [30, 2, 0]);
  // A subscriber that subscribed only after everything was sent, and one that never did.
  const late = accountDelivery(
    new Map([
      ['c:1', [0]],
      ['c:2', [0]],
    ]),
    new Map([[0, paced(0, 100)]]),
    [],
    true,
    [sub(1, [5000, 6000]), sub(2, [])],
  );
  assert.deepEqual([late.expected, late.lost, late.unsubscribed], [200, 0, 200]);
});

test('at window edges the benefit of the doubt goes to the broker: the timeline error at both edges, the transit time at the end', () => {
  const seen = Array.from({ length: 100 }, (_, n) => n).filter((n) => n < 50);
  const publishers = new Map([[0, { ...paced(0, 100), timelineErrorMs: 15 }]]);
  // Subscribed until 1500 (seq 50 was sent then): seq 50 is within the timeline's error of the edge.
  const d = accountDelivery(new Map([['c:1', [0]]]), publishers, [stream(1, 0, seen)], true, [
    sub(1, [900, 1500, 1700, 3000]),
  ]);
  // Back from 1700 (+15 ms: seq 72 on): 50..71 not subscribed, 72..99 lost.
  assert.deepEqual([d.unsubscribed, d.lost], [22, 28]);
  // A subscriber whose messages took up to 100 ms: seq 40..49 sent in its last 100 ms may have been on their way.
  const transit = accountDelivery(
    new Map([['c:1', [0]]]),
    new Map([[0, paced(0, 60)]]),
    [
      stream(
        1,
        0,
        Array.from({ length: 40 }, (_, n) => n),
      ),
    ],
    true,
    [sub(1, [900, 1500], 'c:1', 100)],
  );
  assert.deepEqual([transit.unsubscribed, transit.lost], [20, 0]);
  const short = accountDelivery(
    new Map([['c:1', [0]]]),
    new Map([[0, paced(0, 60)]]),
    [
      stream(
        1,
        0,
        Array.from({ length: 40 }, (_, n) => n),
      ),
    ],
    true,
    [sub(1, [900, 1500], 'c:1', 5)],
  );
  assert.deepEqual([short.unsubscribed, short.lost], [10, 10]);
});

test('a shared subscription is subscribed while any member is; streams and numbers outside the plan are not accounted for', () => {
  const key = 'share:default:$share/g/t';
  const seen = Array.from({ length: 100 }, (_, n) => n).filter((n) => n < 20 || n >= 70);
  const members = [sub(1, [900, 1200], key), sub(2, [1150, 1400], key), sub(3, [1800, 3000], key)];
  const d = accountDelivery(
    new Map([[key, [0]]]),
    new Map([[0, paced(0, 100)]]),
    [stream(1, 0, seen, key)],
    true,
    members,
  );
  // Nobody was subscribed over [1400, 1800): seq 40..79; 20..39 were sent while someone was: lost.
  assert.deepEqual([d.lost, d.unsubscribed, d.unique], [20, 30, 50]);
  // A stream the plan does not expect (publisher 7) and numbers past what publisher 0 sent (a forged header).
  const forged = accountDelivery(
    new Map([['c:1', [0]]]),
    new Map([[0, paced(0, 10)]]),
    [stream(1, 0, [...Array.from({ length: 10 }, (_, n) => n), 500, 501]), stream(1, 7, [0, 5, 9])],
    true,
    null,
  );
  assert.deepEqual(forged, {
    expected: 10,
    unique: 10,
    lost: 0,
    inFlight: 0,
    unsubscribed: 0,
    duplicates: 0,
    outOfOrder: 0,
  });
});

const group = (first: number, count: number, publish: Partial<GroupProfile['publish']> | null): GroupProfile =>
  ({
    first,
    count,
    publish: publish && { rate: 10, count: undefined, durationMs: undefined, stages: null, ...publish },
  }) as unknown as GroupProfile;

test("a receiver's publishers by the plan, in compact form: one range per group; numbers bounded by each plan", () => {
  const groups = [
    group(0, 1000, { count: 50 }),
    group(1000, 1000, { rate: 20, durationMs: 3000 }),
    group(2000, 10, null),
  ];
  assert.deepEqual(publishPlan(at(groups, 0).publish), { planned: 50, bound: 50 });
  assert.deepEqual(publishPlan(at(groups, 1).publish), { planned: 60, bound: 61 });
  assert.deepEqual(publishPlan({ ...at(groups, 1).publish!, count: 40 }), { planned: 40, bound: 40 });
  const all = Array.from({ length: 2000 }, (_, i) => i);
  const ranges = hearingRanges(all, groups);
  assert.deepEqual(ranges, [0, 1000, 50, 1000, 2000, 61], 'two triples for 2000 publishers');
  assert.ok(
    hears(ranges, 0, 49) &&
      !hears(ranges, 0, 50) &&
      hears(ranges, 1999, 60) &&
      !hears(ranges, 2000, 0) &&
      !hears(ranges, 2 ** 32 - 1, 0),
  );
  const some = hearingRanges([5, 3, 4, 9, 1500], groups);
  assert.deepEqual(some, [3, 6, 50, 9, 10, 50, 1500, 1501, 61]);
  assert.ok(!hears(some, 6, 0) && !hears(some, 8, 0) && hears(some, 9, 0) && !hears([], 0, 0));
});

test('shortfall: materially fewer published or acknowledged than planned fails the run; a message per publisher either way does not', () => {
  const base = {
    gaveUp: 0,
    failed: 0,
    qos: 1 as const,
    lost: 0,
    planned: 300,
    publishers: 2,
    published: 300,
    acked: 300,
  };
  assert.deepEqual(shortfallOf(base), []);
  assert.equal(allowedShortfall(300, 2), 3);
  assert.deepEqual(shortfallOf({ ...base, published: 297, acked: 297 }), [], 'within 1% and a message per publisher');
  assert.deepEqual(
    shortfallOf({ ...base, planned: 2000, publishers: 20, published: 1980, acked: 1980 }),
    [],
    'a paced run: each of 20 publishers a message short',
  );
  assert.deepEqual(
    shortfallOf({ ...base, published: 40, acked: 0 }),
    ['unpublished', 'unacknowledged'],
    'a broker that never acknowledges',
  );
  assert.deepEqual(shortfallOf({ ...base, planned: 200_000, publishers: 20, published: 141_302, acked: 141_302 }), [
    'unpublished',
    'unacknowledged',
  ]);
  assert.deepEqual(shortfallOf({ ...base, acked: 250 }), ['unacknowledged']);
  assert.deepEqual(shortfallOf({ ...base, gaveUp: 1, failed: 2, lost: 3 }), ['gave-up', 'failed', 'lost']);
  assert.deepEqual(shortfallOf({ ...base, qos: 0, lost: 3 }), [], 'QoS 0 promises nothing');
});

test("a client's streams are publishers of their own: each stream's numbers bounded by its own plan, planned counts summed", () => {
  const plan = (p: Partial<NonNullable<GroupProfile['publish']>>): NonNullable<GroupProfile['publish']> =>
    ({ rate: 10, count: undefined, durationMs: undefined, stages: null, phase: 'spread', ...p }) as NonNullable<
      GroupProfile['publish']
    >;
  const streams = [plan({ count: 20 }), plan({ count: 4 }), plan({ rate: 2, durationMs: 3000 })];
  const groups = [
    { first: 0, count: 3, publish: streams[0], streams, comings: { clientStages: null } } as unknown as GroupProfile,
  ];
  const sources = [0, 1, 2].flatMap((c) => [0, 1, 2].map((k) => sourceId(c, k)));
  const ranges = hearingRanges(sources, groups);
  assert.deepEqual(ranges, [0, 3, 20, 2 ** 24, 2 ** 24 + 3, 4, 2 ** 25, 2 ** 25 + 3, 7]);
  assert.ok(hears(ranges, 2, 19) && !hears(ranges, 2, 20));
  assert.ok(hears(ranges, sourceId(1, 1), 3) && !hears(ranges, sourceId(1, 1), 4), 'stream 1 has its own bound');
  assert.ok(!hears(ranges, sourceId(3, 1), 0), 'no client 3');
  assert.equal(clientOfSource(sourceId(7, 2)), 7);
  assert.equal(plannedMessages(groups, [0, 1, 2]), 3 * (20 + 4 + 6));
  assert.equal(publishingWindowMs(groups), 3000 + 500, 'the longest stream, with a period of phase');
});
