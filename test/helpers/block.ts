/**
 * Workload source that blocks its thread for good, as a hook's `for (;;) {}` does, without
 * holding a core for the whole hook timeout and grace: each turn of the loop sleeps 20 ms in
 * Atomics.wait, so the thread's event loop never comes round (no timer, message or hook-watch
 * beat), and the loop still checks for termination at every turn as a spin does at its back edge.
 * A spin burns what the rest of the suite needs: up to 8 s of a core per test on an idle machine.
 */
export const BLOCK_FOREVER =
  'for (const cell = new Int32Array(new SharedArrayBuffer(4)); ; ) Atomics.wait(cell, 0, 0, 20);';
