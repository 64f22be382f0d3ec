/**
 * MQTT 5 on the subscribing and connecting side, against a spawned Mosquitto, judged by what the
 * receiving side sees: No Local, Retain As Published, Retain Handling on a resubscribe,
 * Subscription Identifiers and CONNECT properties on the wire (a capturing proxy), and refusals'
 * reason codes in the summary and the clients' status.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import mqtt from 'mqtt';
import { run, type RunEvent } from '../src/index.js';
import { CaptureProxy } from './helpers/capture-proxy.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { tempFile } from './helpers/temp.js';

const file = (t: TestContext, text: string): string => tempFile(t, 'scenario.yaml', text, 'mqtt5');

async function setup(t: TestContext, config = ''): Promise<{ broker: Mosquitto; proxy: CaptureProxy }> {
  const broker = await Mosquitto.start(config, { verbose: false });
  t.after(() => broker.stop());
  const proxy = await new CaptureProxy(broker.port).listen();
  t.after(() => proxy.close());
  return { broker, proxy };
}

/** The client id each group's clients connected with, by group name (from the captured CONNECTs). */
function idsOf(proxy: CaptureProxy, group: string): string[] {
  return proxy
    .of('connect', 'up')
    .map((c) => c.clientId)
    .filter((id) => id.includes(`-${group}-`));
}

async function retainOne(url: string, topic: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 5 });
  await client.publishAsync(topic, 'kept', { qos: 1, retain: true });
  await client.endAsync();
}

test('No Local: clients that publish and subscribe on one topic hear each other, never themselves', async (t) => {
  const { proxy } = await setup(t);
  const path = file(
    t,
    `groups:
  - name: peers
    count: 3
    threads: 0
    mqttVersion: 5
    subscribe: [{ topic: 'chat/room', qos: 1, noLocal: true }]
    publish: { topic: 'chat/room', qos: 1, rate: 50, count: 4 }
`,
  );
  const s = await run({ scenario: path, brokers: [proxy.url] });
  // Each of 3 hears the 2 others' 4 messages.
  assert.equal(s.expected, 3 * 2 * 4);
  assert.equal(s.received, 24);
  assert.equal(s.lost, 0);
  assert.equal(s.foreign, 0, 'none of its own messages came back to a client');
  assert.equal(proxy.of('publish', 'down').length, 24);
  for (const sub of proxy.of('subscribe', 'up')) assert.equal(sub.subscriptions[0]?.nl, true);
});

test('Retain As Published: live deliveries keep the retain flag only where the subscription asks', async (t) => {
  const { proxy } = await setup(t);
  const path = file(
    t,
    `groups:
  - name: keep
    count: 1
    threads: 0
    mqttVersion: 5
    subscribe: [{ topic: 'rap/x', qos: 1, retainAsPublished: true }]
  - name: plain
    count: 1
    threads: 0
    mqttVersion: 5
    subscribe: [{ topic: 'rap/x', qos: 1 }]
  - name: pub
    count: 1
    threads: 0
    mqttVersion: 5
    publish: { topic: 'rap/x', qos: 1, retain: true, rate: 50, count: 3 }
`,
  );
  const s = await run({ scenario: path, brokers: [proxy.url] });
  assert.equal(s.received, 6);
  assert.equal(s.lost, 0);
  assert.equal(s.retained, 3, 'the keep group counts its 3 deliveries as retained, the plain group none');
  const [keep] = idsOf(proxy, 'keep');
  const [plain] = idsOf(proxy, 'plain');
  assert.deepEqual(
    proxy.of('publish', 'down', keep).map((p) => p.retain),
    [true, true, true],
  );
  assert.deepEqual(
    proxy.of('publish', 'down', plain).map((p) => p.retain),
    [false, false, false],
  );
});

test('Retain Handling: 0 replays the retained message on a resubscribe, 1 only on a new subscription, 2 never', async (t) => {
  const { broker, proxy } = await setup(t);
  await retainOne(broker.url, 'rh/x');
  // Two SUBSCRIBEs of one filter (different identifiers): the second replaces the first, a resubscribe.
  const twice = (name: string, rh: number): string => `  - name: ${name}
    count: 1
    threads: 0
    mqttVersion: 5
    subscribe:
      - { topic: 'rh/x', qos: 1, subscriptionId: 1, retainHandling: ${rh} }
      - { topic: 'rh/x', qos: 1, subscriptionId: 2, retainHandling: ${rh} }
`;
  const path = file(t, `groups:\n${twice('always', 0)}${twice('new', 1)}${twice('never', 2)}`);
  const s = await run({ scenario: path, brokers: [proxy.url] });
  const replays = (group: string): number =>
    proxy.of('publish', 'down', idsOf(proxy, group)[0]).filter((p) => p.retain && p.payload.toString() === 'kept')
      .length;
  assert.equal(replays('always'), 2);
  assert.equal(replays('new'), 1);
  assert.equal(replays('never'), 0);
  // Without this run's header the replays are foreign, and counted as retained.
  assert.equal(s.foreign, 3);
  assert.equal(s.retained, 3);
});

