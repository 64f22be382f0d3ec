import type { Socket } from 'node:net';
import { TestServer } from './test-server.js';
import { Condition } from './wait.js';

/**
 * A proxy that holds every new connection (TCP accepted, nothing passed on, so no CONNACK comes)
 * until `open()`, then lets the held ones and every later one through to the broker behind it.
 * While it is shut, the connections it holds are exactly the attempts a client keeps in flight
 * before any of them completes: what a connect window starts at, whatever the machine's speed.
 */
export class GateProxy extends TestServer {
  /** Connections held so far (while shut). */
  held = 0;
  /** Notified on every connection held. */
  readonly changed = new Condition();
  private readonly waiting: Socket[] = [];
  private shut = true;

  constructor(private readonly upstreamPort: number) {
    super();
  }

  protected onConnection(client: Socket): void {
    if (!this.shut) return this.through(client);
    client.pause();
    this.waiting.push(client);
    this.held++;
    this.changed.notify();
  }

  open(): void {
    this.shut = false;
    for (const client of this.waiting.splice(0)) if (!client.destroyed) this.through(client);
  }

  private through(client: Socket): void {
    this.forward(client, this.upstreamPort);
  }
}
