/**
 * The part of `npm test` after the build: what the tests need (test-deps.ts), then the files
 * that may run side by side, several at a time, then test/serial/ one file at a time with
 * nothing beside it (those tests measure time, CPU or memory).
 *
 * Most files spend their time waiting on brokers, timers and child processes, not computing, so
 * more run at once than there are cores. The longest files start first, so the last ones to start
 * are short and the cores stay busy to the end. The lint is not part of the tests: `npm run lint`
 * (CI runs both).
 *
 * Exit status: 0 when every file passes, 1 otherwise (the serial files run regardless).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tests = join(root, 'dist', 'test');

/** Files at once beside each other: measured on two cores (README, Development). */
const CONCURRENCY = 3;

/** The files that take longest (wall time, in seconds of a run beside others): started first. */
const LONGEST_FIRST = [
  'secrets',
  'shards',
  'process-end',
  'cli',
  'workload-hangs',
  'observability',
  'refusals',
  'compare',
  'examples',
  'schedule',
  'accounting',
  'run-mosquitto',
  'shutdown',
  'stop-grace',
];

function files(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join(dir, f));
}

function parallelFiles(): string[] {
  const all = [...files(tests), ...files(join(tests, 'unit'))];
  const first = LONGEST_FIRST.map((name) => join(tests, `${name}.test.js`)).filter((f) => existsSync(f));
  return [...first, ...all.filter((f) => !first.includes(f))];
}

function nodeTest(args: string[]): Promise<number> {
  const child = spawn(process.execPath, ['--test', '--test-timeout=300000', ...args], { stdio: 'inherit', cwd: root });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

const deps = spawnSync(process.execPath, [join(root, 'dist', 'scripts', 'test-deps.js')], { stdio: 'inherit' });
if (deps.status !== 0) process.exit(1);

const parallel = await nodeTest([`--test-concurrency=${CONCURRENCY}`, ...parallelFiles()]);
const serial = await nodeTest(['--test-concurrency=1', ...files(join(tests, 'serial'))]);

process.exitCode = parallel === 0 && serial === 0 ? 0 : 1;
