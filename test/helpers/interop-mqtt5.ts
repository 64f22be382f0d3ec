import type { TestContext } from 'node:test';
import mqtt, { type IPublishPacket } from 'mqtt';
import { CaptureProxy } from './capture-proxy.js';
import {
  allGaveUp,
  CAUSES,
  measure,
  unexpected,
  within,
  type FeatureCheck,
  type Measured,
  type Outcome,
} from './interop.js';
import { tempFile } from './temp.js';

/**
 * The README broker table's MQTT 5 rows: each feature tried with a small scenario run and judged
 * from what the receiving side saw (a capturing proxy, or an MQTT.js client of the check's own).
 * A broker without MQTT 5 refuses every client at its CONNACK; that, and only that, is a known "no".
 */

/** A run of one scenario (its text written to a temp file for the run, removed with the test's), through `url`. */
async function scenarioRun(
  t: TestContext,
  url: string,
  text: string,
  options: Parameters<typeof measure>[0] = {},
): Promise<Measured> {
  const path = tempFile(t, 'scenario.yaml', text, 'interop');
  return await measure({ scenario: path, brokers: [url], reconnectAttempts: 1, ...options });
}

/** One MQTT 5 group of the check's, as scenario text. */
const v5 = (name: string, body: string): string =>
  `  - name: ${name}\n    threads: 0\n    mqttVersion: 5\n${body
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n`;

/** A run every client of which was refused for its protocol version: the broker has no MQTT 5. */
function noMqtt5(m: Measured): boolean {
  return allGaveUp(
    m,
    m.summary.clients,
    /^broker refused the connection: unacceptable protocol version, CONNACK code 1;/,
  );
}

/** Through a capturing proxy in front of the broker at `url` (always on loopback in these checks). */
async function withProxy(url: string, use: (proxy: CaptureProxy) => Promise<Outcome>): Promise<Outcome> {
  const proxy = await new CaptureProxy(Number(new URL(url).port)).listen();
  try {
    return await use(proxy);
  } finally {
    await proxy.close();
  }
}

/** An MQTT 5 client of the check's own; null when the broker refuses MQTT 5. */
async function ownClient(url: string, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient | null> {
  try {
    return await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 5, ...options });
  } catch {
    return null;
  }
}

function nextMessages(client: mqtt.MqttClient, n: number): { packets: IPublishPacket[]; all: Promise<void> } {
  const packets: IPublishPacket[] = [];
  const all = new Promise<void>((resolve) =>
    client.on('message', (_t, _p, packet) => {
      packets.push(packet);
      if (packets.length === n) resolve();
    }),
  );
  return { packets, all };
}

const stamp = (): string => String(Date.now());

