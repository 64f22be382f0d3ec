import type { TestContext } from 'node:test';
import {
  run,
  type RunControl,
  type RunEvent,
  type RunOptions,
  type StatusLine,
  type Summary,
} from '../../src/index.js';
import { Condition, withTimeout } from './wait.js';

/**
 * run(), stopped when the test ends: if the test fails before awaiting it, the run is aborted
 * (clients disconnect, the summary so far is returned) instead of going on in the background.
 */
export function runForTest(t: TestContext, options: RunOptions & Omit<RunControl, 'signal'>): Promise<Summary> {
  const controller = new AbortController();
  const running = run({ ...options, signal: controller.signal });
  abortInTeardown(t, controller, running);
  return running;
}

/** A run with an AbortController and every status collected, aborted in teardown if still going. */
export function abortableRun(t: TestContext, options: Parameters<typeof run>[0]) {
  const controller = new AbortController();
  const statuses: StatusLine[] = [];
  const changed = new Condition();
  const running = run({
    ...options,
    signal: controller.signal,
    onEvent: (e: RunEvent) => {
      if (e.type === 'status') statuses.push(e);
      changed.notify();
    },
  });
  abortInTeardown(t, controller, running);
  return { controller, statuses, changed, running };
}

/** If the test ends with the run still going (it failed first), the run is aborted and awaited. */
function abortInTeardown(t: TestContext, controller: AbortController, running: Promise<Summary>): void {
  t.after(async () => {
    controller.abort('SIGINT');
    await withTimeout(
      running.catch(() => undefined),
      30_000,
      'the aborted run to end in teardown',
    );
  });
}
