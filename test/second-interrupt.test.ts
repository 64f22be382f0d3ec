import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { withTimeout } from './helpers/wait.js';

const publishing = (lines: Record<string, unknown>[]): boolean =>
  lines.some((l) => l.type === 'stats' && (l.published as number) > 0);

// It bounds how long the process takes to exit at 3 s, where it takes milliseconds: a busy
// machine (other test files beside it) does not stretch that to seconds.
test('a second Ctrl-C while clients wait for a stalled broker exits at once', async (t) => {
  const mosquitto = await Mosquitto.start();
  t.after(async () => {
    await mosquitto.kill('SIGCONT');
    await mosquitto.stop();
  });
  const cli = spawnCli(
    t,
    [
      'run',
      '-b',
      mosquitto.url,
      '-c',
      '2',
      '--duration',
      '60s',
      '--rate',
      '50',
      '--qos',
      '1',
      '--drain-timeout',
      '60s',
      '--json',
      '--stats-interval',
      '200ms',
    ],
    { json: true },
  );
  await cli.changed.until(() => publishing(cli.lines), 30_000, 'publishing to start');
  await mosquitto.kill('SIGSTOP');
  cli.child.kill('SIGINT');
  // The first Ctrl-C waits (up to --drain-timeout) for acknowledgements that cannot come.
  await withTimeout(
    new Promise<void>((resolve) =>
      cli.child.stderr!.on('data', () => /stopping clients cleanly/.test(cli.stderr()) && resolve()),
    ),
    10_000,
    'the first SIGINT to be handled',
  );
  const started = Date.now();
  cli.child.kill('SIGINT');
  const { code } = await withTimeout(cli.exit, 20_000, 'the CLI to exit on the second SIGINT');
  const tookMs = Date.now() - started;
  assert.equal(code, 130);
  // "At once": not after a drain (--drain-timeout 60s) nor any other wait of seconds.
  assert.ok(tookMs < 3_000, `exited ${tookMs} ms after the second SIGINT`);
});