test('Subscription Identifiers: one SUBSCRIBE per identifier, and every delivery carries its own', async (t) => {
  const { proxy } = await setup(t);
  const path = file(
    t,
    `groups:
  - name: watch
    count: 1
    threads: 0
    mqttVersion: 5
    subscribe:
      - { topic: 'sid/a', qos: 1, subscriptionId: 7 }
      - { topic: 'sid/b', qos: 1, subscriptionId: 300000 }
  - name: a
    count: 1
    threads: 0
    mqttVersion: 5
    publish: { topic: 'sid/a', qos: 1, rate: 50, count: 3 }
  - name: b
    count: 1
    threads: 0
    mqttVersion: 5
    publish: { topic: 'sid/b', qos: 1, rate: 50, count: 3 }
`,
  );
  const s = await run({ scenario: path, brokers: [proxy.url] });
  assert.equal(s.received, 6);
  assert.equal(s.lost, 0);
  const subscribes = proxy.of('subscribe', 'up');
  assert.deepEqual(
    subscribes.map((p) => [p.subscriptions.map((x) => x.topic), p.properties?.subscriptionIdentifier]),
    [
      [['sid/a'], 7],
      [['sid/b'], 300000],
    ],
  );
  const delivered = proxy.of('publish', 'down', idsOf(proxy, 'watch')[0]);
  assert.equal(delivered.length, 6);
  for (const p of delivered)
    assert.equal(p.properties?.subscriptionIdentifier, p.topic === 'sid/a' ? 7 : 300000, p.topic);
});

test('CONNECT properties on the wire: user properties, request response and problem information', async (t) => {
  const { proxy } = await setup(t);
  const path = file(
    t,
    `groups:
  - name: dev
    count: 2
    threads: 0
    mqttVersion: 5
    connect:
      userProperties: { site: plant-1, fw: 2 }
      requestResponseInformation: true
      requestProblemInformation: false
    subscribe: ['dev/{n}']
    publish: { topic: 'dev/{n}', qos: 1, rate: 50, count: 2 }
`,
  );
  const s = await run({ scenario: path, brokers: [proxy.url] });
  assert.equal(s.received, 4);
  const connects = proxy.of('connect', 'up');
  assert.equal(connects.length, 2);
  for (const c of connects) {
    assert.deepEqual({ ...c.properties?.userProperties }, { site: 'plant-1', fw: '2' });
    assert.equal(c.properties?.requestResponseInformation, true);
    assert.equal(c.properties?.requestProblemInformation, false);
  }
});

test("refusals' reason codes reach the summary and the client's status: CONNACK 0x87, not retried", async (t) => {
  const { proxy } = await setup(t, 'allow_anonymous false');
  const events: RunEvent[] = [];
  const path = file(
    t,
    `groups:\n  - name: anon\n    count: 2\n    threads: 0\n    mqttVersion: 5\n    publish: { topic: 'x/{n}', qos: 1, rate: 50, count: 2 }\n`,
  );
  const s = await run({ scenario: path, brokers: [proxy.url], onEvent: (e) => events.push(e) });
  assert.equal(s.gaveUp, 2);
  assert.deepEqual(s.reasonCodes, { 'connack not authorized (0x87)': 2 });
  const gaveUp = events.filter(
    (e): e is Extract<RunEvent, { type: 'status' }> => e.type === 'status' && e.state === 'gave-up',
  );
  assert.equal(gaveUp.length, 2);
  for (const e of gaveUp) {
    assert.equal(e.error?.code, 'CONNACK_135');
    assert.equal(e.attempts, 1);
    assert.match(e.error?.message ?? '', /not authorized, CONNACK code 135 \(0x87\)/);
  }
});

test('the MQTT 5 flags of a plain run: topic alias, message expiry, content type, subscription options', async (t) => {
  const { proxy } = await setup(t);
  const s = await run({
    brokers: [proxy.url],
    threads: 0,
    mqttVersion: '5',
    clients: 2,
    count: 3,
    rate: 50,
    qos: 1,
    topic: 'flags/{i}',
    subTopic: 'flags/+',
    topicAlias: true,
    messageExpiry: '1m',
    contentType: 'application/x-reading',
    subNoLocal: true,
    subRetainAsPublished: true,
    subRetainHandling: 2,
  });
  // Each hears the other's 3, not its own.
  assert.equal(s.expected, 6);
  assert.equal(s.received, 6);
  assert.equal(s.foreign, 0);
  for (const sub of proxy.of('subscribe', 'up'))
    assert.deepEqual(
      sub.subscriptions.map((x) => [x.topic, x.nl, x.rap, x.rh]),
      [['flags/+', true, true, 2]],
    );
  const sent = proxy.of('publish', 'up');
  assert.equal(sent.length, 6);
  for (const p of sent) {
    assert.equal(p.properties?.topicAlias, 1);
    assert.equal(p.properties?.messageExpiryInterval, 60);
    assert.equal(p.properties?.contentType, 'application/x-reading');
  }
  assert.equal(sent.filter((p) => p.topic === '').length, 4, 'each client sends its topic once, then the alias');
});
