/**
 * How a thread that runs workload hooks shows another thread that a hook has blocked it: a
 * synchronous loop in a hook cannot be interrupted from inside (no timer of the thread ever
 * fires again), so the lane keeps a few counters in a SharedArrayBuffer that the main thread
 * (worker modes) or a watchdog thread (single loop) reads. No clocks here: the lane only counts
 * the turns of its event loop; the reader times how long the count has stood still.
 */

import { HOOKS } from './workload.js';

/** Which hook a client entered; `import` is the loading of the module itself. */
export const HOOK_NAMES = ['import', ...HOOKS] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** Int32 cells of the buffer. */
const BEAT = 0; // bumped on every batch timer, and whenever a hook is entered, runs or is left
const ACTIVE = 1; // hook calls in progress (an async one counts until it settles or times out)
const HOOK = 2; // index into HOOK_NAMES of the hook whose code ran last
const CLIENT = 3; // the fleet index of its client
const CELLS = 4;

export function newWatchBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(CELLS * Int32Array.BYTES_PER_ELEMENT);
}

/** The writing side, in the lane's thread. Without a buffer (no workload) it writes to a private array. */
export class HookWatch {
  private readonly cells: Int32Array;

  constructor(buffer: SharedArrayBuffer | undefined) {
    this.cells = new Int32Array(buffer ?? new ArrayBuffer(CELLS * Int32Array.BYTES_PER_ELEMENT));
  }

  /** The event loop came round (the lane's batch timer). */
  beat(): void {
    Atomics.add(this.cells, BEAT, 1);
  }

  /** A hook call begins; it is in progress until `leave`. */
  enter(): void {
    Atomics.add(this.cells, ACTIVE, 1);
    Atomics.add(this.cells, BEAT, 1);
  }

  /**
   * The hook's own code is about to run, now, synchronously: should the loop never come round
   * again, this is the one to blame (calls overlap, so the last to enter may not be).
   */
  running(hook: HookName, client: number): void {
    const cells = this.cells;
    Atomics.store(cells, HOOK, HOOK_NAMES.indexOf(hook));
    Atomics.store(cells, CLIENT, client);
    Atomics.add(cells, BEAT, 1);
  }

  leave(): void {
    Atomics.sub(this.cells, ACTIVE, 1);
    Atomics.add(this.cells, BEAT, 1);
  }

  /** `work` as `hook` of `client`, in progress until it settles. */
  async during<T>(hook: HookName, client: number, work: () => Promise<T>): Promise<T> {
    this.enter();
    try {
      this.running(hook, client);
      return await work();
    } finally {
      this.leave();
    }
  }
}

/** A hook that has held its thread's event loop. */
export interface BlockedHook {
  hook: HookName;
  client: number;
  /** How long the loop has not come round, as far as the reader saw. */
  blockedMs: number;
}

/**
 * The reading side: call `check(now)` periodically from another thread. It reports a hook once
 * the loop has stood still for longer than `limitMs` while a hook was in progress.
 */
export class HookWatchReader {
  private readonly cells: Int32Array;
  private lastBeat = -1;
  private since = 0;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly limitMs: number,
  ) {
    this.cells = new Int32Array(buffer);
  }

  check(now: number): BlockedHook | null {
    const beat = Atomics.load(this.cells, BEAT);
    if (beat !== this.lastBeat) {
      this.lastBeat = beat;
      this.since = now;
      return null;
    }
    if (Atomics.load(this.cells, ACTIVE) <= 0 || now - this.since <= this.limitMs) return null;
    return {
      hook: HOOK_NAMES[Atomics.load(this.cells, HOOK)] ?? 'setup',
      client: Atomics.load(this.cells, CLIENT),
      blockedMs: Math.round(now - this.since),
    };
  }
}

/** Beyond --hook-timeout, how long a loop may stand still in a hook before its thread is ended from outside. */
export const WATCH_GRACE_MS = 1000;
/** How often the reader looks. */
export const WATCH_POLL_MS = 100;
