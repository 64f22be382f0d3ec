/**
 * The baseline: what a Node user would write by hand with plain MQTT.js. One process, one event
 * loop, N clients; each subscribes to its own topic and publishes to it, keeping at most
 * `--window` messages unacknowledged (the same flow control as mqtt-fleet's --max-inflight),
 * or on a timer schedule at `--rate` messages/s. Latency from a timestamp in the payload, percentiles from
 * a sorted array at the end. Prints one JSON line.
 *
 *   node dist/scripts/bench/baseline.js --url mqtt://127.0.0.1:1883 --clients 20 --count 10000 --qos 0
 */
import mqtt, { type MqttClient } from 'mqtt';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    clients: { type: 'string', default: '20' },
    count: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '0' },
    qos: { type: 'string', default: '0' },
    size: { type: 'string', default: '64' },
    window: { type: 'string', default: '100' },
  },
});
const url = values.url!;
const clients = Number(values.clients);
const count = Number(values.count);
const rate = Number(values.rate);
const qos = Number(values.qos) as 0 | 1 | 2;
const size = Number(values.size);
const window = Number(values.window);

const latencies: number[] = [];
let received = 0;
let published = 0;
let lastReceiveAt = 0;
const expected = clients * count;
let resolveAll!: () => void;
const allReceived = new Promise<void>((resolve) => (resolveAll = resolve));

const started = performance.now();
const fleet: MqttClient[] = await Promise.all(
  Array.from({ length: clients }, async (_, i) => {
    const client = await mqtt.connectAsync(url, { clientId: `baseline-${process.pid}-${i}`, reconnectPeriod: 0 });
    client.on('message', (_topic, payload) => {
      const now = performance.timeOrigin + performance.now();
      latencies.push(now - payload.readDoubleLE(0));
      lastReceiveAt = now;
      if (++received === expected) resolveAll();
    });
    await client.subscribeAsync(`baseline/${i}`, { qos });
    return client;
  }),
);
const connectMs = performance.now() - started;

function payload(): Buffer {
  const buf = Buffer.alloc(size);
  buf.writeDoubleLE(performance.timeOrigin + performance.now(), 0);
  return buf;
}

function publishAll(client: MqttClient, topic: string): void {
  let sent = 0;
  let inflight = 0;
  if (rate > 0) {
    // On a schedule from the start, catching up after a late timer: setInterval alone drifts
    // (a 2 ms interval delivers about 400/s), and the load must match mqtt-fleet's.
    const interval = 1000 / rate;
    const start = performance.now();
    const tick = (): void => {
      const now = performance.now();
      while (sent < count && start + sent * interval <= now) {
        client.publish(topic, payload(), { qos });
        sent++;
        published++;
      }
      if (sent < count) setTimeout(tick, start + sent * interval - performance.now());
    };
    tick();
    return;
  }
  const next = (): void => {
    while (inflight < window && sent < count) {
      inflight++;
      sent++;
      published++;
      client.publish(topic, payload(), { qos }, () => {
        inflight--;
        // QoS 0 calls back synchronously from inside publish(); the loop above carries on then.
        if (!pumping) pump();
      });
    }
  };
  let pumping = false;
  const pump = (): void => {
    pumping = true;
    next();
    pumping = false;
  };
  pump();
}

const publishStart = performance.timeOrigin + performance.now();
fleet.forEach((client, i) => publishAll(client, `baseline/${i}`));
const timeout = setTimeout(() => resolveAll(), Math.max(30_000, rate > 0 ? (count / rate) * 1000 + 10_000 : 0));
await allReceived;
clearTimeout(timeout);
await Promise.all(fleet.map((c) => c.endAsync()));

latencies.sort((a, b) => a - b);
const at = (p: number): number =>
  Math.round((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0) * 1000) / 1000;
const durationMs = lastReceiveAt - publishStart;
console.log(
  JSON.stringify({
    type: 'baseline',
    clients,
    qos,
    planned: expected,
    published,
    received,
    connectMs: Math.round(connectMs),
    durationMs: Math.round(durationMs),
    receivedPerSec: Math.round((received * 1000) / durationMs),
    latencyMs: { p50: at(50), p99: at(99), p999: at(99.9), max: at(100) },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
