/**
 * A preload for test files (`node --test --import ./dist/scripts/test-times.js`, or `npm test`
 * with TEST_TIMES=<file>): when a test file's process exits, it appends one line to the file
 * TEST_TIMES names: the test file, its wall time since the process started, and its CPU time,
 * its own (every thread) and its children's (the CLIs and brokers it spawned and waited for),
 * from /proc/self/stat. What keeps scripts/test.ts's LONGEST_FIRST right, and the CPU-seconds
 * figures in README ("Development") honest: CPU time holds up on a busy machine, wall does not.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const out = process.env.TEST_TIMES;
const file = process.argv[1] ?? '';
/** Clock ticks per second (USER_HZ): 100 on Linux everywhere that matters. */
const HZ = 100;

if (out && file.endsWith('.test.js')) {
  process.on('exit', () => {
    // Fields after the command name's closing parenthesis: utime is the 12th, cutime the 14th.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = (n: number): number => Number(fields[n]) / HZ;
    const own = ticks(11) + ticks(12);
    const children = ticks(13) + ticks(14);
    const line = {
      file: relative(process.cwd(), file),
      // When it started (ms since the epoch), for reading the file by hand: when each file ran,
      // beside which others (scripts/test.ts's table shows only wall and CPU).
      startedAt: Math.round(performance.timeOrigin),
      wallS: Math.round(performance.now()) / 1000,
      cpuS: Math.round((own + children) * 100) / 100,
      ownCpuS: Math.round(own * 100) / 100,
      childCpuS: Math.round(children * 100) / 100,
      exitCode: process.exitCode ?? 0,
    };
    appendFileSync(out, JSON.stringify(line) + '\n');
  });
}
