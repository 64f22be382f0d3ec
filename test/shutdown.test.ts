import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { withTimeout } from './helpers/wait.js';

const publishing = (lines: Record<string, unknown>[]): boolean =>
  lines.some((l) => l.type === 'stats' && (l.published as number) > 0);

// SIGINT with a thread per client (the default: the stop goes to every thread); the other two
// signals take the same way to the stop from there, their clients on the main loop.
for (const { signal, code, threads } of [
  { signal: 'SIGINT', code: 130, threads: [] },
  { signal: 'SIGTERM', code: 143, threads: ['--threads', '0'] },
  // A closed terminal: handled like SIGTERM, so no client leaves without DISCONNECT (no will fires).
  { signal: 'SIGHUP', code: 129, threads: ['--threads', '0'] },
] as const) {
  test(`${signal}: clients drain and DISCONNECT, the summary so far is printed with interrupted: true, exit ${code}`, async (t) => {
    const mosquitto = await Mosquitto.start();
    t.after(() => mosquitto.stop());
    const runId = signal.toLowerCase();
    const cli = spawnCli(
      t,
      [
        'run',
        '-b',
        mosquitto.url,
        '-c',
        '4',
        '--duration',
        '60s',
        '--rate',
        '50',
        '--qos',
        '1',
        '--run-id',
        runId,
        '--json',
        '--stats-interval',
        '200ms',
        ...threads,
      ],
      { json: true },
    );
    await cli.changed.until(() => publishing(cli.lines), 30_000, 'publishing to start');
    cli.child.kill(signal);
    const exit = await withTimeout(cli.exit, 20_000, `the CLI to exit after ${signal}`);
    assert.equal(exit.code, code);
    const summary = cli.lines.at(-1)!;
    assert.equal(summary.type, 'summary');
    assert.equal(summary.interrupted, true);
    assert.equal(summary.exitCode, code);
    assert.ok((summary.published as number) > 0);
    assert.equal(summary.inFlight, 0, 'outstanding acknowledgements were waited for');
    const ids = Array.from({ length: 4 }, (_, i) => `mqtt-fleet-${runId}-${i}`);
    assert.deepEqual(mosquitto.withoutDisconnect(ids), [], 'every client sent DISCONNECT');
    for (let i = 0; i < 4; i++) {
      const about = mosquitto.linesAbout(`mqtt-fleet-${runId}-${i}`);
      assert.ok(
        !about.some((l) => /closed its connection|Socket error|will/i.test(l)),
        `client ${i} left cleanly: ${about.slice(-3).join(' | ')}`,
      );
    }
    assert.match(cli.stderr(), /interrupted/);
  });
}

test('Ctrl-C with the embedded broker: clients stop, the summary is printed, the broker process is stopped too', async (t) => {
  const cli = spawnCli(
    t,
    [
      'run',
      '-c',
      '3',
      '--duration',
      '60s',
      '--rate',
      '20',
      '--json',
      '--stats-interval',
      '200ms',
      '--log-level',
      'debug',
      // The clients on the main loop: what is checked is the broker process.
      '--threads',
      '0',
    ],
    { json: true },
  );
  await cli.changed.until(() => publishing(cli.lines), 30_000, 'publishing to start');
  const brokerPid = Number(/embedded Aedes broker listening on \S+ \(pid (\d+)\)/.exec(cli.stderr())?.[1]);
  assert.ok(brokerPid > 0, `the embedded broker's pid is logged: ${cli.stderr().slice(0, 500)}`);
  cli.child.kill('SIGINT');
  const { code } = await withTimeout(cli.exit, 20_000, 'the CLI to exit after SIGINT');
  assert.equal(code, 130);
  assert.equal(cli.lines.at(-1)!.interrupted, true);
  assert.ok(!existsSync(`/proc/${brokerPid}`), 'the embedded broker process is gone');
});
