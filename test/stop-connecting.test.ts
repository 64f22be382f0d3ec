import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError, run, type StatusLine } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { HostileBroker } from './helpers/hostile.js';
import { abortableRun } from './helpers/run.js';
import { tempFile } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';

for (const threads of [0, 'per-client'] as const) {
  test(`--threads ${threads}: Ctrl-C while connecting to a broker that never answers ends the attempts at once, not after --connect-timeout`, async (t) => {
    const broker = await HostileBroker.silent();
    t.after(() => broker.close());
    const { controller, statuses, changed, running } = abortableRun(t, {
      brokers: [broker.url],
      clients: 2,
      count: 5,
      connectTimeout: '60s',
      threads,
    });
    await changed.until(
      () => broker.connections === 2 && statuses.filter((s) => s.state === 'connecting').length === 2,
      20_000,
      'both clients to be waiting for a CONNACK',
    );
    const abortedAt = Date.now();
    controller.abort('SIGINT');
    const summary = await withTimeout(running, 5_000, 'the run to end after the abort');
    const tookMs = Date.now() - abortedAt;
    t.diagnostic(`summary ${tookMs} ms after the abort`);
    assert.ok(tookMs < 3_000, `ended ${tookMs} ms after the abort`);
    assert.equal(summary.interrupted, true);
    assert.equal(summary.failed, 0);
    assert.equal(summary.gaveUp, 0);
    assert.equal(broker.connections, 2, 'no attempt after the abort');
    const finals = statuses.filter((s) => ['done', 'failed', 'gave-up'].includes(s.state));
    assert.deepEqual(
      finals.map((s) => s.state),
      ['done', 'done'],
    );
  });
}

test('Ctrl-C while --connect-rate holds clients back: the ones never connected end as done, none failed', async (t) => {
  const broker = await aedesForTest(t);
  // Client 0 at once, then one every 2 s: clients 1-3 are waiting for their turn.
  const { controller, statuses, changed, running } = abortableRun(t, {
    brokers: [broker.url],
    clients: 4,
    duration: '60s',
    connectRate: 0.5,
    threads: 0,
  });
  await changed.until(
    () => statuses.some((s) => s.client === 0 && s.state === 'ready'),
    20_000,
    'client 0 to be ready',
  );
  controller.abort('SIGINT');
  const summary = await withTimeout(running, 10_000, 'the run to end after the abort');
  assert.equal(
    summary.failed,
    0,
    JSON.stringify(statuses.filter((s) => s.state === 'failed').map((s) => s.error?.message)),
  );
  assert.equal(summary.interrupted, true);
  for (let client = 1; client < 4; client++) {
    assert.deepEqual(
      statuses.filter((s) => s.client === client).map((s) => s.state),
      ['done'],
      `client ${client} never connected and ended as done`,
    );
  }
});

test('CLI: SIGINT during --connect-rate pacing exits 130 with no failed clients', async (t) => {
  const broker = await aedesForTest(t);
  const cli = spawnCli(
    t,
    ['run', '-b', broker.url, '-c', '3', '--duration', '60s', '--connect-rate', '0.5', '--json'],
    { json: true },
  );
  await cli.changed.until(
    () => cli.lines.some((l) => l.type === 'status' && l.client === 0 && l.state === 'ready'),
    30_000,
    'client 0 to be ready',
  );
  cli.child.kill('SIGINT');
  const { code } = await withTimeout(cli.exit, 20_000, 'the CLI to exit after SIGINT');
  const summary = cli.lines.at(-1)!;
  assert.equal(summary.type, 'summary');
  assert.equal(summary.failed, 0, cli.stderr());
  assert.equal(code, 130);
  assert.doesNotMatch(cli.stderr(), /Cannot read properties/);
});

test('a workload that fails before the first connection is reported with its own error', async (t) => {
  const broker = await aedesForTest(t);
  // At import: the module is loaded once up front, so the run is refused with the module's own error.
  const broken = tempFile(t, 'import.mjs', `throw new Error('boom at import');`);
  await assert.rejects(
    run({ brokers: [broker.url], clients: 2, count: 5, workload: broken, threads: 0 }),
    (err: unknown) => {
      assert.ok(err instanceof UsageError, String(err));
      assert.match(err.message, /--workload .*import\.mjs: Error: boom at import$/);
      return true;
    },
  );
  // In setup: each client's own, reported as that client's failure.
  const file = tempFile(t, 'setup.mjs', `export function setup() { throw new Error('boom in setup'); }`);
  const statuses: StatusLine[] = [];
  const summary = await withTimeout(
    run({
      brokers: [broker.url],
      clients: 2,
      count: 5,
      workload: file,
      threads: 0,
      onEvent: (e) => e.type === 'status' && statuses.push(e),
    }),
    20_000,
    'the run with a workload failing in setup',
  );
  assert.equal(summary.failed, 2);
  const failed = statuses.filter((x) => x.state === 'failed');
  assert.equal(failed.length, 2);
  for (const s of failed) assert.match(s.error!.message, /^workload setup failed: boom in setup$/);
});
