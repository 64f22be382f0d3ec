/**
 * The connection attempts a run keeps in flight, one window shared by every thread of the
 * process. Brokers accept connections from a small listen backlog (Mosquitto: 100); a thousand
 * SYNs at once lose some, and each lost SYN costs a 1-3 s retransmit. Keeping a bounded number
 * of attempts in flight connects a large fleet faster. The window lives in a SharedArrayBuffer
 * that every lane's thread reads and updates with Atomics, so a thousand threads of one client
 * each still keep one window, not a thousand.
 *
 * --connect-concurrency N fixes the window at N. By default (`auto`) it adapts (pacing.ts): it
 * starts small, grows while attempts complete about as fast as the quickest ever did, and backs
 * off when they queue (the broker's accept queue filling, or our own loop saturated) or take a
 * second (a SYN retransmit).
 */
import { nextWindow, PACING } from './pacing.js';

/** Int32 fields of the shared buffer. */
const IN_FLIGHT = 0;
const WINDOW = 1;
/** Bumped on every release and window change: a waiting lane waits on it, so no wake-up is lost. */
const GEN = 2;
const ADAPTIVE = 3;
/** The quickest attempt ever (µs): what an attempt costs with nothing queued. */
const BASE_US = 4;
/** The round under way: attempts completed, the quickest of them (µs), and those that signalled loss. */
const ROUND_N = 5;
const ROUND_MIN_US = 6;
const ROUND_LOSS = 7;
const SSTHRESH = 8;
/** The largest window reached. */
const PEAK = 9;
/** The round's CONNACKs: their sum (in tenths of a ms, each at most a second) and count, for its mean. */
const ROUND_SUM = 10;
const ROUND_ACKS = 11;
const FIELDS = 12;

const NONE = 0x7fffffff;

/** The shared window, made once per run by the main thread and handed to every lane: `auto` adapts, a number is fixed. */
export function newSlotsBuffer(size: number | 'auto'): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(FIELDS * Int32Array.BYTES_PER_ELEMENT);
  const f = new Int32Array(buffer);
  const adaptive = size === 'auto';
  f[WINDOW] = adaptive ? PACING.initial : size;
  f[PEAK] = f[WINDOW]!;
  f[ADAPTIVE] = adaptive ? 1 : 0;
  f[BASE_US] = NONE;
  f[ROUND_MIN_US] = NONE;
  f[SSTHRESH] = PACING.ssthresh;
  return buffer;
}

/** The window now and the largest reached, as the main thread reports them (stats lines, summary). */
export function windowOf(buffer: SharedArrayBuffer): { window: number; peak: number; inFlight: number } {
  const f = new Int32Array(buffer);
  return { window: Atomics.load(f, WINDOW), peak: Atomics.load(f, PEAK), inFlight: Atomics.load(f, IN_FLIGHT) };
}

/**
 * How long one wait lasts before the count is read again: a thread terminated while holding a
 * slot never gives it back, and the timer also keeps the waiting thread's event loop alive (a
 * waitAsync alone does not).
 */
const RECHECK_MS = 1000;

/** How an attempt went, for the adaptive window. */
export interface Outcome {
  ok: boolean;
  /** Its TCP connect (ms); 0 when it never connected. */
  tcpMs: number;
  /** CONNECT sent to CONNACK (ms): the broker's part; null when no CONNACK came. */
  connackMs: number | null;
}

/** Gives the slot back; with how the attempt went, the adaptive window learns from it. */
export type Release = (outcome?: Outcome) => void;

/**
 * One lane's view of the shared window. Its sessions wait in a queue of its own, served in
 * order; the lane alone waits on the shared buffer (one waitAsync, not one per client).
 */
export class Slots {
  private readonly f: Int32Array;
  private readonly queue: ((release: Release) => void)[] = [];
  private head = 0;
  private waiting = false;
  /** Told of every slot handed out (the lane makes its next session then: launcher.ts). */
  onGrant: (() => void) | null = null;

  constructor(buffer: SharedArrayBuffer) {
    this.f = new Int32Array(buffer);
  }

  /** The window now: how many attempts may be in flight in the whole process. */
  get window(): number {
    return Atomics.load(this.f, WINDOW);
  }

