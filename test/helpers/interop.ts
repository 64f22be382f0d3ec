import mqtt from 'mqtt';
import { run } from '../../src/index.js';

/** One feature, tried against a broker: `yes`, or `no` with what happened. */
export type Outcome = 'yes' | `no: ${string}`;

const ok = (cond: boolean, why: string): Outcome => (cond ? 'yes' : `no: ${why}`);

async function guard(f: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await f();
  } catch (err) {
    return `no: ${err instanceof Error ? err.message : String(err)}`.slice(0, 80) as Outcome;
  }
}

/** The features the README's broker table lists, each measured with a small real run. */
export const FEATURES: Record<string, (url: string) => Promise<Outcome>> = {
  'QoS 0': (url) => guard(async () => {
    const s = await run({ brokers: [url], clients: 3, count: 20, rate: 100, qos: 0, threads: 0 });
    return ok(s.received === 60, `${s.received}/60 received`);
  }),
  'QoS 1': (url) => guard(async () => {
    const s = await run({ brokers: [url], clients: 3, count: 20, rate: 100, qos: 1, threads: 0 });
    return ok(s.received - s.duplicates === 60 && s.lost === 0, `${s.lost} lost, ${s.gaveUp} gave up`);
  }),
  'QoS 2': (url) => guard(async () => {
    const s = await run({ brokers: [url], clients: 3, count: 20, rate: 100, qos: 2, threads: 0, reconnectAttempts: 1 });
    return ok(s.received === 60 && s.duplicates === 0 && s.gaveUp === 0, s.gaveUp ? 'connection refused or closed' : `${s.lost} lost, ${s.duplicates} duplicates`);
  }),
  'retained messages': (url) => guard(async () => {
    const topic = `interop/retained/${Date.now()}`;
    await run({ brokers: [url], clients: 2, count: 1, qos: 1, retain: true, topic: `${topic}/{i}`, subTopic: '', threads: 0 });
    const later = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    let replayed = 0;
    const both = new Promise<void>((resolve) => {
      later.on('message', (_t, _p, packet) => packet.retain && ++replayed === 2 && resolve());
      setTimeout(resolve, 3000);
    });
    await later.subscribeAsync(`${topic}/+`, { qos: 1 });
    await both;
    await later.endAsync();
    return ok(replayed === 2, `${replayed}/2 replayed within 3 s`);
  }),
  'will messages': (url) => guard(async () => {
    const topic = `interop/will/${Date.now()}`;
    const watcher = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    await watcher.subscribeAsync(topic, { qos: 1 });
    const got = new Promise<boolean>((resolve) => {
      watcher.on('message', () => resolve(true));
      setTimeout(() => resolve(false), 3000);
    });
    const doomed = await mqtt.connectAsync(url, { reconnectPeriod: 0, will: { topic, payload: Buffer.from('gone'), qos: 1, retain: false } });
    doomed.stream.destroy(); // no DISCONNECT: the broker must publish the will
    const fired = await got;
    await watcher.endAsync();
    return ok(fired, 'no will within 3 s');
  }),
  'MQTT 5': (url) => guard(async () => {
    const s = await run({ brokers: [url], clients: 2, count: 10, rate: 100, qos: 1, threads: 0, mqttVersion: '5', reconnectAttempts: 1 });
    return ok(s.received === 20 && s.gaveUp === 0, s.gaveUp ? 'connection refused' : `${s.received}/20 received`);
  }),
  'shared subscriptions': (url) => guard(async () => {
    const s = await run({ brokers: [url], clients: 3, count: 20, rate: 100, qos: 1, threads: 0, topic: 'interop/share/{i}', subTopic: '$share/g/interop/share/+' });
    return ok(s.expected === 60 && s.received === 60 && s.duplicates === 0, `${s.received} deliveries for 60 messages`);
  }),
};
