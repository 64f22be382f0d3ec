import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import hdr from 'hdr-histogram-js';
import { run } from '../src/index.js';
import { summarizeLatency } from '../src/metrics/histogram.js';
import { STEPS } from '../src/metrics/steps.js';
import { aedesForTest } from './helpers/aedes.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { MiniBroker } from './helpers/mini-broker.js';
import { tempDir } from './helpers/temp.js';

test('publish to PUBACK: a broker whose PUBACKs arrive 50 ms late has its ack latency p50 at 50 ms or more, while messages arrive at once', async (t) => {
  const broker = await aedesForTest(t);
  const proxy = await new FaultProxy(broker.port, 'acks', () => 'forward').listen();
  t.after(() => proxy.close());
  proxy.delay = { cmd: 'puback', ms: 50 };
  const summary = await run({
    brokers: [proxy.url],
    clients: 2,
    count: 20,
    rate: 20,
    qos: 1,
    threads: 0,
    runId: 'acks',
  });
  assert.equal(summary.exitCode, 0);
  const { pubackMs, pubcompMs, connackMs, subackMs, tcpConnectMs, tlsHandshakeMs, reconnectMs } = summary.steps;
  assert.equal(pubackMs.count, 40, 'one per acknowledged message');
  assert.equal(proxy.delayed, 40);
  assert.ok(pubackMs.p50 >= 50, `puback p50 ${pubackMs.p50} ms`);
  assert.ok(summary.latencyMs.p50 < 50, `message latency p50 ${summary.latencyMs.p50} ms: deliveries were not held`);
  assert.equal(pubcompMs.count, 0, 'no QoS 2 here');
  assert.equal(connackMs.count, 2);
  assert.equal(subackMs.count, 2);
  assert.equal(tcpConnectMs.count, 2);
  assert.equal(tlsHandshakeMs.count, 0, 'no TLS on mqtt://');
  assert.equal(reconnectMs.count, 0);
});

test('CONNECT to CONNACK: a listener that answers after 200 ms has CONNACK p50 at 200 ms or more', async (t) => {
  const broker = await new MiniBroker({ connackDelayMs: 200 }).listen();
  t.after(() => broker.close());
  const summary = await run({ brokers: [broker.url], clients: 3, count: 2, rate: 20, qos: 0, threads: 2 });
  assert.equal(summary.exitCode, 0);
  const { connackMs, tcpConnectMs } = summary.steps;
  assert.equal(connackMs.count, 3);
  assert.ok(connackMs.p50 >= 200, `connack p50 ${connackMs.p50} ms`);
  assert.equal(tcpConnectMs.count, 3);
});

test('drop to next CONNACK: a connection cut mid-run is back within one reconnect, timed; stats lines carry the connect rate', async (t) => {
  const broker = await aedesForTest(t);
  // Cut the subscriber's connection before its fifth delivery, once.
  let cut = false;
  const proxy = await new FaultProxy(broker.port, 'drops', (_id, _d, nth) => {
    if (cut || nth < 4) return 'forward';
    cut = true;
    return 'cut';
  }).listen();
  t.after(() => proxy.close());
  let connects = 0;
  const summary = await run({
    brokers: [proxy.url],
    clients: 1,
    count: 40,
    rate: 40,
    qos: 1,
    threads: 0,
    runId: 'drops',
    reconnectDelay: '50ms',
    statsInterval: '100ms',
    onEvent: (e) => {
      if (e.type === 'stats') connects += e.connectsPerSec / 10;
    },
  });
  assert.equal(summary.reconnects, 1);
  const { reconnectMs, connackMs } = summary.steps;
  assert.equal(reconnectMs.count, 1);
  assert.ok(reconnectMs.max >= 50, `reconnect ${reconnectMs.max} ms includes the 50 ms reconnect delay`);
  assert.equal(connackMs.count, 2);
  assert.ok(Math.round(connects) >= 1, `connects over the stats lines: ${connects}`);
});

test('--out hdr= writes every histogram in HdrHistogram log format; its intervals decode and add up to the summary', async (t) => {
  const broker = await aedesForTest(t);
  const file = join(tempDir(t, 'hdr'), 'run.hlog');
  const summary = await run({
    brokers: [broker.url],
    clients: 3,
    count: 30,
    rate: 50,
    qos: 2,
    threads: 2,
    statsInterval: '100ms',
    out: [`hdr=${file}`],
  });
  assert.equal(summary.exitCode, 0);
  const text = readFileSync(file, 'utf8');
  assert.match(
    text,
    /^#\[Histogram log format version 1\.3\]\n#\[StartTime: \d+\.\d{3} \(seconds since epoch\), [^\]]+\]\n#\[BaseTime: \d+\.\d{3} \(seconds since epoch\)\]\n/,
  );
  assert.match(text, /^"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"$/m);
  const reader = new hdr.HistogramLogReader(text);
  const totals = new Map<string, ReturnType<typeof hdr.build>>();
  let intervals = 0;
  for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
    intervals++;
    const tag = h.tag;
    if (!totals.has(tag))
      totals.set(
        tag,
        hdr.build({
          bitBucketSize: 32,
          autoResize: true,
          lowestDiscernibleValue: 1,
          highestTrackableValue: 3_600_000_000,
          numberOfSignificantValueDigits: 3,
        }),
      );
    totals.get(tag)!.add(h);
  }
  assert.ok(intervals > 3, `${intervals} interval lines`);
  const figures = (tag: string) => {
    const h = totals.get(tag);
    assert.ok(h, `the log has ${tag}`);
    const { count, p50, p90, p99, p999, max } = summarizeLatency(h);
    return { count, p50, p90, p99, p999, max };
  };
  const pick = ({ count, p50, p90, p99, p999, max }: typeof summary.latencyMs) => ({ count, p50, p90, p99, p999, max });
  assert.deepEqual(figures('latency'), pick(summary.latencyMs));
  assert.equal(summary.latencyMs.count, 3 * 30);
  for (const step of STEPS) {
    const s = summary.steps[`${step}Ms`];
    if (s.count === 0) assert.equal(totals.has(`step.${step}`), false, `no ${step} lines`);
    else assert.deepEqual(figures(`step.${step}`), pick(s), step);
  }
  assert.equal(summary.steps.pubcompMs.count, 90);
  for (const h of totals.values()) h.destroy();
});
