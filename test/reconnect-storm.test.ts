import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, type RunEvent, type StatusLine } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli, type CliRun } from './helpers/cli.js';
import { HostileBroker } from './helpers/hostile.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { runForTest } from './helpers/run.js';
import { Condition, withTimeout } from './helpers/wait.js';
import { at } from '../src/mqtt/checked.js';

const collect = (into: StatusLine[]) => (e: RunEvent) => e.type === 'status' && into.push(e);
const trail = (statuses: StatusLine[], client: number): string[] =>
  statuses.filter((s) => s.client === client).map((s) => `${s.state}${s.attempt ? ` ${s.attempt}/${s.of}` : ''}`);

test('a broker that resets the connection soon after its CONNACK: the client gives up saying the broker closed it, as for a hang-up (not read ECONNRESET)', async (t) => {
  const hostile = await HostileBroker.acceptThenReset(50);
  t.after(() => hostile.close());
  const statuses: StatusLine[] = [];
  const summary = await withTimeout(
    runForTest(t, {
      brokers: [hostile.url],
      clients: 1,
      count: 1,
      reconnectDelay: '50ms',
      threads: 0,
      runId: 'reset',
      onEvent: collect(statuses),
    }),
    20_000,
    'the run to end',
  );
  assert.equal(hostile.connections, 3, 'one round of three attempts, each dropped early');
  const reason = statuses.find((s) => s.state === 'gave-up')?.error?.message;
  assert.match(
    reason ?? '',
    /^the broker closed the connection \d+ ms after its CONNACK, 3 times in a row: possibly taken over by another client with the same id \(mqtt-fleet-reset-0\)$/,
  );
  assert.equal(summary.gaveUp, 1);
});

test('a broker that sends CONNACK and hangs up: each drop costs an attempt of the round, exactly --reconnect-attempts connections, the client gives up and the barrier opens without it', async (t) => {
  const hostile = await HostileBroker.acceptThenClose();
  t.after(() => hostile.close());
  // Client 0 gets the hostile broker, client 1 a good one (brokers are used round-robin).
  const good = await aedesForTest(t);
  const statuses: StatusLine[] = [];
  const started = Date.now();
  const summary = await withTimeout(
    runForTest(t, {
      brokers: [hostile.url, good.url],
      clients: 2,
      count: 5,
      rate: 50,
      reconnectDelay: '50ms',
      subTopic: 'fleet/+',
      threads: 0,
      runId: 'storm',
      onEvent: collect(statuses),
    }),
    20_000,
    'the run to end',
  );
  t.diagnostic(`${hostile.connections} connections to the hostile broker in ${Date.now() - started} ms`);
  assert.equal(hostile.connections, 3, 'the three attempts of one round, counted by the server');
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
  const reason = statuses.find((s) => s.state === 'gave-up')!.error!.message;
  t.diagnostic(`gave up: ${reason}`);
  assert.match(
    reason,
    /^the broker closed the connection \d+ ms after its CONNACK, 3 times in a row: possibly taken over by another client with the same id \(mqtt-fleet-storm-0\)$/,
  );
  assert.equal(summary.gaveUp, 1);
  assert.equal(summary.exitCode, 1);
  // The barrier opened without client 0: client 1 published its plan and heard it.
  assert.equal(trail(statuses, 1).at(-1), 'done');
  assert.equal(summary.published, 5);
  assert.equal(summary.received, 5);
});

test('MQTT 5: DISCONNECT 0x8e (session taken over) ends the client at once, without reconnecting', async (t) => {
  const hostile = await HostileBroker.acceptThenClose(0x8e);
  t.after(() => hostile.close());
  const statuses: StatusLine[] = [];
  const summary = await withTimeout(
    runForTest(t, {
      brokers: [hostile.url],
      clients: 2,
      count: 5,
      mqttVersion: 5,
      reconnectDelay: '50ms',
      threads: 0,
      runId: 'taken',
      onEvent: collect(statuses),
    }),
    20_000,
    'the run to end',
  );
  assert.equal(hostile.connections, 2, 'one connection per client');
  assert.deepEqual(trail(statuses, 0), ['connecting 1/3', 'connected', 'disconnected', 'gave-up']);
  const reason = statuses.find((s) => s.client === 0 && s.state === 'gave-up')!.error!;
  t.diagnostic(`gave up: ${reason.message}`);
  assert.match(
    reason.message,
    /^session taken over \(DISCONNECT 0x8e\): another client connected with the same client id mqtt-fleet-taken-0/,
  );
  assert.equal(reason.code, 'SESSION_TAKEN_OVER');
  assert.equal(summary.gaveUp, 2);
  assert.equal(summary.exitCode, 1);
});

