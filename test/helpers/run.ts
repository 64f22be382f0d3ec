import type { TestContext } from 'node:test';
import { run, type RunControl, type RunOptions, type Summary } from '../../src/index.js';
import { withTimeout } from './wait.js';

/**
 * run(), stopped when the test ends: if the test fails before awaiting it, the run is aborted
 * (clients disconnect, the summary so far is returned) instead of going on in the background.
 */
export function runForTest(t: TestContext, options: RunOptions & Omit<RunControl, 'signal'>): Promise<Summary> {
  const controller = new AbortController();
  const running = run({ ...options, signal: controller.signal });
  t.after(async () => {
    controller.abort('SIGINT');
    await withTimeout(
      running.catch(() => undefined),
      30_000,
      'the aborted run to end in teardown',
    );
  });
  return running;
}
