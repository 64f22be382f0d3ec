import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RunEvent } from '../src/index.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { runForTest } from './helpers/run.js';
import { Condition, withTimeout } from './helpers/wait.js';

/**
 * Sessions that survive a broker restart: Mosquitto with persistence, stopped with SIGTERM (so it
 * saves its state) mid-run and started again. Subscriptions and in-flight QoS 1/2 messages carry
 * over; the summary must show nothing lost.
 */
const variants = [
  { name: 'MQTT 3.1.1, --no-clean, QoS 1: 0 lost (duplicates allowed)', qos: 1 as const, extra: {} },
  { name: 'MQTT 3.1.1, --no-clean, QoS 2: 0 lost, 0 duplicates', qos: 2 as const, extra: {} },
  {
    name: 'MQTT 5, --session-expiry 1h, QoS 1: 0 lost',
    qos: 1 as const,
    extra: { mqttVersion: '5', sessionExpiry: '1h' },
  },
];

for (const v of variants) {
  test(`${v.name}, across a broker restart`, async (t) => {
    const mosquitto = await Mosquitto.start('', { verbose: false, persistent: true });
    t.after(() => mosquitto.stop());
    let published = 0;
    let disconnected = 0;
    const changed = new Condition();
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'stats') published = e.published;
      if (e.type === 'status' && e.state === 'disconnected') disconnected++;
      changed.notify();
    };
    const clients = 6;
    const running = runForTest(t, {
      brokers: [mosquitto.url],
      clients,
      // On the main loop: sessions live in lanes whatever the thread mode; a thread per client, or a pool, costs more CPU for nothing.
      threads: 0,
      count: 300,
      rate: 100,
      qos: v.qos,
      clean: false,
      reconnectAttempts: 20,
      reconnectDelay: '250ms',
      statsInterval: '100ms',
      drainTimeout: '10s',
      onEvent,
      ...v.extra,
    });
    await changed.until(() => published > clients * 50, 30_000, 'a sixth of the messages to be published');
    const publishedAtKill = published;
    await mosquitto.kill('SIGTERM');
    await changed.until(() => disconnected >= clients, 10_000, 'every client to notice');
    await mosquitto.restart();
    const summary = await withTimeout(running, 60_000, 'the run to finish');
    t.diagnostic(
      `broker SIGTERM at about ${publishedAtKill} published; summary: published ${summary.published}, received ${summary.received}, lost ${summary.lost}, inFlight ${summary.inFlight}, duplicates ${summary.duplicates}, reconnects ${summary.reconnects}, exit ${summary.exitCode}`,
    );
    assert.equal(summary.gaveUp, 0);
    assert.ok(summary.reconnects >= clients, `every client reconnected (${summary.reconnects})`);
    assert.equal(summary.published, clients * 300);
    assert.equal(
      summary.lost,
      0,
      `nothing lost: ${JSON.stringify({ lost: summary.lost, inFlight: summary.inFlight, received: summary.received })}`,
    );
    assert.equal(summary.inFlight, 0);
    if (v.qos === 2) assert.equal(summary.duplicates, 0, 'QoS 2: exactly once');
    assert.equal(summary.received - summary.duplicates, clients * 300);
    assert.equal(summary.exitCode, 0);
  });
}