export const MQTT5_FEATURES: Record<string, FeatureCheck> = {
  'MQTT 5 topic aliases': (url, t) =>
    withProxy(url, async (proxy) => {
      const topic = `interop/alias/${stamp()}`;
      const m = await scenarioRun(
        t,
        proxy.url,
        `groups:\n${v5('a', `count: 1\nsubscribe: ['${topic}']\npublish: { topic: '${topic}', qos: 1, rate: 100, count: 5, topicAlias: true }`)}`,
      );
      if (noMqtt5(m)) return `no: ${CAUSES.protocolVersion}`;
      const sent = proxy.of('publish', 'up');
      const aliased = sent.slice(1).every((p) => p.topic === '' && p.properties?.topicAlias === 1);
      return m.summary.received === 5 && sent.length === 5 && aliased ? 'yes' : unexpected(m, 'topic aliases');
    }),
  'MQTT 5 message expiry': async (url, t) => {
    const id = `interop-expiry-${stamp()}`;
    const options = { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } };
    const first = await ownClient(url, options);
    if (first === null) {
      const m = await scenarioRun(t, url, `groups:\n${v5('e', `count: 1\npublish: { topic: 'x', qos: 1, count: 1 }`)}`);
      return noMqtt5(m) ? `no: ${CAUSES.protocolVersion}` : unexpected(m, 'an MQTT 5 client of its own was refused');
    }
    const topic = `interop/expiry/${id}`;
    await first.subscribeAsync(`${topic}/#`, { qos: 1 });
    await first.endAsync();
    const publish = (sub: string, expiry: string): Promise<Measured> =>
      scenarioRun(
        t,
        url,
        `groups:\n${v5('e', `count: 1\npublish: { topic: '${topic}/${sub}', qos: 1, rate: 0, count: 2, properties: { messageExpiry: ${expiry} } }`)}`,
      );
    const short = await publish('short', '1s');
    const long = await publish('long', '1m');
    if (short.summary.published !== 2 || long.summary.published !== 2) return unexpected(short, 'publishing');
    // Expiry is time: the short ones' second passes while they wait in the session's queue.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    // Listening before the CONNACK: the resumed session's queue comes right behind it.
    const back = mqtt.connect(url, { reconnectPeriod: 0, protocolVersion: 5, ...options });
    try {
      const { packets, all } = nextMessages(back, 2);
      await within(all, 5000);
      const topics = packets.map((p) => p.topic.slice(topic.length + 1));
      return topics.join(',') === 'long,long'
        ? 'yes'
        : `no: unexpected: queued messages delivered: ${topics.join(',')}`;
    } finally {
      back.end(true);
    }
  },
  'MQTT 5 publish properties (content type, payload format, response topic, correlation data)': async (url, t) => {
    const topic = `interop/props/${stamp()}`;
    const watcher = await ownClient(url);
    try {
      const text = `groups:\n${v5('p', `count: 1\npublish: { topic: '${topic}', qos: 1, rate: 0, count: 2, payload: 'hello {seq}', properties: { contentType: text/plain, payloadFormat: utf8, responseTopic: 'replies/{n}', correlationData: c-1 } }`)}`;
      if (watcher === null) {
        const m = await scenarioRun(t, url, text);
        return noMqtt5(m) ? `no: ${CAUSES.protocolVersion}` : unexpected(m, 'an MQTT 5 client of its own was refused');
      }
      await watcher.subscribeAsync(topic, { qos: 1 });
      const { packets, all } = nextMessages(watcher, 2);
      const m = await scenarioRun(t, url, text);
      await within(all, 3000);
      const ok = packets.every((p) => {
        const q = p.properties;
        return (
          q?.contentType === 'text/plain' &&
          q.payloadFormatIndicator === true &&
          q.responseTopic === 'replies/0' &&
          q.correlationData?.toString() === 'c-1'
        );
      });
      return packets.length === 2 && ok
        ? 'yes'
        : unexpected(m, `the subscriber saw ${JSON.stringify(packets.map((p) => p.properties))}`);
    } finally {
      await watcher?.endAsync();
    }
  },
  'MQTT 5 CONNECT user properties, request response information': async (url, t) => {
    const m = await scenarioRun(
      t,
      url,
      `groups:\n${v5('c', `count: 2\nconnect: { userProperties: { site: s1 }, requestResponseInformation: true, requestProblemInformation: false }\nsubscribe: ['interop/connect/${stamp()}/{n}']\npublish: { topic: 'interop/connect/${stamp()}/{n}', qos: 1, rate: 100, count: 5 }`)}`,
    );
    if (noMqtt5(m)) return `no: ${CAUSES.protocolVersion}`;
    return m.summary.received === 10 && m.summary.gaveUp === 0 ? 'yes' : unexpected(m, 'CONNECT properties');
  },
  'MQTT 5 No Local': async (url, t) => {
    const topic = `interop/nolocal/${stamp()}`;
    const m = await scenarioRun(
      t,
      url,
      `groups:\n${v5('n', `count: 2\nsubscribe: [{ topic: '${topic}', qos: 1, noLocal: true }]\npublish: { topic: '${topic}', qos: 1, rate: 100, count: 5 }`)}`,
    );
    if (noMqtt5(m)) return `no: ${CAUSES.protocolVersion}`;
    const s = m.summary;
    return s.expected === 10 && s.received === 10 && s.foreign === 0 ? 'yes' : unexpected(m, 'No Local');
  },
  'MQTT 5 Retain As Published': async (url, t) => {
    const topic = `interop/rap/${stamp()}`;
    const m = await scenarioRun(
      t,
      url,
      `groups:\n${v5('keep', `count: 1\nsubscribe: [{ topic: '${topic}', qos: 1, retainAsPublished: true }]`)}${v5('pub', `count: 1\npublish: { topic: '${topic}', qos: 1, retain: true, rate: 100, count: 3 }`)}`,
    );
    if (noMqtt5(m)) return `no: ${CAUSES.protocolVersion}`;
    const s = m.summary;
    return s.received === 3 && s.retained === 3 ? 'yes' : unexpected(m, `Retain As Published, retained ${s.retained}`);
  },
  'MQTT 5 Retain Handling': async (url, t) => {
    const topic = `interop/rh/${stamp()}`;
    const seed = await ownClient(url);
    const twice = (name: string, rh: number): string =>
      v5(
        name,
        `count: 1\nsubscribe:\n  - { topic: '${topic}', qos: 1, subscriptionId: 1, retainHandling: ${rh} }\n  - { topic: '${topic}', qos: 1, subscriptionId: 2, retainHandling: ${rh} }`,
      );
    const text = `groups:\n${twice('always', 0)}${twice('new', 1)}${twice('never', 2)}`;
    if (seed === null) {
      const m = await scenarioRun(t, url, text);
      return noMqtt5(m) ? `no: ${CAUSES.protocolVersion}` : unexpected(m, 'an MQTT 5 client of its own was refused');
    }
    await seed.publishAsync(topic, 'kept', { qos: 1, retain: true });
    await seed.endAsync();
    return withProxy(url, async (proxy) => {
      const m = await scenarioRun(t, proxy.url, text);
      const replays = (group: string): number => {
        const id = proxy.of('connect', 'up').find((c) => c.clientId.includes(`-${group}-`))?.clientId;
        return proxy.of('publish', 'down', id).filter((p) => p.retain).length;
      };
      const seen = [replays('always'), replays('new'), replays('never')];
      return seen.join(',') === '2,1,0' ? 'yes' : unexpected(m, `retained replays (0, 1, 2): ${seen.join(', ')}`);
    });
  },
  'MQTT 5 subscription identifiers': (url, t) =>
    withProxy(url, async (proxy) => {
      const topic = `interop/sid/${stamp()}`;
      const m = await scenarioRun(
        t,
        proxy.url,
        `groups:\n${v5('w', `count: 1\nsubscribe: [{ topic: '${topic}', qos: 1, subscriptionId: 42 }]`)}${v5('p', `count: 1\npublish: { topic: '${topic}', qos: 1, rate: 100, count: 3 }`)}`,
      );
      if (noMqtt5(m)) return `no: ${CAUSES.protocolVersion}`;
      const delivered = proxy.of('publish', 'down');
      const tagged = delivered.every((p) => p.properties?.subscriptionIdentifier === 42);
      return m.summary.received === 3 && delivered.length === 3 && tagged
        ? 'yes'
        : unexpected(m, 'subscription identifiers');
    }),
  "MQTT 5 the client's Maximum Packet Size honoured by the broker": async (url, t) => {
    // The fleet's subscriber accepts at most 2 KiB. Once it is subscribed, a client of the check's
    // own publishes three 4 KiB messages to its topic: a compliant broker drops them for it
    // [MQTT-3.1.2-25] rather than send what the client said it cannot take (which would drop its
    // connection). The fleet's own small messages, published after, all arrive.
    const topic = `interop/maxpacket/${stamp()}`;
    const big = await ownClient(url);
    const sent: Promise<unknown>[] = [];
    try {
      const m = await scenarioRun(
        t,
        url,
        `groups:\n${v5('small', `count: 1\nsubscribe: ['${topic}']`)}${v5('pub', `count: 1\npublish: { topic: '${topic}', qos: 1, rate: 20, count: 3, size: 64 }`)}`,
        {
          maxPacketSize: '2kib',
          onStatus: (client, state) => {
            if (client === 0 && state === 'ready' && big !== null)
              for (let n = 0; n < 3; n++) sent.push(big.publishAsync(topic, Buffer.alloc(4096), { qos: 1 }));
          },
        },
      );
      if (noMqtt5(m)) return `no: ${CAUSES.protocolVersion}`;
      await Promise.all(sent);
      const s = m.summary;
      const ok =
        sent.length === 3 && s.received === 3 && s.foreign === 0 && s.reconnects === 0 && m.errors.length === 0;
      return ok ? 'yes' : unexpected(m, `the maximum packet size (${sent.length} big messages sent)`);
    } finally {
      await big?.endAsync();
    }
  },
};
