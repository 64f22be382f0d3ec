/**
 * A counting semaphore for connection attempts, shared by every thread of a run. Brokers accept
 * connections from a small listen backlog (Mosquitto: 100); a thousand SYNs at once lose some,
 * and each lost SYN costs a 1-3 s retransmit. Keeping a bounded number of attempts in flight
 * connects a large fleet faster. The bound is the whole process's (--connect-concurrency): the
 * count lives in a SharedArrayBuffer that every lane's thread decrements and increments with
 * Atomics, so a thousand threads of one client each still keep 64 attempts in flight, not 1,000.
 */

/** The shared count, made once per run by the main thread and handed to every lane. */
export function newSlotsBuffer(size: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  new Int32Array(buffer)[0] = size;
  return buffer;
}

/**
 * How long one wait lasts before the count is read again: a notify cannot be missed (waitAsync
 * compares the value first), but a thread terminated while holding a slot never gives it back,
 * and the timer also keeps the waiting thread's event loop alive (a waitAsync alone does not).
 */
const RECHECK_MS = 1000;

export class Slots {
  private readonly free: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.free = new Int32Array(buffer);
  }

  async acquire(): Promise<() => void> {
    const free = this.free;
    for (;;) {
      const n = Atomics.load(free, 0);
      if (n > 0) {
        if (Atomics.compareExchange(free, 0, n, n - 1) === n) break;
        continue;
      }
      const wait = Atomics.waitAsync(free, 0, n, RECHECK_MS);
      if (!wait.async) continue;
      const keepAlive = setTimeout(() => {}, RECHECK_MS);
      await wait.value;
      clearTimeout(keepAlive);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      Atomics.add(free, 0, 1);
      Atomics.notify(free, 0, 1);
    };
  }
}
