import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, type RunEvent, type StatusLine } from '../src/index.js';
import { HostileBroker } from './helpers/hostile.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { runForTest } from './helpers/run.js';
import { withTimeout } from './helpers/wait.js';
import { at } from '../src/mqtt/checked.js';

const collect = (into: StatusLine[]) => (e: RunEvent) => e.type === 'status' && into.push(e);
const trail = (statuses: StatusLine[], client: number): string[] =>
  statuses
    .filter((s) => s.client === client && s.state !== 'ready' && s.state !== 'published')
    .map((s) => `${s.state}${s.attempt ? ` ${s.attempt}/${s.of}` : ''}`);

test("bytes that are not MQTT after CONNACK and SUBACK end the connection with the parser's error: disconnected, then the reconnect round", async (t) => {
  const broker = await HostileBroker.garbageAfterSuback();
  t.after(() => broker.close());
  const statuses: StatusLine[] = [];
  // A connect timeout far longer than the test's: nothing may wait for a timeout to notice.
  const summary = await withTimeout(
    runForTest(t, {
      brokers: [broker.url],
      clients: 1,
      count: 5,
      rate: 50,
      reconnectDelay: '50ms',
      connectTimeout: '5m',
      threads: 0,
      runId: 'junk',
      onEvent: collect(statuses),
    }),
    20_000,
    'the run to end',
  );
  const drops = statuses.filter((s) => s.state === 'disconnected');
  assert.ok(drops.length > 0, `the connection was ended: ${JSON.stringify(trail(statuses, 0))}`);
  t.diagnostic(`disconnected: ${at(drops, 0).error?.message}`);
  // mqtt-packet's own words for 'H', the first byte of "HTTP/1.1 400 ...".
  for (const drop of drops)
    assert.match(drop.error!.message, /Invalid header flag bits, must be 0x0 for puback packet/);
  // Every connection got the same garbage right after its CONNACK: each cost an attempt of the round.
  assert.deepEqual(trail(statuses, 0), [
    'connecting 1/3',
    'connected',
    'disconnected',
    'reconnecting 2/3',
    'connected',
    'disconnected',
    'reconnecting 3/3',
    'connected',
    'disconnected',
    'gave-up',
  ]);
  assert.equal(broker.connections, 3);
  assert.match(statuses.at(-1)!.error!.message, /Invalid header flag bits/);
  assert.equal(summary.exitCode, 1);
});

/** Resident memory of this process (and so of its worker threads), in MB. */
const rssMb = (): number => process.memoryUsage.rss() / 2 ** 20;

for (const version of [4, 5] as const) {
  test(`MQTT ${version === 4 ? '3.1.1' : '5'}: a PUBLISH announcing 200 MB is refused from its fixed header; the connection ends at once and memory stays flat`, async (t) => {
    const announced = 200_000_000;
    const broker = await HostileBroker.hugePublish(announced);
    t.after(() => broker.close());
    const statuses: StatusLine[] = [];
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 5);
    t.after(() => clearInterval(sampler));
    global.gc?.();
    const before = rssMb();
    const started = Date.now();
    const summary = await withTimeout(
      runForTest(t, {
        brokers: [broker.url],
        clients: 1,
        count: 5,
        rate: 50,
        reconnectDelay: '50ms',
        mqttVersion: version,
        threads: 0,
        runId: `huge${version}`,
        onEvent: collect(statuses),
      }),
      30_000,
      'the run to end',
    );
    clearInterval(sampler);
    const after = rssMb();
    t.diagnostic(
      `${broker.connections} connections, ${(broker.bytesSent / 2 ** 20).toFixed(1)} MB of the announced ${announced / 1e6} MB written by the broker in all, ` +
        `${Date.now() - started} ms; RSS before ${before.toFixed(1)} MB, peak ${peak.toFixed(1)} MB, after ${after.toFixed(1)} MB`,
    );
    const drop = statuses.find((s) => s.state === 'disconnected')!;
    assert.equal(drop.error?.code, 'PACKET_TOO_LARGE');
    assert.match(
      drop.error.message,
      /^the broker sent a packet of 200,000,005 bytes, over the maximum packet size of 1,048,576 \(--max-packet-size\)$/,
    );
    // Each connection read little more than the socket's buffers before it was ended.
    assert.ok(
      broker.bytesSent < broker.connections * 16 * 2 ** 20,
      `the client stopped reading: ${broker.bytesSent} bytes written`,
    );
    assert.ok(peak - before < 64, `RSS grew by ${(peak - before).toFixed(1)} MB`);
    // The oversize packet arrives right after SUBACK, on every connection: a round's worth, then gave-up.
    assert.equal(broker.connections, 3);
    assert.equal(summary.gaveUp, 1);
    if (version === 5) {
      // MQTT 5: the limit is announced in CONNECT, so a compliant broker never sends more [MQTT-3.1.2-24].
      assert.equal(at(broker.connects, 0).properties?.maximumPacketSize, 1_048_576);
    }
  });
}

test('--max-packet-size is announced in the MQTT 5 CONNECT as given', async (t) => {
  const broker = await HostileBroker.acceptThenClose();
  t.after(() => broker.close());
  await run({
    brokers: [broker.url],
    clients: 1,
    count: 1,
    reconnectAttempts: 1,
    mqttVersion: 5,
    maxPacketSize: '2mib',
    threads: 0,
  });
  assert.equal(at(broker.connects, 0).properties?.maximumPacketSize, 2 * 2 ** 20);
});

for (const version of ['3.1.1', '5'] as const) {
  test(`MQTT ${version}: --size 1mb runs through a real Mosquitto within the default limit`, async (t) => {
    const mosquitto = await Mosquitto.start('', { verbose: false });
    t.after(() => mosquitto.stop());
    const summary = await run({
      brokers: [mosquitto.url],
      clients: 2,
      count: 5,
      rate: 20,
      size: '1mb',
      qos: 1,
      mqttVersion: version,
      threads: 0,
    });
    assert.equal(summary.received, 10);
    assert.equal(summary.lost, 0);
    assert.equal(summary.exitCode, 0);
  });
}
