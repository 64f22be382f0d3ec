import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, type MessageLine, type RunEvent, type StatsLine } from '../src/index.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { runForTest } from './helpers/run.js';
import { Condition, withTimeout } from './helpers/wait.js';

test('20 clients, a thread each, exchange every message at QoS 1 through a real Mosquitto', async (t) => {
  const mosquitto = await Mosquitto.start();
  t.after(() => mosquitto.stop());
  const summary = await run({ brokers: [mosquitto.url], clients: 20, count: 50, rate: 200, qos: 1, runId: 'mq20' });
  assert.equal(summary.threads, 20);
  assert.equal(summary.connected, 20);
  assert.equal(summary.published, 1000);
  assert.equal(summary.received, 1000);
  assert.equal(summary.lost, 0);
  assert.equal(summary.duplicates, 0);
  assert.equal(summary.outOfOrder, 0);
  assert.equal(summary.exitCode, 0);
  const ids = Array.from({ length: 20 }, (_, i) => `mqtt-fleet-mq20-${i}`);
  assert.deepEqual(mosquitto.withoutDisconnect(ids), [], 'every client disconnected cleanly');
});

test('the broker is killed mid-run and restarted: every client reconnects and finishes', async (t) => {
  const mosquitto = await Mosquitto.start();
  t.after(() => mosquitto.stop());
  const clients = 10;
  const state = new Map<number, string>();
  let stats: StatsLine | null = null;
  let lastT = 0;
  const messages: MessageLine[] = [];
  const changed = new Condition();
  const onEvent = (e: RunEvent): void => {
    if (e.type === 'status') state.set(e.client, e.state);
    if (e.type === 'stats') stats = e;
    if (e.type === 'message') messages.push(e);
    if ('t' in e) lastT = e.t;
    changed.notify();
  };
  const running = runForTest(t, {
    brokers: [mosquitto.url],
    clients,
    // On the main loop: reconnecting is the session's, the same in every thread mode (the
    // 20-thread exchange above covers a thread per client).
    threads: 0,
    duration: '6s',
    rate: 20,
    qos: 0,
    reconnectAttempts: 5,
    reconnectDelay: '500ms',
    statsInterval: '200ms',
    printMessages: true,
    runId: 'restart',
    onEvent,
  });
  const count = (s: string): number => [...state.values()].filter((v) => v === s).length;
  const latest = (): StatsLine => stats!;
  await changed.until(() => (stats?.received ?? 0) > 0, 20_000, 'messages to flow');
  await mosquitto.kill('SIGKILL');
  await changed.until(
    () => count('disconnected') + count('reconnecting') === clients,
    10_000,
    'every client to notice the broker is gone',
  );
  // Counters and printed messages come in 250 ms batches: once a stats line half a second later
  // is in, everything received before the kill has been reported.
  const noticedAt = lastT;
  await changed.until(
    () => stats !== null && stats.t >= noticedAt + 500,
    10_000,
    'the last batches from before the kill',
  );
  const receivedAtRestart = latest().received;
  const seqAtRestart = new Map<number, number>();
  for (const m of messages)
    if (m.from === m.client) seqAtRestart.set(m.client, Math.max(seqAtRestart.get(m.client) ?? -1, m.seq));
  await mosquitto.restart();
  const summary = await withTimeout(running, 30_000, 'the run to finish');
  assert.equal(summary.gaveUp, 0);
  assert.equal(summary.failed, 0);
  assert.equal(summary.connected, clients);
  assert.ok(summary.reconnects >= clients, `every client reconnected (${summary.reconnects} reconnects)`);
  assert.deepEqual([...state.values()], new Array(clients).fill('done'));
  assert.ok(
    summary.published >= summary.received,
    `each client hears only itself: ${summary.received} received of ${summary.published} published`,
  );
  // Messages flow again after the restart: each client hears its own later messages.
  t.diagnostic(`received ${receivedAtRestart} before the restart, ${summary.received} in all`);
  assert.ok(
    summary.received - receivedAtRestart >= clients * 20,
    `at least a second's worth per client after the restart: ${receivedAtRestart} -> ${summary.received}`,
  );
  for (let i = 0; i < clients; i++) {
    const after = messages.filter((m) => m.client === i && m.from === i && m.seq > (seqAtRestart.get(i) ?? -1)).length;
    assert.ok(
      after >= 20,
      `client ${i} received ${after} of its own messages after reconnecting (highest before: ${seqAtRestart.get(i)})`,
    );
  }
  assert.equal(summary.exitCode, 0);
});

test('--local-address spreads connections over source addresses', async (t) => {
  const mosquitto = await Mosquitto.start();
  t.after(() => mosquitto.stop());
  const summary = await run({
    brokers: [mosquitto.url],
    clients: 4,
    count: 5,
    rate: 50,
    threads: 0,
    localAddress: '127.0.0.2,127.0.0.3',
    runId: 'local',
  });
  assert.equal(summary.received, 20);
  for (let i = 0; i < 4; i++) {
    const from = i % 2 === 0 ? '127.0.0.2' : '127.0.0.3';
    assert.ok(
      mosquitto.linesAbout(`mqtt-fleet-local-${i} `).some((l) => l.includes(`New client connected from ${from}:`)),
      `client ${i} from ${from}`,
    );
  }
});
