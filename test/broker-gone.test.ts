import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { CountingProxy } from './helpers/tcp.js';
import { withTimeout } from './helpers/wait.js';

// It counts connection attempts server-side: a proxy slowed by other files' work (this file runs
// beside them) must still read each attempt's CONNECT before the client's --connect-timeout ends
// it, so the timeout is 3 s (with 1 s, this file needed the machine to itself).
test('the broker is killed for good: each client makes exactly 3 attempts (counted server-side), gives up, and the CLI exits 1 with a summary', async (t) => {
  const mosquitto = await Mosquitto.start();
  t.after(() => mosquitto.stop());
  const proxy = await new CountingProxy(mosquitto.port).listen();
  t.after(() => proxy.close());
  const clients = 5;
  // A connection counts as established once it has outlasted --connect-timeout: only then does its
  // drop start a fresh round of attempts (an earlier drop counts against the round it came from).
  const cli = spawnCli(
    t,
    [
      'run',
      '-b',
      proxy.url,
      '-c',
      String(clients),
      '--duration',
      '60s',
      '--rate',
      '5',
      '--reconnect-delay',
      '200ms',
      '--connect-timeout',
      '3s',
      '--stats-interval',
      '200ms',
      '--run-id',
      'gone',
      '--json',
    ],
    { json: true },
  );
  const ready = (): Record<string, unknown>[] => cli.lines.filter((l) => l.type === 'status' && l.state === 'ready');
  await cli.changed.until(() => ready().length === clients, 30_000, 'every client to be ready');
  const lastReady = Math.max(...ready().map((l) => l.t as number));
  await cli.changed.until(
    () => cli.lines.some((l) => l.type === 'stats' && (l.t as number) > lastReady + 3500),
    30_000,
    'every connection to be established (3.5 s old)',
  );
  const before = new Map(proxy.attempts);
  assert.equal(before.size, clients);
  await mosquitto.kill('SIGKILL');
  const { code } = await withTimeout(cli.exit, 30_000, 'the CLI to exit');
  assert.equal(code, 1);
  for (let i = 0; i < clients; i++) {
    const id = `mqtt-fleet-gone-${i}`;
    assert.equal(
      proxy.attempts.get(id)! - before.get(id)!,
      3,
      `${id} made exactly 3 attempts after the broker died: ${JSON.stringify([...before])} ${JSON.stringify([...proxy.attempts])} ${cli.stdout()}`,
    );
    const attempts = cli.lines
      .filter((l) => l.type === 'status' && l.client === i && l.state === 'reconnecting')
      .map((l) => `${String(l.attempt)}/${String(l.of)}`);
    assert.deepEqual(attempts, ['1/3', '2/3', '3/3']);
  }
  const summary = cli.lines.at(-1)!;
  assert.equal(summary.type, 'summary');
  assert.equal(summary.gaveUp, clients);
  assert.equal(summary.connected, clients);
  assert.equal(summary.exitCode, 1);
  // Clients that gave up also published far less than the 60 s plan: both reasons are named.
  assert.match(
    cli.stderr(),
    /result: fell short: 5 clients gave up, [\d,]+ of 1,500 planned messages published, [\d,]+ of 1,500 planned messages acknowledged \(exit 1\)/,
  );
});
