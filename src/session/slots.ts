/**
 * A counting semaphore for connection attempts. Brokers accept connections from a small listen
 * backlog (Mosquitto: 100); a thousand SYNs at once lose some, and each lost SYN costs a 1-3 s
 * retransmit. Keeping a bounded number of attempts in flight connects a large fleet faster.
 */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
