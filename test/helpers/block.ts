/**
 * Workload source that blocks its thread for good, as a hook's `for (;;) {}` does, without
 * holding a core for the whole hook timeout and grace: each turn of the loop sleeps 20 ms in
 * Atomics.wait, so the thread's event loop never comes round (no timer, message or hook-watch
 * beat), and the loop still checks for termination at every turn as a spin does at its back edge.
 * A spin burns what the rest of the suite needs: up to 8 s of a core per test on an idle machine.
 */
export const BLOCK_FOREVER =
  'for (const cell = new Int32Array(new SharedArrayBuffer(4)); ; ) Atomics.wait(cell, 0, 0, 20);';

/**
 * Workload source of a function, blockUntil, that blocks its thread until performance.now()
 * reaches `until`, as a busy loop does, but asleep in Atomics.wait: the event loop stands still (no
 * timer, message or send goes out) without a core spinning for it (a spin cost 2.3 CPU-s of
 * schedule.test.ts).
 */
export const BLOCK_UNTIL = `function blockUntil(until) {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let left = until - performance.now(); left > 0; left = until - performance.now()) Atomics.wait(cell, 0, 0, left);
}`;
