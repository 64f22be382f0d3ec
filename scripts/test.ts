/**
 * The part of `npm test` after the build: what the tests need (test-deps.ts), then the files
 * that may run side by side, three at a time, with the lint beside them, then test/serial/ one
 * file at a time with nothing beside it (those tests measure time, CPU or memory).
 *
 * The lint is one thread of CPU for most of a minute (typescript-eslint type-checks every file)
 * and the parallel files leave about a core idle while they wait on brokers and timers, so the
 * lint goes there rather than before them; its output is held back and printed whole after the
 * parallel files, so it does not cut through theirs. The longest files start first, so the last
 * ones to start are short and the two cores stay busy to the end.
 *
 * Exit status: 0 when the lint and every file pass, 1 otherwise (every part runs regardless).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tests = join(root, 'dist', 'test');

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

let lintOutput = '';
const lint = spawn('npm', ['run', 'lint'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
lint.stdout.on('data', (chunk: Buffer) => (lintOutput += chunk.toString()));
lint.stderr.on('data', (chunk: Buffer) => (lintOutput += chunk.toString()));
const linted = new Promise<number>((resolve) => lint.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

const parallel = await nodeTest(['--test-concurrency=3', ...parallelFiles()]);
const lintCode = await linted;
process.stdout.write(`\n${lintOutput.trim()}\n${lintCode === 0 ? 'lint: ok' : `lint: failed (exit ${lintCode})`}\n\n`);
const serial = await nodeTest(['--test-concurrency=1', ...files(join(tests, 'serial'))]);

process.exitCode = parallel === 0 && lintCode === 0 && serial === 0 ? 0 : 1;
