import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, type RunEvent, type StatusLine } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { HostileBroker } from './helpers/hostile.js';
import { abortableRun } from './helpers/run.js';
import { withTimeout } from './helpers/wait.js';

// A lane makes its sessions as their turn for a connect slot nears (session/launcher.ts), not all
// at launch: with all made at once, every client said `connecting` before the first could connect.

test('one loop: the first CONNACK comes before the last client starts connecting (sessions made as slots near)', async (t) => {
  const broker = await aedesForTest(t);
  const order: StatusLine[] = [];
  const summary = await withTimeout(
    run({
      brokers: [broker.url],
      clients: 400,
      count: 1,
      rate: 1,
      connectConcurrency: 8,
      threads: 0,
      onEvent: (e: RunEvent) => {
        if (e.type === 'status') order.push(e);
      },
    }),
    60_000,
    'the run',
  );
  assert.equal(summary.connected, 400);
  const firstConnected = order.findIndex((s) => s.state === 'connected');
  const lastConnecting = order.findLastIndex((s) => s.state === 'connecting');
  t.diagnostic(`first connected at event ${firstConnected}, last connecting at ${lastConnecting}`);
  assert.ok(firstConnected >= 0 && lastConnecting >= 0);
  assert.ok(
    firstConnected < lastConnecting,
    `every client said connecting (event ${lastConnecting}) before the first connected (event ${firstConnected})`,
  );
});

test('Ctrl-C while most sessions are not made yet: every client still ends, as done', async (t) => {
  // Never answers: the two slots stay taken, so only the first sessions are ever made before the stop.
  const broker = await HostileBroker.silent();
  t.after(() => broker.close());
  const { controller, statuses, changed, running } = abortableRun(t, {
    brokers: [broker.url],
    clients: 300,
    count: 1,
    connectConcurrency: 2,
    connectTimeout: '60s',
    threads: 0,
  });
  await changed.until(() => broker.connections === 2, 20_000, 'two attempts waiting for a CONNACK');
  const made = new Set(statuses.filter((s) => s.state === 'connecting').map((s) => s.client));
  t.diagnostic(`${made.size} of 300 clients had started connecting at the stop`);
  assert.ok(made.size < 300, 'sessions are made as their turn nears, not all at launch');
  controller.abort('SIGINT');
  const summary = await withTimeout(running, 10_000, 'the run to end after the abort');
  assert.equal(summary.interrupted, true);
  assert.equal(summary.failed, 0);
  assert.equal(broker.connections, 2, 'no attempt after the abort');
  const finals = statuses.filter((s) => ['done', 'failed', 'gave-up'].includes(s.state));
  assert.equal(finals.length, 300, 'one final status per client');
  assert.ok(finals.every((s) => s.state === 'done'));
});
