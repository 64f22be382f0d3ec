/**
 * MQTT 5 on the publishing side, against a spawned Mosquitto, judged by what the receiving side
 * sees: topic aliases on the wire (read by a capturing proxy), message expiry of a queued message,
 * publish properties as a subscriber gets them, and the broker's Maximum Packet Size honoured.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import mqtt, { type IPublishPacket } from 'mqtt';
import { run, type RunEvent } from '../src/index.js';
import { CaptureProxy } from './helpers/capture-proxy.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { tempFile } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';

const file = (t: TestContext, text: string): string => tempFile(t, 'scenario.yaml', text, 'mqtt5');

async function mosquitto(t: TestContext, config = ''): Promise<Mosquitto> {
  const broker = await Mosquitto.start(config, { verbose: false });
  t.after(() => broker.stop());
  return broker;
}

async function proxyTo(t: TestContext, broker: Mosquitto): Promise<CaptureProxy> {
  const proxy = await new CaptureProxy(broker.port).listen();
  t.after(() => proxy.close());
  return proxy;
}

/** An MQTT 5 client of the test's own, connected straight to the broker. */
async function watcher(t: TestContext, url: string, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 5, ...options });
  t.after(() => client.end(true));
  return client;
}

/** Resolves once `n` messages have arrived on `client`, with their packets, in order. */
function collect(client: mqtt.MqttClient, n: number): { packets: IPublishPacket[]; all: Promise<IPublishPacket[]> } {
  const packets: IPublishPacket[] = [];
  const all = new Promise<IPublishPacket[]>((resolve) =>
    client.on('message', (_topic, _payload, packet) => {
      packets.push(packet);
      if (packets.length === n) resolve(packets);
    }),
  );
  return { packets, all };
}

const scenario = (group: string): string =>
  `groups:\n  - name: g\n    threads: 0\n    mqttVersion: 5\n${group
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n`;

