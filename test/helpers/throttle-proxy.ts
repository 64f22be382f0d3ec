import { connect, type Socket } from 'node:net';
import { TestServer } from './test-server.js';

/** How often the bucket is refilled and the queues drained. */
const TICK_MS = 2;

/** Bytes waiting to go one way on one connection. */
interface Queue {
  to: Socket;
  chunks: Buffer[];
  bytes: number;
}

/**
 * A TCP proxy in front of a broker whose whole capacity, both directions and every connection
 * together, is a fixed number of bytes per second: one token bucket (refilled every 2 ms, holding
 * at most 50 ms of bytes, so a late timer costs no capacity) paces every byte it passes on, in arrival order per connection and
 * round-robin across them. Nothing is dropped: what exceeds the rate waits in its queue, as on a
 * slow link, so latency grows without bound once the offered load passes the rate.
 */
export class ThrottleProxy extends TestServer {
  /** Bytes passed on, from the clients to the broker and back. */
  up = 0;
  down = 0;
  private readonly queues: Queue[] = [];
  private tokens = 0;
  private last = performance.now();
  private timer: NodeJS.Timeout | null = null;
  private next = 0;

  constructor(
    private readonly upstreamPort: number,
    readonly bytesPerSec: number,
  ) {
    super();
  }

  protected onConnection(client: Socket): void {
    client.setNoDelay(true);
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    this.track(upstream);
    upstream.setNoDelay(true);
    const toBroker: Queue = { to: upstream, chunks: [], bytes: 0 };
    const toClient: Queue = { to: client, chunks: [], bytes: 0 };
    this.queues.push(toBroker, toClient);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      for (const q of [toBroker, toClient]) {
        const n = this.queues.indexOf(q);
        if (n >= 0) this.queues.splice(n, 1);
      }
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('data', (chunk: Buffer) => this.enqueue(toBroker, chunk));
    upstream.on('data', (chunk: Buffer) => this.enqueue(toClient, chunk));
    this.timer ??= setInterval(() => this.pump(), TICK_MS);
  }

  private enqueue(queue: Queue, chunk: Buffer): void {
    queue.chunks.push(chunk);
    queue.bytes += chunk.length;
    this.pump();
  }

  /** Refill the bucket for the time since the last pump, then pass on what it allows. */
  private pump(): void {
    const now = performance.now();
    const burst = this.bytesPerSec / 20;
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) * this.bytesPerSec) / 1000);
    this.last = now;
    // Round-robin, a bounded slice each, so no connection starves the others.
    const slice = Math.max(64, Math.floor(burst / 4));
    let idle = 0;
    while (this.tokens >= 1 && this.queues.length > 0 && idle < this.queues.length) {
      const queue = this.queues[this.next % this.queues.length]!;
      this.next = (this.next + 1) % this.queues.length;
      if (queue.bytes === 0) {
        idle++;
        continue;
      }
      idle = 0;
      let allowed = Math.min(Math.floor(this.tokens), slice);
      while (allowed > 0 && queue.chunks.length > 0) {
        const head = queue.chunks[0]!;
        const part = head.length <= allowed ? head : head.subarray(0, allowed);
        if (part === head) queue.chunks.shift();
        else queue.chunks[0] = head.subarray(allowed);
        queue.bytes -= part.length;
        allowed -= part.length;
        this.tokens -= part.length;
        if (queue.to.destroyed) continue;
        queue.to.write(part);
        if (queue.to.remotePort === this.upstreamPort) this.up += part.length;
        else this.down += part.length;
      }
    }
  }

  override async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await super.close();
  }
}
