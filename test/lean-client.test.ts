import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { IConnackPacket, IPublishPacket, Packet } from 'mqtt-packet';
import { createClient, type TransportOptions } from '../src/session/transport.js';
import { LeanClient } from '../src/session/lean-client.js';
import { refusalOf } from '../src/mqtt/refusal.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { aedesForTest } from './helpers/aedes.js';
import { runForTest } from './helpers/run.js';
import { Condition, onceWithin, withTimeout } from './helpers/wait.js';
import { ClientEmitter } from './helpers/client-emitter.js';

const WAIT_MS = 10_000;

/** A lean client whose calls (ClientEvents) come as events on `events`. */
type Lean = LeanClient & { readonly events: ClientEmitter };

/** A lean client as the session makes it (session/transport.ts), ended when the test ends. */
async function lean(t: TestContext, url: string, options: TransportOptions): Promise<Lean> {
  const events = new ClientEmitter();
  const made = await createClient(
    url,
    { connectTimeout: 5000, keepalive: 60, clean: true, ...options },
    1 << 20,
    events,
    undefined,
    undefined,
    true,
  );
  assert.ok(made instanceof LeanClient, 'createClient(..., lean) makes a LeanClient');
  const client = made as Lean;
  // As the session does: a connection's error (a reset after our DISCONNECT, say) is reported and
  // its close follows; without a listener EventEmitter would throw it out of the test.
  events.on('error', (err: Error) => t.diagnostic(`lean client error: ${err.message}`));
  t.after(() => new Promise<void>((resolve) => client.end(true, () => resolve())));
  return client;
}

async function connected(client: Lean): Promise<IConnackPacket> {
  const connack = onceWithin(client.events, 'connect', WAIT_MS);
  client.connect();
  return (await connack)[0] as IConnackPacket;
}

/** Every message a client receives, as `qos:payload`, and a wait for a count of them. */
function inbox(client: Lean): { got: string[]; until: (n: number, what: string) => Promise<void> } {
  const got: string[] = [];
  const changed = new Condition();
  client.events.on('message', (_topic: string, payload: Buffer, packet: IPublishPacket) => {
    got.push(`${packet.qos}:${payload.toString()}`);
    changed.notify();
  });
  return { got, until: (n, what) => changed.until(() => got.length >= n, WAIT_MS, what) };
}

function publishAsync(
  client: LeanClient,
  topic: string,
  payload: string,
  qos: 0 | 1 | 2,
  properties?: object,
): Promise<Packet | undefined> {
  return new Promise((resolve, reject) =>
    client.publish(topic, payload, { qos, ...(properties ? { properties } : {}) }, (err, packet) =>
      err ? reject(err) : resolve(packet),
    ),
  );
}

/** Each of two clients publishes N messages at each QoS to the other; each gets exactly those, once, at their QoS. */
async function exchange(t: TestContext, url: string, protocolVersion: 4 | 5, tag: string): Promise<void> {
  const n = 30;
  const a = await lean(t, url, { clientId: `lean-${tag}-a`, protocolVersion });
  const b = await lean(t, url, { clientId: `lean-${tag}-b`, protocolVersion });
  await connected(a);
  await connected(b);
  const inA = inbox(a);
  const inB = inbox(b);
  await a.subscribeAsync({ [`lean/${tag}/a`]: { qos: 2 } });
  await b.subscribeAsync({ [`lean/${tag}/b`]: { qos: 2 } });
  const expected: string[] = [];
  // Ten in flight per client at a time: Mosquitto drops QoS 2 messages past its in-flight quota (20).
  for (const qos of [0, 1, 2] as const)
    for (let i = 0; i < n; i += 10) {
      const sent: Promise<unknown>[] = [];
      for (let j = i; j < i + 10; j++) {
        expected.push(`${qos}:${qos}-${j}`);
        sent.push(
          publishAsync(a, `lean/${tag}/b`, `${qos}-${j}`, qos),
          publishAsync(b, `lean/${tag}/a`, `${qos}-${j}`, qos),
        );
      }
      await withTimeout(Promise.all(sent), WAIT_MS, 'every publish to be acknowledged');
    }
  assert.deepEqual(Object.keys(a.outgoing), [], 'nothing outstanding once acknowledged');
  // A QoS 1 marker after them all: once it is in, anything sent before it is too (one publisher, one topic: in order).
  await publishAsync(a, `lean/${tag}/b`, 'end', 1);
  await publishAsync(b, `lean/${tag}/a`, 'end', 1);
  await inA.until(3 * n + 1, 'a to receive everything');
  await inB.until(3 * n + 1, 'b to receive everything');
  for (const box of [inA, inB]) assert.deepEqual([...box.got].sort(), [...expected, '1:end'].sort());
}

