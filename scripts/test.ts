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
 * With TEST_TIMES=<file>, each test file's wall and CPU time (its own and its children's) is
 * appended to that file (scripts/test-times.ts) and a table of them printed at the end: what
 * LONGEST_FIRST and the figures in README ("Development") come from.
 *
 * Exit status: 0 when every file passes, 1 otherwise (the serial files run regardless).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tests = join(root, 'dist', 'test');

/**
 * Files at once beside each other, measured on an idle two-core machine (README, Development):
 * the tests side by side took 221 s at 3, 173 s at 5 and 146 s at 7, but at 7 a paced test
 * missed its count once (a product bug since fixed: the drain did not wait for messages without
 * a readable header). At 7 (with every shards test at once), run beside the unchanged suite at 5
 * and other work (load average 28), eleven tests missed there against five: five stays.
 * TEST_CONCURRENCY overrides it, to measure another.
 */
const CONCURRENCY = Number(process.env.TEST_CONCURRENCY ?? 5);
if (!Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) {
  process.stderr.write(`TEST_CONCURRENCY must be a whole number from 1 (got ${process.env.TEST_CONCURRENCY})\n`);
  process.exit(2);
}

/**
 * The files that take longest (wall time, in seconds of a run beside others): started first, so
 * the last to start are short and the cores stay busy to the end. From TEST_TIMES (see above) at
 * concurrency 5 on an idle 2-core machine, 2026-12-03 (352 tests): secrets 28 s, stages 27,
 * netns 25, schedule 25, comings 22, workload-hangs 21, shards 19, down to request-response 10.
 */
const LONGEST_FIRST = [
  'secrets',
  'stages',
  'netns',
  'schedule',
  'comings',
  'workload-hangs',
  'shards',
  'broker-stall',
  'shortfall',
  'accounting',
  'run-mosquitto',
  'process-end',
  'lean-client',
  'stop-grace',
  'find-max',
  'observability',
  'compare',
  'containment',
  'examples',
  'thresholds',
  'pacing',
  'credentials',
  'cli',
  'interop',
  'sessions',
  'steps',
  'largest-message',
  'reconnect-storm',
  'request-response',
];

function files(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join(dir, f));
}

// test/unit/'s files run in one process, through dist/test/unit.test.js (one of files(tests)).
function parallelFiles(): string[] {
  const all = files(tests);
  const first = LONGEST_FIRST.map((name) => join(tests, `${name}.test.js`)).filter((f) => existsSync(f));
  return [...first, ...all.filter((f) => !first.includes(f))];
}

const times = process.env.TEST_TIMES;
// This run's files only: the preload appends.
if (times) writeFileSync(times, '');
const preload = times ? ['--import', pathToFileURL(join(root, 'dist', 'scripts', 'test-times.js')).href] : [];

// Not `node --test`, which sorts the files it is given by name (scripts/run-tests.ts).
const runTests = join(root, 'dist', 'scripts', 'run-tests.js');

function nodeTest(args: string[]): Promise<number> {
  const child = spawn(process.execPath, [...preload, runTests, ...args], {
    stdio: 'inherit',
    cwd: root,
  });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

const deps = spawnSync(process.execPath, [join(root, 'dist', 'scripts', 'test-deps.js')], { stdio: 'inherit' });
if (deps.status !== 0) process.exit(1);

const startedAt = performance.now();
const parallel = await nodeTest([`--concurrency=${CONCURRENCY}`, ...parallelFiles()]);
const serialAt = performance.now();
const serial = await nodeTest(['--concurrency=1', ...files(join(tests, 'serial'))]);
const seconds = (ms: number): string => (ms / 1000).toFixed(1);

process.exitCode = parallel === 0 && serial === 0 ? 0 : 1;

if (times && existsSync(times)) {
  const rows = readFileSync(times, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { file: string; wallS: number; cpuS: number })
    .sort((a, b) => b.wallS - a.wallS);
  const total = rows.reduce((n, r) => n + r.cpuS, 0);
  process.stderr.write(`\nper file, longest first (${times}): wall s, CPU s (own + children)\n`);
  for (const r of rows)
    process.stderr.write(`${r.wallS.toFixed(1).padStart(7)} ${r.cpuS.toFixed(1).padStart(7)}  ${r.file}\n`);
  process.stderr.write(
    `${rows.length} files, ${total.toFixed(1)} CPU s; side by side ${seconds(serialAt - startedAt)} s, ` +
      `serial ${seconds(performance.now() - serialAt)} s\n`,
  );
}
