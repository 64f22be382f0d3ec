/**
 * Starts a lane's sessions in order, each only when it is near its turn for a connect slot. Made
 * all at once, 5,000 sessions were built, their clients made and their `connecting` reported
 * before the first of them could connect (its continuation queued behind every other's): about
 * 300 ms of one core with nothing in flight and the broker idle. Here a session is made when
 * fewer than `ahead()` started ones are still waiting for their first slot, so the first
 * attempts leave at once and the rest are built while those wait for their CONNACKs. (It does
 * not make less garbage: with --trace-gc, 44-46 scavenges either way.)
 */
import type { Session } from './session.js';

export class Launcher {
  /** The sessions made so far, in order. */
  readonly sessions: Session[] = [];
  /** Settles once every session has been made and its run() has settled. */
  readonly done: Promise<void>;
  private next = 0;
  /** Made and not yet granted a slot (nor ended): loose, since a reconnect's grant counts too, which only starts one sooner. */
  private waiting = 0;
  private settled = 0;
  private filling = false;
  private resolveDone!: () => void;

  constructor(
    private readonly count: number,
    private readonly make: (i: number) => Session,
    /** How many made sessions may wait for a slot at once: at least the window, so no slot goes unused. */
    private readonly ahead: () => number,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    if (count === 0) this.resolveDone();
  }

  /** Makes sessions until `ahead()` of them wait for a slot. */
  fill(): void {
    this.filling = false;
    const ahead = this.ahead();
    while (this.next < this.count && this.waiting < ahead) this.launch();
  }

  /** Every session not made yet, now (a stop, or a plan whose every client waits for the start barrier). */
  all(): void {
    while (this.next < this.count) this.launch();
  }

  /** A slot was handed out: one more may be made, once the granting code has returned. */
  granted(): void {
    if (this.waiting > 0) this.waiting--;
    if (this.filling || this.next === this.count) return;
    this.filling = true;
    queueMicrotask(() => this.fill());
  }

  private launch(): void {
    const session = this.make(this.next++);
    this.sessions.push(session);
    this.waiting++;
    // run() never rejects: a failure becomes the session's `failed` status.
    void session.run().then(() => {
      // Ended without a slot (a failure in set-up, a stop): its place is free.
      this.granted();
      if (++this.settled === this.count) this.resolveDone();
    });
  }
}
