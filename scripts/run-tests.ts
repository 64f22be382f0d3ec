/**
 * Runs the test files named on the command line, `--concurrency=N` at a time, in the order given,
 * with the reporter `node --test` would use (spec on a terminal, TAP otherwise). `node --test`
 * itself sorts the files it is given by name, so the longest could not start first
 * (scripts/test.ts); node:test's run() keeps the order. Each file still runs in a process of its
 * own, with this process's Node options (scripts/test.ts passes its TEST_TIMES preload that way).
 * Exit status: 0 when every test passed, 1 otherwise.
 */
import { Readable } from 'node:stream';
import { run } from 'node:test';
import { spec, tap, type TestEvent } from 'node:test/reporters';

const CONCURRENCY = '--concurrency=';
const given = process.argv.slice(2);
const concurrency = Number(given.find((a) => a.startsWith(CONCURRENCY))?.slice(CONCURRENCY.length) ?? 1);
const files = given.filter((a) => !a.startsWith(CONCURRENCY));

let failed = 0;
// 300 s for each file as a whole: run() gives its timeout to each file's test, not to the tests
// in it (as `node --test --test-timeout` did before). No file comes near it (the longest, ~30 s).
const tests = run({ files, concurrency, timeout: 300_000 });
tests.on('test:fail', () => failed++);
tests.on('end', () => {
  process.exitCode = failed === 0 ? 0 : 1;
});
if (process.stdout.isTTY) tests.pipe(new spec()).pipe(process.stdout);
else Readable.from(tap(tests[Symbol.asyncIterator]() as AsyncGenerator<TestEvent, void>)).pipe(process.stdout);
