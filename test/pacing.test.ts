import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '../src/index.js';
import type { StatsLine } from '../src/metrics/stats-line.js';
import { PACING } from '../src/session/pacing.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { runForTest } from './helpers/run.js';
import { GateProxy } from './helpers/gate.js';
import { SlowAcceptProxy } from './helpers/slow-accept.js';
import { Condition } from './helpers/wait.js';

/** The connect window of every stats line of a run, in order. */
function windows(events: RunEvent[]): number[] {
  return events.filter((e): e is StatsLine => e.type === 'stats').map((e) => e.connectWindow ?? NaN);
}

test('the adaptive connect window starts at 8 attempts in flight, then grows against a broker that answers at once', async (t) => {
  const broker = await Mosquitto.start('max_connections -1', { verbose: false });
  t.after(() => broker.stop());
  // No CONNACK comes while the gate holds the first attempts, so no round completes and the
  // window is still the one it started with, however fast the machine: how many arrive is it.
  const gate = await new GateProxy(broker.port).listen();
  t.after(() => gate.close());
  const events: RunEvent[] = [];
  const line = new Condition();
  const running = runForTest(t, {
    brokers: [gate.url],
    clients: 600,
    count: 1,
    rate: 1,
    threads: 0,
    statsInterval: '100ms',
    onEvent: (e) => {
      events.push(e);
      line.notify();
    },
  });
  await gate.changed.until(() => gate.held >= PACING.initial, 20_000, `${PACING.initial} attempts at the gate`);
  // Three stats lines later no further attempt has come: the window is full, not still filling.
  const full = windows(events).length;
  await line.until(() => windows(events).length >= full + 3, 20_000, 'three stats lines while the gate holds');
  const held = windows(events);
  assert.equal(gate.held, PACING.initial, `it starts with ${PACING.initial} attempts in flight`);
  assert.ok(
    held.every((w) => w === PACING.initial),
    `every stats line says ${PACING.initial} until a CONNACK comes: ${held.join(' ')}`,
  );
  gate.open();
  const summary = await running;
  assert.equal(summary.connected, 600);
  const seen = windows(events);
  t.diagnostic(`connect windows: ${seen.join(' ')}`);
  assert.ok(Math.max(...seen) > 2 * PACING.initial, `it grew past ${2 * PACING.initial}: ${seen.join(' ')}`);
});

test('the adaptive connect window backs off against a broker that takes a connection every 20 ms', async (t) => {
  const broker = await Mosquitto.start('max_connections -1', { verbose: false });
  t.after(() => broker.stop());
  const slow = await new SlowAcceptProxy(broker.port, 20).listen();
  t.after(() => slow.close());
  const events: RunEvent[] = [];
  const summary = await runForTest(t, {
    brokers: [slow.url],
    clients: 150,
    count: 1,
    rate: 1,
    threads: 0,
    statsInterval: '100ms',
    onEvent: (e) => events.push(e),
  });
  assert.equal(summary.connected, 150);
  const seen = windows(events);
  t.diagnostic(`connect windows: ${seen.join(' ')}`);
  // Each attempt queues behind those ahead of it: every round's quickest CONNACK waits.
  assert.ok(Math.min(...seen) < PACING.initial, `it shrank below ${PACING.initial}: ${seen.join(' ')}`);
  assert.ok(Math.max(...seen) <= 2 * PACING.initial, `and never grew past one doubling: ${seen.join(' ')}`);
  // Then it swings between 2 and 8: a CONNACK that waited under 30 ms (the floor for a busy
  // machine) lets it double, one that waited longer shrinks it; a fixed 64 would keep each
  // CONNACK waiting about 1.3 s.
  const later = seen.slice(Math.floor(seen.length / 2));
  assert.ok(Math.max(...later) <= 8, `and stays small: ${seen.join(' ')}`);
});

test('--connect-concurrency N keeps the window fixed at N', async (t) => {
  const broker = await Mosquitto.start('max_connections -1', { verbose: false });
  t.after(() => broker.stop());
  const slow = await new SlowAcceptProxy(broker.port, 5).listen();
  t.after(() => slow.close());
  const events: RunEvent[] = [];
  const summary = await runForTest(t, {
    brokers: [slow.url],
    clients: 100,
    count: 1,
    rate: 1,
    threads: 2,
    connectConcurrency: 5,
    statsInterval: '100ms',
    onEvent: (e) => events.push(e),
  });
  assert.equal(summary.connected, 100);
  const seen = windows(events);
  t.diagnostic(`connect windows: ${seen.join(' ')}`);
  assert.ok(seen.length > 0 && seen.every((w) => w === 5), `every stats line says 5: ${seen.join(' ')}`);
});
