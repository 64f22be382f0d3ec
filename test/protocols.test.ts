import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, type RunEvent } from '../src/index.js';
import { makeCerts } from './helpers/certs.js';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { freePort } from './helpers/ports.js';
import { tempFile } from './helpers/temp.js';
import { Condition, withTimeout } from './helpers/wait.js';
import { infoLogger } from './helpers/logger.js';
import { at } from '../src/mqtt/checked.js';

test('WebSocket and TLS transports: ws://, wss:// and mqtts:// (with --ca) carry every message, in a pool and on one loop, their set-up timed', async (t) => {
  const certs = makeCerts();
  t.after(() => certs.remove());
  const [ws, wss, tls] = [await freePort(), await freePort(), await freePort()];
  const tlsFiles = `cafile ${certs.ca}\ncertfile ${certs.cert}\nkeyfile ${certs.key}\n`;
  const mosquitto = await Mosquitto.start(
    `listener ${ws} 127.0.0.1\nprotocol websockets\nlistener ${wss} 127.0.0.1\nprotocol websockets\n${tlsFiles}listener ${tls} 127.0.0.1\n${tlsFiles}`,
    { verbose: false },
  );
  t.after(() => mosquitto.stop());
  for (const [url, threads] of [
    [`ws://127.0.0.1:${ws}`, '2'],
    [`wss://localhost:${wss}`, '0'],
    [`mqtts://localhost:${tls}`, '2'],
  ] as const) {
    const summary = await run({ brokers: [url], clients: 4, count: 50, rate: 200, qos: 1, threads, ca: certs.ca });
    assert.equal(summary.received, 200, url);
    assert.equal(summary.lost, 0, url);
    assert.deepEqual(summary.brokers, [url]);
    // ws opens its socket through our createConnection, so its set-up is timed as on TCP and TLS.
    assert.equal(summary.steps.tcpConnectMs.count, 4, url);
    assert.equal(summary.steps.tlsHandshakeMs.count, url.startsWith('ws:') ? 0 : 4, url);
    assert.equal(summary.steps.connackMs.count, 4, url);
  }
});

test('MQTT 5: user properties reach receivers, non-zero reason codes are counted', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const workload = tempFile(
    t,
    'props.mjs',
    `export function onMessage(ctx, m) { if (!ctx.state.said) { ctx.state.said = true; ctx.log('unit=' + m.properties?.userProperties?.unit); } }`,
  );
  const scenario = tempFile(
    t,
    'v5.yaml',
    [
      'defaults: { mqttVersion: 5, qos: 1 }',
      'groups:',
      '  - name: sensors',
      '    count: 2',
      "    publish: { topic: 'v5/{n}', rate: 50, count: 10, payload: '{\"seq\":{seq}}', properties: { userProperties: { unit: celsius } } }",
      '  - name: readers',
      '    count: 2',
      "    subscribe: ['v5/{n}']",
      `    workload: ${workload}`,
      '  - name: shouters',
      '    count: 1',
      "    publish: { topic: 'nobody/listens', rate: 50, count: 5 }",
    ].join('\n'),
  );
  const lines: string[] = [];
  const logger = infoLogger((line) => lines.push(line));
  const finals = new Map<number, Extract<RunEvent, { type: 'status' }>>();
  // On the main loop: properties and reason codes are the session's, the same in every thread mode.
  const summary = await run({
    scenario,
    brokers: [mosquitto.url],
    threads: 0,
    logger,
    onEvent: (e) => {
      if (e.type === 'status' && ['done', 'failed', 'gave-up'].includes(e.state)) finals.set(e.client, e);
    },
  });
  assert.equal(summary.expected, 20, 'template payloads are tracked through the user property');
  assert.equal(summary.lost, 0);
  assert.equal(summary.latencyMs.count, 20);
  assert.equal(lines.filter((l) => /unit=celsius$/.test(l)).length, 2, lines.join('\n'));
  assert.equal(summary.reasonCodes['puback no matching subscribers (0x10)'], 5, JSON.stringify(summary.reasonCodes));
  // The client's own status says which acknowledgements it got, with what codes: the shouter
  // (client 4), and not the sensors, whose messages had subscribers.
  assert.deepEqual(finals.get(4)?.reasonCodes, { 'puback no matching subscribers (0x10)': 5 });
  assert.equal(finals.get(0)?.reasonCodes, undefined);
  assert.equal(finals.get(1)?.reasonCodes, undefined);
});

