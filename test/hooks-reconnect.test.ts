import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent, StatusLine } from '../src/index.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { runForTest } from './helpers/run.js';
import { tempFile } from './helpers/temp.js';
import { Condition, withTimeout } from './helpers/wait.js';
import { infoLogger } from './helpers/logger.js';

/**
 * Workload ticks run only while the client is online: a broker outage pauses them (a tick
 * awaiting ctx.publish while offline would fail the client) and they resume after the reconnect.
 */
test('workload ticks pause while the broker is down and resume after the reconnect; no client fails', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const file = tempFile(
    t,
    'ticker.mjs',
    // QoS 0: offline, ctx.publish rejects at once (a tick's failure); online, it never waits for the broker.
    `export const tickMs = 20;
     export function setup(ctx) { ctx.state.ticks = 0; ctx.state.afterReconnect = 0; }
     export function onConnect(ctx, { reconnect }) { if (reconnect) ctx.state.back = true; }
     export async function tick(ctx) {
       ctx.state.ticks++;
       if (ctx.state.back) ctx.state.afterReconnect++;
       await ctx.publish('ticks/' + ctx.index, 'tick', { qos: 0 });
     }
     export function teardown(ctx) { ctx.log('ticks ' + ctx.state.ticks + ' after-reconnect ' + ctx.state.afterReconnect); }`,
  );
  const statuses: StatusLine[] = [];
  const logs: string[] = [];
  const logger = infoLogger((line) => logs.push(line));
  const changed = new Condition();
  let published = 0;
  const onEvent = (e: RunEvent): void => {
    if (e.type === 'status') statuses.push(e);
    if (e.type === 'stats') published = e.published;
    changed.notify();
  };
  const clients = 2;
  const running = runForTest(t, {
    brokers: [mosquitto.url],
    clients,
    duration: '3s',
    rate: 20,
    qos: 1,
    workload: file,
    reconnectAttempts: 50,
    reconnectDelay: '50ms',
    statsInterval: '100ms',
    runId: 'ticks',
    onEvent,
    logger,
  });
  await changed.until(() => published > 20, 20_000, 'publishing to be under way');
  await mosquitto.kill('SIGTERM');
  // Several attempts 50 ms apart: the outage spans many 20 ms tick intervals.
  const retrying = (): boolean =>
    statuses.filter((s) => s.state === 'reconnecting' && (s.attempt ?? 0) >= 4).length >= clients;
  await changed.until(retrying, 10_000, 'every client to have retried a few times');
  await mosquitto.restart();
  const summary = await withTimeout(running, 30_000, 'the run to finish');
  const last = new Map(statuses.map((s) => [s.client, s]));
  for (let i = 0; i < clients; i++)
    assert.equal(last.get(i)!.state, 'done', `client ${i} finished: ${JSON.stringify(last.get(i))}`);
  assert.equal(summary.failed, 0);
  assert.ok(summary.reconnects >= clients, `every client reconnected (${summary.reconnects})`);
  let ticks = 0;
  for (let i = 0; i < clients; i++) {
    const line = logs.find((l) => l.startsWith(`mqtt-fleet-ticks-${i}: ticks `));
    const [, all, after] = /ticks (\d+) after-reconnect (\d+)$/.exec(line ?? '') ?? [];
    assert.ok(Number(after) > 0, `client ${i}'s ticks resumed after the reconnect: ${line}`);
    ticks += Number(all);
  }
  // Every tick's publish is counted, beside each client's publish plan.
  const planned = statuses.filter((s) => s.state === 'published').reduce((n, s) => n + s.published!, 0);
  assert.equal(summary.published, planned + ticks);
});