test('QoS 0, 1 and 2 both ways with exact accounting: Mosquitto (MQTT 3.1.1 and 5) and Aedes', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const aedes = await aedesForTest(t);
  await exchange(t, mosquitto.url, 4, 'm4');
  await exchange(t, mosquitto.url, 5, 'm5');
  await exchange(t, aedes.url, 4, 'a4');
});

test('MQTT 5: CONNACK properties, publish properties both ways, acknowledgement and refusal reason codes', async (t) => {
  const mosquitto = await Mosquitto.start('max_packet_size 2000', { verbose: false });
  t.after(() => mosquitto.stop());
  const a = await lean(t, mosquitto.url, {
    clientId: 'lean-p-a',
    protocolVersion: 5,
    properties: { maximumPacketSize: 1 << 20 },
  });
  const connack = await connected(a);
  assert.equal(
    connack.properties?.maximumPacketSize,
    2000,
    "the broker's Maximum Packet Size, from CONNACK properties",
  );
  const messages: IPublishPacket[] = [];
  const changed = new Condition();
  a.events.on('message', (_topic: string, _payload: Buffer, packet: IPublishPacket) => {
    messages.push(packet);
    changed.notify();
  });
  await a.subscribeAsync({ 'lean/p': { qos: 1 } });
  const properties = {
    userProperties: { k: 'v' },
    contentType: 'text/x-lean',
    correlationData: Buffer.from([1, 2, 3]),
    responseTopic: 'lean/p/reply',
  };
  await publishAsync(a, 'lean/p', 'with properties', 1, properties);
  await changed.until(() => messages.length > 0, WAIT_MS, 'the message with properties');
  const [got] = messages;
  assert.ok(got);
  assert.deepEqual({ ...got.properties?.userProperties }, { k: 'v' });
  assert.equal(got.properties?.contentType, 'text/x-lean');
  assert.deepEqual(got.properties?.correlationData, Buffer.from([1, 2, 3]));
  assert.equal(got.properties?.responseTopic, 'lean/p/reply');
  // Nobody subscribes to this topic: Mosquitto acknowledges with 0x10, no matching subscribers (not an error).
  const ack = await publishAsync(a, 'lean/nobody', 'x', 1);
  assert.equal((ack as { reasonCode?: number }).reasonCode, 0x10);
  // Over the broker's Maximum Packet Size: it closes the connection, with DISCONNECT 0x95 (packet
  // too large) when that reaches us before the reset does.
  const codes: number[] = [];
  const errors: string[] = [];
  let closed = false;
  a.events.on('disconnect', (packet: { reasonCode?: number }) => codes.push(packet.reasonCode ?? 0));
  a.events.on('error', (err: Error & { code?: unknown }) => errors.push(String(err.code)));
  a.events.on('close', () => {
    closed = true;
    changed.notify();
  });
  a.publish('lean/p', Buffer.alloc(4000), { qos: 0 });
  await changed.until(() => closed, WAIT_MS, 'the broker to close the connection');
  assert.ok(
    codes.every((code) => code === 0x95),
    `DISCONNECT reason codes ${codes.join()}`,
  );
  assert.ok(
    errors.every((code) => code === 'ECONNRESET'),
    `errors ${errors.join()}`,
  );
  assert.equal(a.connected, false);
  // A CONNACK refusal carries its code, as MQTT.js's error does (mqtt/refusal.ts reads it).
  const closedBroker = await Mosquitto.start('allow_anonymous false', { verbose: false });
  t.after(() => closedBroker.stop());
  for (const protocolVersion of [4, 5] as const) {
    const refused = await lean(t, closedBroker.url, { clientId: `lean-refused-${protocolVersion}`, protocolVersion });
    const error = onceWithin(refused.events, 'error', WAIT_MS);
    refused.connect();
    const [err] = await error;
    const refusal = refusalOf(err, protocolVersion);
    assert.deepEqual(refusal && { code: refusal.code, permanent: refusal.permanent }, {
      code: protocolVersion === 5 ? 0x87 : 5,
      permanent: true,
    });
    await onceWithin(refused.events, 'close', WAIT_MS).catch(() => undefined);
    assert.equal(refused.connected, false);
  }
});

