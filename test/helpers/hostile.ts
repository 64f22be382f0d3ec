import type { Socket } from 'node:net';
import { TestServer } from './test-server.js';

/**
 * Brokers that misbehave on purpose, for the failure tests: each counts the connections it
 * accepted (every one a connection attempt of a client).
 */
export class HostileBroker extends TestServer {
  connections = 0;

  private constructor(private readonly behave: (socket: Socket) => void) {
    super();
  }

  protected onConnection(socket: Socket): void {
    this.connections++;
    this.behave(socket);
  }

  /** Accepts TCP, reads everything, never answers: no CONNACK ever comes. */
  static silent(): Promise<HostileBroker> {
    return new HostileBroker((socket) => socket.resume()).listen();
  }

  /** Answers the CONNECT with bytes that are not MQTT. */
  static garbage(): Promise<HostileBroker> {
    return new HostileBroker((socket) => socket.once('data', () => socket.write(Buffer.from([0xf0, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x02])))).listen();
  }
}