test('a connection that outlasts --connect-timeout makes the round whole again: a later drop gets every attempt, the first at once', async (t) => {
  // Stays up 400 ms, longer than the 150 ms connect timeout: every connection counts as established.
  const hostile = await HostileBroker.acceptThenClose(undefined, 400);
  t.after(() => hostile.close());
  const statuses: StatusLine[] = [];
  const changed = new Condition();
  const controller = new AbortController();
  const onEvent = (e: RunEvent): void => {
    collect(statuses)(e);
    changed.notify();
  };
  const running = run({
    brokers: [hostile.url],
    clients: 1,
    count: 1000,
    rate: 10,
    connectTimeout: '150ms',
    reconnectDelay: '50ms',
    threads: 0,
    onEvent,
    signal: controller.signal,
  });
  t.after(() => controller.abort('SIGINT'));
  await changed.until(() => statuses.filter((s) => s.state === 'disconnected').length >= 4, 10_000, 'four drops');
  controller.abort('SIGINT');
  await withTimeout(running, 10_000, 'the run to end');
  const states = trail(statuses, 0);
  assert.deepEqual(states.slice(0, 7), [
    'connecting 1/3',
    'connected',
    'ready',
    'disconnected',
    'reconnecting 1/3',
    'connected',
    'disconnected',
  ]);
  assert.ok(!states.includes('gave-up'));
});

/** Connections Mosquitto accepted per client id, and the takeovers it logged. */
function mosquittoCounts(mosquitto: Mosquitto, ids: string[]): { connections: number[]; takeovers: number } {
  return {
    connections: ids.map(
      (id) => mosquitto.log.filter((l) => new RegExp(`^New client connected from \\S+ as ${id} `).test(l)).length,
    ),
    takeovers: mosquitto.log.filter((l) => /already connected, closing old connection/.test(l)).length,
  };
}

function finalStates(cli: CliRun): Map<number, StatusLine> {
  const last = new Map<number, StatusLine>();
  for (const line of cli.lines)
    if (line.type === 'status' && ['gave-up', 'failed', 'done'].includes(line.state as string))
      last.set(line.client as number, line as unknown as StatusLine);
  return last;
}

/**
 * A retried shard pod: two runs with one --run-id, so every client id twice. Each connection takes
 * the id over from the other run's, which reconnects and takes it back. Before: 14,916 connections
 * in 5 s, both exit 0. Now each takeover is an early drop that costs an attempt: per id, the client
 * displaced first runs out of attempts and gives up; the other holds the id and finishes.
 */
test('two runs with the same --run-id on one Mosquitto at once: a bounded fight per id, the displaced client reports the takeover and its run exits 1', async (t) => {
  const mosquitto = await Mosquitto.start();
  t.after(() => mosquitto.stop());
  const args = [
    'run',
    '-b',
    mosquitto.url,
    '-c',
    '2',
    '--duration',
    '5s',
    '--rate',
    '10',
    '--reconnect-delay',
    '200ms',
    '--run-id',
    'twin',
    '--json',
  ];
  const runs = [spawnCli(t, args, { json: true }), spawnCli(t, args, { json: true })];
  const started = Date.now();
  const exits = await withTimeout(Promise.all(runs.map((r) => r.exit)), 60_000, 'both runs to end');
  const ids = ['mqtt-fleet-twin-0', 'mqtt-fleet-twin-1'];
  const { connections, takeovers } = mosquittoCounts(mosquitto, ids);
  t.diagnostic(
    `ended in ${Date.now() - started} ms with exit codes ${exits.map((e) => e.code).join(', ')}; connections per id ${connections.join(', ')}; ${takeovers} takeovers logged`,
  );
  assert.ok(takeovers > 0, 'Mosquitto logged the takeovers');
  // Per id: the 3 attempts of one round in each run, every one taken over by the other's next.
  assert.deepEqual(connections, [6, 6], 'exactly 3 connections per id and run');
  for (let client = 0; client < 2; client++) {
    const ends = runs.map((r) => finalStates(r).get(client)!);
    const gaveUp = ends.filter((s) => s.state === 'gave-up');
    assert.equal(
      gaveUp.length,
      1,
      `client ${client}: exactly one of the two runs gave it up (${ends.map((s) => s.state).join(', ')})`,
    );
    t.diagnostic(`client ${client} gave up: ${at(gaveUp, 0).error!.message}`);
    assert.match(
      at(gaveUp, 0).error!.message,
      /3 times in a row: possibly taken over by another client with the same id \(mqtt-fleet-twin-\d\)/,
    );
    // The run that kept the id saw its own connections taken, and said so.
    const kept = at(
      runs,
      ends.findIndex((s) => s.state !== 'gave-up'),
    );
    const drops = kept.lines.filter((l) => l.type === 'status' && l.client === client && l.state === 'disconnected');
    assert.equal(drops.length, 2);
    assert.match((at(drops, 1).error as { message: string }).message, /2 times in a row: possibly taken over/);
  }
  for (let i = 0; i < 2; i++) {
    const summary = at(runs, i).lines.at(-1)!;
    assert.equal(summary.type, 'summary');
    const gaveUp = [...finalStates(runs[i]!).values()].filter((s) => s.state === 'gave-up').length;
    assert.equal(summary.gaveUp, gaveUp, `run ${i}: the summary counts the clients it gave up`);
    // Each id was given up by one of the runs (above), so at least one run gets here.
    if (gaveUp > 0) assert.equal(exits[i]!.code, 1, 'a run that lost a client to the takeover exits 1');
  }
});
