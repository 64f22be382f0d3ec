import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Aggregate } from '../../src/metrics/aggregate.js';
import { countsIndex } from '../../src/metrics/recorder.js';
import { zeroCounters } from '../../src/metrics/counters.js';
import { zeroRequestCounts } from '../../src/metrics/round-trip.js';
import type { LaneMessage } from '../../src/protocol.js';
import { MetricsServer } from '../../src/report/prometheus.js';

type Batch = Extract<LaneMessage, { type: 'batch' }>;

const batch = (requests: Batch['requests']): Batch => ({
  type: 'batch',
  counters: zeroCounters(),
  latency: [[]],
  steps: [],
  scheduledLatency: [],
  sendLag: [],
  firstPublishAt: 0,
  lastPublishAt: 0,
  lastReceiveAt: 0,
  messages: [],
  messagesDropped: 0,
  loopDelay: null,
  reasonCodes: [],
  wills: [],
  ...(requests ? { requests } : {}),
});

test('request batches add up in the aggregate: counts, round trips exactly, stats lines, Prometheus', async (t) => {
  const agg = new Aggregate([0, 1], 1, Date.now());
  agg.onBatch(batch(undefined));
  assert.equal(agg.requests.seen, false);
  assert.equal(agg.stats(Date.now(), 0).requests, undefined, 'no request figures without requests');
  // 3 round trips of 20 ms and one of 300 ms, over two lanes' batches.
  const ms20 = countsIndex(20_000);
  agg.onBatch(batch({ ...zeroRequestCounts(), sent: 5, answered: 3, roundTrip: [ms20, 3] }));
  agg.onBatch(
    batch({ ...zeroRequestCounts(), sent: 1, answered: 1, timedOut: 1, late: 1, roundTrip: [countsIndex(300_000), 1] }),
  );
  assert.deepEqual(
    { sent: agg.requests.counts.sent, answered: agg.requests.counts.answered, timedOut: agg.requests.counts.timedOut },
    { sent: 6, answered: 4, timedOut: 1 },
  );
  assert.equal(agg.requests.roundTrip.totalCount, 4);
  const line = agg.stats(Date.now(), 1000).requests!;
  assert.deepEqual({ ...line, roundTripMs: null }, { sent: 6, answered: 4, timedOut: 1, roundTripMs: null });
  assert.ok(line.roundTripMs!.p50 >= 20 && line.roundTripMs!.p50 < 20.1, JSON.stringify(line));
  assert.equal(agg.stats(Date.now(), 2000).requests!.roundTripMs, null, 'the next interval had none');

  const server = new MetricsServer({ aggregate: agg }, { run: 'rr', mode: 'pool' });
  t.after(() => server.close());
  const text = await (await fetch(await server.listen('127.0.0.1', 0))).text();
  const metric = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
  assert.equal(metric('mqtt_fleet_requests_sent_total'), 6);
  assert.equal(metric('mqtt_fleet_requests_answered_total'), 4);
  assert.equal(metric('mqtt_fleet_requests_timed_out_total'), 1);
  assert.equal(metric('mqtt_fleet_round_trip_seconds_count'), 4);
  assert.match(text, /^mqtt_fleet_round_trip_seconds_bucket\{le="0.02",run="rr",mode="pool"\} 3$/m);
});
