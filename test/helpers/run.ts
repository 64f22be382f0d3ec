import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  run,
  type RunControl,
  type RunEvent,
  type RunOptions,
  type StatusLine,
  type Summary,
} from '../../src/index.js';
import type { ShardResult } from '../../src/shard/result.js';
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
export function abortableRun(
  t: TestContext,
  options: RunOptions & Omit<RunControl, 'signal' | 'onEvent'>,
): { controller: AbortController; statuses: StatusLine[]; changed: Condition; running: Promise<Summary> } {
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

/**
 * The shards of one fleet of `count`, each a run() of its own in this process (runForTest) with a
 * common --start-at `leadMs` ahead, on the broker `urlFor(i)` (`url` for all by default), each
 * writing its result file as a shard's process would (`dir`/shard-<i>.json): the files are read
 * back and returned in shard order. Ready within a second; a spawned shard costs about 0.4 CPU-s
 * of Node and CLI start-up.
 */
export async function runShards(
  t: TestContext,
  url: string,
  runId: string,
  count: number,
  fleet: RunOptions,
  dir: string,
  urlFor: (i: number) => string = () => url,
  leadMs = 2500,
): Promise<ShardResult[]> {
  const startAt = new Date(Date.now() + leadMs).toISOString();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      withTimeout(
        runForTest(t, {
          ...fleet,
          brokers: [urlFor(i)],
          shard: `${i}/${count}`,
          runId,
          startAt,
          out: [`result=${join(dir, `shard-${i}.json`)}`],
        }),
        60_000,
        'a shard to finish',
      ),
    ),
  );
  const results = Array.from(
    { length: count },
    (_, i) => JSON.parse(readFileSync(join(dir, `shard-${i}.json`), 'utf8')) as ShardResult,
  );
  // How much of the lead the slowest shard left: what a shorter lead would cost.
  t.diagnostic(
    `${runId}: the last shard ready ${Math.max(...results.map((r) => r.readyAt! - r.startAt!))} ms after --start-at (a lead of ${leadMs} ms)`,
  );
  return results;
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