  acquire(): Promise<Release> {
    if (this.head === this.queue.length && this.take()) return Promise.resolve(this.releaser());
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.pump();
    });
  }

  /** One slot if the window has room. */
  private take(): boolean {
    const f = this.f;
    for (;;) {
      const n = Atomics.load(f, IN_FLIGHT);
      if (n >= Atomics.load(f, WINDOW)) return false;
      if (Atomics.compareExchange(f, IN_FLIGHT, n, n + 1) === n) return true;
    }
  }

  /** Hand slots to the queue in order while the window has room; else wait for a change. */
  private pump(): void {
    const f = this.f;
    while (this.head < this.queue.length) {
      const gen = Atomics.load(f, GEN);
      if (!this.take()) {
        if (!this.waiting) void this.wait(gen);
        return;
      }
      const resolve = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      resolve(this.releaser());
    }
    this.queue.length = 0;
    this.head = 0;
  }

  private async wait(gen: number): Promise<void> {
    this.waiting = true;
    const wait = Atomics.waitAsync(this.f, GEN, gen, RECHECK_MS);
    if (wait.async) {
      const keepAlive = setTimeout(() => {}, RECHECK_MS);
      await wait.value;
      clearTimeout(keepAlive);
    }
    this.waiting = false;
    this.pump();
  }

  private releaser(): Release {
    this.onGrant?.();
    const startedAt = performance.now();
    let released = false;
    return (outcome) => {
      if (released) return;
      released = true;
      const f = this.f;
      Atomics.sub(f, IN_FLIGHT, 1);
      if (outcome && Atomics.load(f, ADAPTIVE) === 1) this.adapt(outcome, performance.now() - startedAt);
      Atomics.add(f, GEN, 1);
      // As many waiting lanes as there are free slots (the window may have grown by more than
      // this one): not every lane, which with a thread per client would be a thousand wake-ups.
      Atomics.notify(f, GEN, Math.max(1, Atomics.load(f, WINDOW) - Atomics.load(f, IN_FLIGHT)));
      // This lane's own queue first (no wake-up needed for it).
      if (this.head < this.queue.length) this.pump();
    };
  }

  /**
   * One attempt's outcome into the round under way; the attempt that completes a round (a
   * window's worth) sets the next window. Racing threads may blur a round's edges by an attempt
   * or two, which the rule does not mind; the window itself only changes by compare-exchange.
   */
  private adapt(outcome: Outcome, ms: number): void {
    const f = this.f;
    // The broker's part of the attempt, CONNECT to CONNACK, is what queues when it cannot keep
    // up (its accept queue). A loss is a TCP connect of a second (a SYN retransmit) or a failure
    // after a second (a timeout); a failure that came quickly (refused, reset) says nothing. A
    // slow CONNACK is queueing, not a loss: a busy thread (starting up, say) reads it late too.
    if (outcome.connackMs !== null) {
      const us = Math.min(NONE - 1, Math.max(1, Math.round(outcome.connackMs * 1000)));
      lower(f, BASE_US, us);
      lower(f, ROUND_MIN_US, us);
      Atomics.add(f, ROUND_SUM, Math.min(10_000, Math.round(outcome.connackMs * 10)));
      Atomics.add(f, ROUND_ACKS, 1);
    }
    const lossMs = PACING.lossMs;
    if (outcome.tcpMs >= lossMs || (!outcome.ok && ms >= lossMs)) Atomics.add(f, ROUND_LOSS, 1);
    const n = Atomics.add(f, ROUND_N, 1) + 1;
    const window = Atomics.load(f, WINDOW);
    if (n < window || Atomics.compareExchange(f, ROUND_N, n, 0) !== n) return;
    const roundMinUs = Atomics.exchange(f, ROUND_MIN_US, NONE);
    const losses = Atomics.exchange(f, ROUND_LOSS, 0);
    const acks = Atomics.exchange(f, ROUND_ACKS, 0);
    const sum = Atomics.exchange(f, ROUND_SUM, 0);
    const next = nextWindow({
      window,
      ssthresh: Atomics.load(f, SSTHRESH),
      baseMs: Atomics.load(f, BASE_US) / 1000,
      roundMinMs: roundMinUs === NONE ? null : roundMinUs / 1000,
      roundMeanMs: acks === 0 ? null : sum / 10 / acks,
      losses,
    });
    Atomics.store(f, SSTHRESH, next.ssthresh);
    if (Atomics.compareExchange(f, WINDOW, window, next.window) === window) {
      for (let peak = Atomics.load(f, PEAK); next.window > peak; peak = Atomics.load(f, PEAK))
        Atomics.compareExchange(f, PEAK, peak, next.window);
    }
  }
}

/** f[i] = min(f[i], value), atomically. */
function lower(f: Int32Array, i: number, value: number): void {
  for (let cur = Atomics.load(f, i); value < cur; cur = Atomics.load(f, i))
    if (Atomics.compareExchange(f, i, cur, value) === cur) return;
}