// Each test has a Mosquitto of its own and mostly waits (an expiry, a queue): side by side.
describe('MQTT 5 publishing', { concurrency: true }, () => {
  test('topic aliases: after its first publish each client sends the empty topic and its alias; every message arrives', async (t) => {
    const broker = await mosquitto(t);
    const proxy = await proxyTo(t, broker);
    const path = file(
      t,
      scenario(`
count: 2
subscribe: ['alias/{n}']
publish: { topic: 'alias/{n}', qos: 1, rate: 100, count: 5, topicAlias: true }`),
    );
    const s = await run({ scenario: path, brokers: [proxy.url] });
    assert.equal(s.published, 10);
    assert.equal(s.received, 10);
    assert.equal(s.lost, 0);
    const connacks = proxy.of('connack', 'down');
    // Mosquitto's default max_topic_alias: 10.
    assert.deepEqual(
      connacks.map((c) => c.properties?.topicAliasMaximum),
      [10, 10],
    );
    for (const connect of proxy.of('connect', 'up')) {
      const sent = proxy.of('publish', 'up', connect.clientId);
      assert.equal(sent.length, 5);
      const [first, ...rest] = sent;
      assert.match(first!.topic, /^alias\/[01]$/);
      assert.equal(first!.properties?.topicAlias, 1);
      for (const p of rest) {
        assert.equal(p.topic, '', 'the alias stands for the topic');
        assert.equal(p.properties?.topicAlias, 1);
      }
      // What the subscriber got: the full topic, every time (the broker resolved the alias).
      for (const p of proxy.of('publish', 'down', connect.clientId)) assert.equal(p.topic, first!.topic);
    }
  });

  test('topic aliases: a broker whose Topic Alias Maximum is 0 gets the full topic on every publish', async (t) => {
    const broker = await mosquitto(t, 'max_topic_alias 0');
    const proxy = await proxyTo(t, broker);
    const path = file(
      t,
      scenario(`
count: 1
subscribe: ['noalias/{n}']
publish: { topic: 'noalias/{n}', qos: 1, rate: 100, count: 4, topicAlias: true }`),
    );
    const s = await run({ scenario: path, brokers: [proxy.url] });
    assert.equal(s.received, 4);
    assert.equal(s.lost, 0);
    const sent = proxy.of('publish', 'up');
    assert.equal(sent.length, 4);
    for (const p of sent) {
      assert.equal(p.topic, 'noalias/0');
      assert.equal(p.properties?.topicAlias, undefined);
    }
  });

  test('message expiry: a queued message past its expiry is never delivered, one within it is', async (t) => {
    const broker = await mosquitto(t);
    // A persistent session, offline while the fleet publishes: the broker queues for it.
    const options = { clientId: 'expiry-watcher', clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, protocolVersion: 5, ...options });
    await first.subscribeAsync('expiry/#', { qos: 1 });
    await first.endAsync();
    const publish = (topic: string, expiry: string): Promise<unknown> =>
      run({
        scenario: file(
          t,
          scenario(`
count: 1
publish: { topic: '${topic}', qos: 1, rate: 0, count: 3, properties: { messageExpiry: ${expiry} } }`),
        ),
        brokers: [broker.url],
      });
    await publish('expiry/short', '1s');
    await publish('expiry/long', '5m');
    // The feature is time: the short ones' second must pass while they wait in the queue.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    // Listening before the CONNACK: a resumed session's queue comes right behind it.
    const back = mqtt.connect(broker.url, { reconnectPeriod: 0, protocolVersion: 5, ...options });
    t.after(() => back.end(true));
    const { packets, all } = collect(back, 3);
    await withTimeout(all, 10_000, 'the three queued messages within their expiry');
    // Queued in order: the expired ones would have come first.
    assert.deepEqual(
      packets.map((p) => p.topic),
      ['expiry/long', 'expiry/long', 'expiry/long'],
    );
    // The broker forwards what is left of the interval [MQTT-3.3.2-6].
    for (const p of packets) {
      const left = p.properties?.messageExpiryInterval ?? 0;
      assert.ok(left > 290 && left <= 300, `expiry left: ${left}`);
    }
  });

  test('publish properties reach the subscriber: content type, payload format, response topic, correlation data, user properties', async (t) => {
    const broker = await mosquitto(t);
    const sub = await watcher(t, broker.url);
    await sub.subscribeAsync('props/#', { qos: 1 });
    const { all } = collect(sub, 4);
    const path = file(
      t,
      scenario(`
count: 2
publish:
  topic: 'props/{n}'
  qos: 1
  rate: 0
  count: 2
  payload: '{"n":{n},"seq":{seq}}'
  properties:
    contentType: application/json
    payloadFormat: utf8
    responseTopic: 'replies/{id}'
    correlationData: order-42
    userProperties: { site: plant-1 }`),
    );
    const s = await run({ scenario: path, brokers: [broker.url] });
    assert.equal(s.published, 4);
    assert.deepEqual(s.reasonCodes, {});
    const packets = await withTimeout(all, 10_000, 'four messages');
    for (const p of packets) {
      const props = p.properties!;
      assert.equal(props.contentType, 'application/json');
      assert.equal(props.payloadFormatIndicator, true);
      assert.match(props.responseTopic!, /^replies\/mqtt-fleet-.*-g-[01]$/);
      assert.match(props.responseTopic!, new RegExp(`-${p.topic.slice(-1)}$`), 'rendered for its own client');
      assert.equal(props.correlationData?.toString(), 'order-42');
      assert.equal(props.userProperties?.site, 'plant-1');
      assert.match(p.payload.toString(), /^\{"n":[01],"seq":[01]\}$/);
    }
  });

  test("the broker's Maximum Packet Size is honoured: a client whose messages would exceed it sends none and says why", async (t) => {
    const broker = await mosquitto(t, 'max_packet_size 300');
    const proxy = await proxyTo(t, broker);
    const events: RunEvent[] = [];
    const over = await run({
      scenario: file(t, scenario(`count: 2\npublish: { topic: 'big/{n}', qos: 1, rate: 0, count: 5, size: 400 }`)),
      brokers: [proxy.url],
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual(
      proxy.of('connack', 'down').map((c) => c.properties?.maximumPacketSize),
      [300, 300],
    );
    assert.equal(proxy.of('publish', 'up').length, 0, 'nothing over the limit went out');
    assert.equal(over.published, 0);
    assert.equal(over.failed, 2);
    const errors = events.flatMap((e) => (e.type === 'status' && e.state === 'failed' ? [e.error?.message] : []));
    assert.equal(errors.length, 2);
    for (const message of errors)
      assert.match(
        message!,
        /^not sent: a message of 4\d\d bytes \(payload 400\) is over the broker's Maximum Packet Size of 300 bytes/,
      );
    // Exactly at the limit: sent and delivered.
    const fits = await run({
      scenario: file(
        t,
        scenario(
          `count: 1\nsubscribe: ['fit/{n}']\npublish: { topic: 'fit/{n}', qos: 1, rate: 0, count: 5, size: 287 }`,
        ),
      ),
      brokers: [proxy.url],
    });
    // 287 bytes of payload + 2 + 5 of topic + 2 of packet id + 1 of (no) properties: 297 remaining, 300 in all.
    assert.equal(fits.received, 5);
    assert.equal(fits.failed, 0);
  });

  test("a payload template rendered over the broker's Maximum Packet Size fails the client before it is sent", async (t) => {
    const broker = await mosquitto(t, 'max_packet_size 200');
    const proxy = await proxyTo(t, broker);
    const events: RunEvent[] = [];
    const s = await run({
      scenario: file(
        t,
        scenario(`count: 1\npublish: { topic: 'tpl/{n}', qos: 1, rate: 0, count: 3, payload: '{rand:120}' }`),
      ),
      brokers: [proxy.url],
      onEvent: (e) => events.push(e),
    });
    assert.equal(s.failed, 1);
    assert.equal(proxy.of('publish', 'up').length, 0);
    const failed = events.find((e) => e.type === 'status' && e.state === 'failed');
    assert.match(
      failed?.type === 'status' ? (failed.error?.message ?? '') : '',
      /^not sent: a message of \d+ bytes \(payload 240\) is over the broker's Maximum Packet Size of 200 bytes/,
    );
  });
});