test('retained messages are replayed to a later subscriber and counted', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const on = { brokers: [mosquitto.url], threads: 0 };
  await run({ ...on, clients: 3, count: 1, retain: true, topic: 'kept/{i}', subTopic: '' });
  const later = await run({ ...on, clients: 1, count: 1, topic: 'other', subTopic: 'kept/+' });
  assert.equal(later.retained, 3);
  assert.equal(later.foreign, 3, "an earlier run's messages are not this run's");
});

test('will messages: a client that vanishes without DISCONNECT has its will published; one that leaves cleanly does not', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  // The same group twice, told apart by the will's payload.
  const devices = (payload: string): string =>
    tempFile(
      t,
      'wills.yaml',
      [
        'groups:',
        '  - name: devices',
        '    count: 3',
        "    publish: { topic: 'd/{n}', rate: 5 }",
        `    will: { topic: 'gone/{n}', payload: ${payload}, qos: 1 }`,
      ].join('\n'),
    );
  // The watcher logs every message it gets (wills are no run's messages: the summary counts them as foreign).
  const workload = tempFile(
    t,
    'watch.mjs',
    `export function onMessage(ctx, m) { ctx.log('will ' + m.topic + '=' + m.payload.toString()); }`,
  );
  const wills: string[] = [];
  let ready = false;
  const changed = new Condition();
  const logger = infoLogger((line) => {
    const will = /: will (\S+)$/.exec(line);
    if (will) wills.push(at(will, 1));
    changed.notify();
  });
  // Stopped once the killed run's wills are in, so it runs as long as this test needs, no longer.
  const stop = new AbortController();
  const watcher = run({
    brokers: [mosquitto.url],
    clients: 1,
    duration: '60s',
    rate: 1,
    topic: 'w',
    subTopic: 'gone/+',
    qos: 1,
    threads: 0,
    workload,
    logger,
    statsInterval: '100ms',
    signal: stop.signal,
    onEvent: (e) => {
      if (e.type === 'status' && e.state === 'ready') ready = true;
      changed.notify();
    },
  });
  t.after(async () => {
    stop.abort('SIGINT');
    await withTimeout(
      watcher.catch(() => undefined),
      30_000,
      'the watcher to end in teardown',
    );
  });
  await changed.until(() => ready, 20_000, 'the watcher to be subscribed');
  // A clean run of the group: DISCONNECT, so no will. In-process; the killed run below must be a
  // process of its own. Both on one loop: wills are the session's, the same in every thread mode.
  const clean = await withTimeout(
    run({ scenario: devices('left-cleanly'), brokers: [mosquitto.url], duration: '1s', threads: 0 }),
    30_000,
    'the clean run',
  );
  assert.equal(clean.exitCode, 0);
  const killed = spawnCli(
    t,
    ['run', '--scenario', devices('offline'), '-b', mosquitto.url, '--duration', '30s', '--threads', '0', '--json'],
    { json: true },
  );
  await killed.changed.until(
    () => killed.lines.filter((l) => l.state === 'ready').length === 3,
    30_000,
    'the devices to be ready',
  );
  killed.child.kill('SIGKILL');
  await withTimeout(killed.exit, 10_000, 'the killed run to exit');
  // Through the same broker and subscription, a will from the clean run would have come before these.
  await changed.until(
    () => wills.filter((w) => w.endsWith('=offline')).length >= 3,
    10_000,
    'the wills of the killed devices',
  );
  stop.abort('SIGINT');
  const summary = await withTimeout(watcher, 30_000, 'the watcher');
  assert.deepEqual(
    wills.sort(),
    ['gone/0=offline', 'gone/1=offline', 'gone/2=offline'],
    'one will per killed device, none from the clean run',
  );
  assert.equal(summary.foreign, 3, 'three wills, from the killed run only');
});
