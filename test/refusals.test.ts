import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveOptions } from '../src/index.js';
import { checkBooleanValues } from '../src/options/flags.js';
import { planCompare } from '../src/run/compare.js';
import { aedesForTest } from './helpers/aedes.js';
import { tempDir, tempFile } from './helpers/temp.js';
import { refused } from './helpers/refused.js';
import { refusedRun, throwsUsage } from './helpers/usage.js';

test('CLI: a bare number is no duration; durations and times past their bounds are refused', async (t) => {
  // One spawned CLI for what the process adds (exit 2, the one line, nothing on stdout); the other
  // cases through the validation it calls, in this process (the bounds themselves: test/unit/input-bounds).
  await refused(t, ['run', '--duration', '10'], '--duration needs a unit: 10s, 500ms or 2m (got "10")');
  refusedRun({ 'connect-timeout': '3' }, '--connect-timeout needs a unit: 10s, 500ms or 2m (got "3")');
  refusedRun({ duration: '600h' }, '--duration must be at most 24d (got "600h")');
  refusedRun({ 'stats-interval': '1000h' }, '--stats-interval must be at most 1h (got "1000h")');
  refusedRun(
    { 'start-at': '2099-01-01T00:00:00Z', shard: '0/2', 'run-id': 'r' },
    '--start-at must be at most 24h ahead (got "2099-01-01T00:00:00Z")',
  );
  // compare resolves each mode's options as run does (its own refusals spawn in compare.test).
  throwsUsage(() => planCompare({ work: '5' }), '--work needs a unit: 10s, 500ms or 2m (got "5")');
});

test('CLI: fleets past what can be planned are refused at once, before anything is allocated per client', async (t) => {
  // A 64 MB heap: a list of the fleet's clients, or any other per-client allocation, would abort (exit 134).
  const small = { NODE_OPTIONS: '--max-old-space-size=64' };
  const cases: [string[], string][] = [
    [['run', '-c', '100000000'], '--clients must be at most 1000000 (1m) (got 100000000)'],
    [['run', '-c', '1000000000', '--threads', '0'], '--clients must be at most 1000000 (1m) (got 1000000000)'],
  ];
  // Independent processes: side by side.
  await Promise.all(
    cases.map(async ([args, line]) => {
      const took = await refused(t, args, line, small);
      // Before: 85 s and 3.5 GB for -c 1e8. Now: the CLI's own start-up (about 1 s on a busy 2-core machine).
      assert.ok(took < 10_000, `${args.join(' ')} refused in ${Math.round(took)} ms`);
    }),
  );
  // Past what a number holds exactly as well: the same bound, in this process.
  refusedRun({ clients: '1000000000000' }, '--clients must be at most 1000000 (1m) (got 1000000000000)');
  // In the library, without the process start-up: the bound and the machine checks are arithmetic.
  const { checkMachineLimits } = await import('../src/options/limits.js');
  const started = performance.now();
  assert.throws(() =>
    checkMachineLimits(resolveOptions({ clients: '1m', threads: 0, brokers: ['mqtt://127.0.0.1:1'] }, {})),
  );
  assert.ok(
    performance.now() - started < 500,
    `a million clients checked in ${Math.round(performance.now() - started)} ms`,
  );
});

test('CLI: booleans take only true or false', async (t) => {
  // yargs would read `--clean=nope` as false: the CLI checks the raw argv of every command first
  // (spawned: merge's), through checkBooleanValues (the others: in this process).
  await refused(t, ['merge', 'x.json', '--json=yes'], '--json must be true or false (got "yes")');
  throwsUsage(() => checkBooleanValues(['run', '--clean=nope']), '--clean must be true or false (got "nope")');
  throwsUsage(() => checkBooleanValues(['run', '--retain=TRUE']), '--retain must be true or false (got "TRUE")');
  throwsUsage(
    () => checkBooleanValues(['run', '--printMessages=1']),
    '--print-messages must be true or false (got "1")',
  );
});

test('CLI: an empty broker URL is refused, not taken for the embedded broker', async (t) => {
  await refused(
    t,
    ['run', '-b', ''],
    '--broker must not be empty: give a URL like mqtt://127.0.0.1:1883, or leave --broker out for the embedded broker',
  );
});

test('CLI: /dev/zero as an option file, a scenario alias bomb: refused naming the option, the file and the line', async (t) => {
  // Spawned: run's and report's (two commands); --cert and the scenario through run's validation, here.
  const files = [
    refused(
      t,
      ['run', '-u', 'u', '--password-file', '/dev/zero'],
      '--password-file: "/dev/zero" is not a regular file',
    ),
    refused(t, ['report', '/dev/zero', '-o', join(tempDir(t), 'r.html')], 'report: "/dev/zero" is not a regular file'),
  ];
  refusedRun({ key: '/dev/zero', cert: '/dev/zero' }, '--cert: "/dev/zero" is not a regular file');
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let n = 1; n < 9; n++)
    levels.push(
      `${String.fromCharCode(97 + n)}: &${String.fromCharCode(97 + n)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + n)}`)
        .join(', ')}]`,
    );
  const bomb = tempFile(t, 'bomb.yaml', `${levels.join('\n')}\ngroups:\n  - { name: g, count: 1 }\n`);
  refusedRun(
    { scenario: bomb },
    `${bomb}:5:36: aliases expand the scenario by more than 100000 values (an alias bomb?)`,
  );
  // Independent processes: side by side.
  await Promise.all(files);
});

test('CLI: a topic or client id MQTT cannot carry is refused before any client connects', async (t) => {
  const broker = await aedesForTest(t);
  let connections = 0;
  broker.broker.on('client', () => connections++);
  await refused(
    t,
    ['run', '-b', broker.url, '-c', '2', '--threads', '0', '--count', '1', '-t', `${'a'.repeat(65_534)}/{i}`],
    '--topic renders to 65536 bytes for client 1; MQTT allows at most 65535 bytes in a topic',
  );
  assert.equal(connections, 0, 'no client connected (--topic)');
  // The client id: refused by the same resolution, before run() is reached (here, in this process).
  refusedRun(
    { clients: '2', 'id-prefix': 'p'.repeat(65_535) },
    '--id-prefix renders to 65536 bytes for client 1; MQTT allows at most 65535 bytes in a client id',
  );
});

test('a taken --metrics-port is exit 2 naming it and the port, before any --out file is created or truncated', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const dir = tempDir(t);
  const existing = join(dir, 'kept.csv');
  writeFileSync(existing, 'an earlier run\n');
  const before = statSync(existing).mtimeMs;
  const fresh = join(dir, 'new.ndjson');
  // No --broker: the refusal comes before the embedded broker starts too (no log line).
  await refused(
    t,
    ['run', '--metrics-port', String(port), '--out', `csv=${existing}`, '--out', `ndjson=${fresh}`],
    `--metrics-port: cannot listen on 127.0.0.1:${port} (EADDRINUSE: the port is taken)`,
  );
  assert.equal(readFileSync(existing, 'utf8'), 'an earlier run\n');
  assert.equal(statSync(existing).mtimeMs, before);
  assert.equal(existsSync(fresh), false, 'no --out file created');
});
