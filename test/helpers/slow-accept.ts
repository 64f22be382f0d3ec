import type { Socket } from 'node:net';
import { TestServer } from './test-server.js';

/**
 * A broker slow to take connections on: a proxy that hands its queue of new connections to the
 * broker behind it one every `intervalMs`, in arrival order, as a broker that accepts (and
 * answers CONNECTs) at a fixed rate would. The TCP handshake completes at once; what a client
 * sends meanwhile waits in its paused socket, so its CONNACK comes only after every connection
 * ahead of it was let through: the more attempts in flight, the longer each waits.
 */
export class SlowAcceptProxy extends TestServer {
  /** Connections let through to the broker. */
  passed = 0;
  private readonly waiting: Socket[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly upstreamPort: number,
    readonly intervalMs: number,
  ) {
    super();
  }

  protected onConnection(client: Socket): void {
    client.pause();
    this.waiting.push(client);
    this.timer ??= setInterval(() => this.letOneThrough(), this.intervalMs);
  }

  private letOneThrough(): void {
    let client = this.waiting.shift();
    while (client?.destroyed) client = this.waiting.shift();
    if (!client) return;
    this.passed++;
    this.forward(client, this.upstreamPort);
  }

  override async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await super.close();
  }
}
