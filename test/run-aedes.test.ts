import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadId } from 'node:worker_threads';
import { run, type MessageLine, type RunEvent, type StatusLine } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { ConnectCounter } from './helpers/tcp.js';

test('clients on their own worker threads exchange every message at QoS 1 (Aedes)', async (t) => {
  const broker = await aedesForTest(t);
  const connectedIds = new Set<string>();
  const cleanDisconnects = new Set<string>();
  broker.broker.on('client', (client) => connectedIds.add(client.id));
  broker.broker.on('clientDisconnect', (client) => cleanDisconnects.add(client.id));
  const summary = await run({ brokers: [broker.url], clients: 8, count: 100, rate: 0, qos: 1, runId: 'aedes1' });
  assert.equal(summary.mode, 'thread-per-client');
  assert.equal(summary.threads, 8);
  assert.equal(summary.clients, 8);
  assert.equal(summary.connected, 8);
  assert.equal(summary.gaveUp, 0);
  assert.equal(summary.published, 800);
  assert.equal(summary.acked, 800);
  assert.equal(summary.received, 800);
  assert.equal(summary.expected, 800);
  assert.equal(summary.lost, 0);
  assert.equal(summary.inFlight, 0);
  assert.equal(summary.duplicates, 0);
  assert.equal(summary.latencyMs.count, 800);
  assert.ok(
    summary.latencyMs.p50 > 0 &&
      summary.latencyMs.p50 <= summary.latencyMs.p99 &&
      summary.latencyMs.p99 <= summary.latencyMs.max,
  );
  assert.equal(summary.exitCode, 0);
  assert.deepEqual([...connectedIds].sort(), Array.from({ length: 8 }, (_, i) => `mqtt-fleet-aedes1-${i}`).sort());
  assert.equal(cleanDisconnects.size, 8);
});

test('--print-messages shows each message with its client id and a thread of its own per client', async (t) => {
  const broker = await aedesForTest(t);
  const messages: MessageLine[] = [];
  const summary = await run({
    brokers: [broker.url],
    clients: 3,
    count: 4,
    rate: 50,
    printMessages: true,
    runId: 'print',
    onEvent: (e: RunEvent) => e.type === 'message' && messages.push(e),
  });
  assert.equal(summary.received, 12);
  assert.equal(messages.length, 12);
  const threadOf = new Map<string, Set<number>>();
  for (const m of messages) {
    assert.equal(m.clientId, `mqtt-fleet-print-${m.client}`);
    assert.equal(m.topic, `fleet/${m.client}`);
    threadOf.set(m.clientId, (threadOf.get(m.clientId) ?? new Set()).add(m.thread));
  }
  const threads = [...threadOf.values()].map((s) => [...s]);
  assert.ok(
    threads.every((s) => s.length === 1),
    'one thread per client',
  );
  const distinct = new Set(threads.flat());
  assert.equal(distinct.size, 3, 'three different threads');
  assert.ok(!distinct.has(threadId), 'none of them the main thread');
});

test('a client makes exactly --reconnect-attempts connection attempts, counted by the server, then gives up', async (t) => {
  const server = await new ConnectCounter().listen();
  t.after(() => server.close());
  const statuses: StatusLine[] = [];
  const summary = await run({
    brokers: [server.url],
    clients: 4,
    count: 10,
    // On the main loop: attempts are the session's, the same in every thread mode.
    threads: 0,
    reconnectDelay: '50ms',
    runId: 'dead',
    onEvent: (e: RunEvent) => e.type === 'status' && statuses.push(e),
  });
  assert.deepEqual(
    [...server.attempts].sort(),
    Array.from({ length: 4 }, (_, i) => [`mqtt-fleet-dead-${i}`, 3]),
  );
  assert.equal(server.connections, 12);
  assert.equal(summary.gaveUp, 4);
  assert.equal(summary.connected, 0);
  assert.equal(summary.exitCode, 1);
  const client0 = statuses
    .filter((s) => s.client === 0)
    .map((s) => `${s.state}${s.attempt ? ` ${s.attempt}/${s.of}` : ''}`);
  assert.deepEqual(client0, ['connecting 1/3', 'reconnecting 2/3', 'reconnecting 3/3', 'gave-up']);
  assert.ok(statuses.find((s) => s.state === 'gave-up')?.error?.message);
});

test('with --retry-refused a CONNACK refusal (bad credentials) counts as an attempt: exactly 3, then the client gives up', async (t) => {
  const calls = new Map<string, number>();
  const broker = await aedesForTest(t);
  broker.broker.authenticate = (client, username, password, done) => {
    calls.set(client.id, (calls.get(client.id) ?? 0) + 1);
    const ok = username === 'alice' && password?.toString() === 'right';
    done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
  };
  const summary = await run({
    brokers: [broker.url],
    clients: 3,
    count: 5,
    username: 'alice',
    password: 'wrong',
    threads: 0,
    retryRefused: true,
    reconnectDelay: '20ms',
    runId: 'auth',
  });
  assert.deepEqual([...calls.values()], [3, 3, 3]);
  assert.equal(summary.gaveUp, 3);
  assert.equal(summary.exitCode, 1);
  const good = await run({
    brokers: [broker.url],
    clients: 2,
    count: 5,
    rate: 100,
    username: 'alice',
    password: 'right',
    threads: 0,
    runId: 'auth2',
  });
  assert.equal(good.received, 10);
  assert.equal(good.exitCode, 0);
});
