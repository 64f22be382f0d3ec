import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP server for tests that stands in for a broker (or sits in front of one): it tracks every
 * socket it touches so `close()` leaves nothing open, and listens on loopback.
 */
export abstract class TestServer {
  port = 0;
  private readonly server: Server = createServer((socket) => {
    this.track(socket);
    this.onConnection(socket);
  });
  private readonly sockets = new Set<Socket>();

  protected abstract onConnection(socket: Socket): void;

  /** Follow a socket this server opened itself (an upstream connection) as well. */
  protected track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
  }

  /** Pass a (paused) client's bytes both ways to the broker on `port`; either side closing closes both. */
  protected forward(client: Socket, port: number): void {
    const upstream = connect(port, '127.0.0.1');
    this.track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.resume();
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
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
