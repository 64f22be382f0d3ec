import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * Brokers that misbehave on purpose, for the failure tests: each counts the connections it
 * accepted (every one a connection attempt of a client).
 */
export class HostileBroker {
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  private constructor(onSocket: (socket: Socket) => void) {
    this.server = createServer((socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      onSocket(socket);
    });
  }

  /** Accepts TCP, reads everything, never answers: no CONNACK ever comes. */
  static silent(): Promise<HostileBroker> {
    return new HostileBroker((socket) => socket.resume()).listen();
  }

  /** Answers the CONNECT with bytes that are not MQTT. */
  static garbage(): Promise<HostileBroker> {
    return new HostileBroker((socket) => socket.once('data', () => socket.write(Buffer.from([0xf0, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x02])))).listen();
  }

  private async listen(): Promise<HostileBroker> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