test('keepalive: PINGREQs keep an idle connection up; a broker that stops answering is noticed within ~1.5 periods', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(async () => {
    await mosquitto.kill('SIGCONT');
    await mosquitto.stop();
  });
  const keepaliveSec = 2;
  const client = await lean(t, mosquitto.url, { clientId: 'lean-keepalive', keepalive: keepaliveSec });
  let pingresps = 0;
  let lastPacketAt = 0;
  const changed = new Condition();
  client.events.on('packetreceive', (packet: Packet) => {
    lastPacketAt = Date.now();
    if (packet.cmd === 'pingresp') pingresps++;
    changed.notify();
  });
  await connected(client);
  // Two answered pings: the connection outlives the broker's 1.5-period limit on a silent client.
  await changed.until(() => pingresps >= 2, 4 * keepaliveSec * 1000, 'two PINGRESPs');
  assert.equal(client.connected, true);
  const errors: Error[] = [];
  client.events.on('error', (err: Error) => errors.push(err));
  let closed = false;
  client.events.on('close', () => {
    closed = true;
    changed.notify();
  });
  await mosquitto.kill('SIGSTOP');
  await changed.until(() => closed, 4 * keepaliveSec * 1000, 'the connection to close');
  const silentMs = Date.now() - lastPacketAt;
  assert.deepEqual(
    errors.map((e) => e.message),
    ['Keepalive timeout'],
  );
  // 1.5 periods from the last packet, plus two ticks of the keepalive scan (250 ms) and scheduling slack.
  assert.ok(silentMs <= 1.5 * keepaliveSec * 1000 + 500 + 500, `noticed after ${silentMs} ms of silence`);
  assert.ok(silentMs >= keepaliveSec * 1000, `not before a PINGREQ could go unanswered (${silentMs} ms)`);
});

test('a killed broker: close, then a new connect() sends the QoS 1 message published meanwhile', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const a = await lean(t, mosquitto.url, { clientId: 'lean-killed-a' });
  await connected(a);
  const closed = onceWithin(a.events, 'close', WAIT_MS);
  await mosquitto.kill('SIGKILL');
  await closed;
  assert.equal(a.connected, false);
  const acked = publishAsync(a, 'lean/back', 'while away', 1);
  await mosquitto.restart();
  const b = await lean(t, mosquitto.url, { clientId: 'lean-killed-b' });
  await connected(b);
  const inB = inbox(b);
  await b.subscribeAsync({ 'lean/back': { qos: 1 } });
  await connected(a);
  await withTimeout(acked, WAIT_MS, 'the stored message to be acknowledged after the reconnect');
  await inB.until(1, 'the message published while the broker was down');
  assert.deepEqual(inB.got, ['1:while away']);
});

test('a persistent session resumes: messages queued while away come once, at the reconnect', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const s = await lean(t, mosquitto.url, { clientId: 'lean-persistent', clean: false });
  const first = await connected(s);
  assert.equal(first.sessionPresent, false);
  await s.subscribeAsync({ 'lean/queued': { qos: 2 } });
  await new Promise<void>((resolve) => s.end(false, () => resolve()));
  const p = await lean(t, mosquitto.url, { clientId: 'lean-persistent-p' });
  await connected(p);
  for (let i = 0; i < 5; i++) await publishAsync(p, 'lean/queued', `q${i}`, i % 2 === 0 ? 1 : 2);
  const inS = inbox(s);
  const again = await connected(s);
  assert.equal(again.sessionPresent, true, 'the broker kept the session');
  await publishAsync(p, 'lean/queued', 'end', 1);
  await inS.until(6, 'the queued messages and the marker');
  // A QoS 2 message is delivered at its PUBREL (as MQTT.js does), so the order across QoS may differ.
  assert.deepEqual([...inS.got].sort(), ['1:end', '1:q0', '1:q2', '1:q4', '2:q1', '2:q3']);
});

/**
 * Which client a run used, seen from the broker: MQTT.js sends a PINGREQ every keepalive period
 * even while messages flow; the lean client only when the connection has been quiet that long.
 */
test('--mqtt-client: auto uses the lean client, mqttjs (and auto with --topic-alias) MQTT.js', async (t) => {
  const mosquitto = await Mosquitto.start();
  t.after(() => mosquitto.stop());
  const common = { brokers: [mosquitto.url], clients: 2, rate: 20, duration: '3500ms', keepalive: 1, barrier: true };
  const runs = {
    lean: runForTest(t, { ...common, runId: 'ka-lean' }),
    mqttjs: runForTest(t, { ...common, runId: 'ka-mqttjs', mqttClient: 'mqttjs' }),
    alias: runForTest(t, { ...common, runId: 'ka-alias', mqttVersion: 5, topicAlias: true }),
  };
  for (const [name, running] of Object.entries(runs)) {
    const summary = await withTimeout(running, 30_000, `the ${name} run`);
    assert.equal(summary.lost, 0, name);
    assert.equal(summary.received, summary.published, name);
  }
  const pings = (runId: string): number =>
    mosquitto.log.filter((line) => new RegExp(`^Received PINGREQ from mqtt-fleet-${runId}-\\d+$`).test(line)).length;
  assert.ok(pings('ka-mqttjs') >= 4, `MQTT.js pings while busy (${pings('ka-mqttjs')})`);
  assert.ok(pings('ka-alias') >= 4, `topic aliases keep MQTT.js (${pings('ka-alias')})`);
  assert.ok(pings('ka-lean') <= 2, `the lean client does not ping while busy (${pings('ka-lean')})`);
});
