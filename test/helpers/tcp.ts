import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

/** Calls `onClientId` with the client id of the first CONNECT packet on `socket`. */
function readConnect(socket: Socket, onClientId: (id: string) => void): void {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let seen = false;
  parser.on('packet', (packet) => {
    if (!seen && packet.cmd === 'connect') {
      seen = true;
      onClientId(packet.clientId);
    }
  });
  parser.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    if (!seen) parser.parse(chunk);
  });
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/**
 * A dead broker that counts: accepts TCP, reads the CONNECT to learn who is calling, then hangs
 * up without a CONNACK. Counting here, on the server side, checks the attempt count independently
 * of anything the client says about itself.
 */
export class ConnectCounter {
  readonly attempts = new Map<string, number>();
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  onAttempt: () => void = () => {};

  constructor() {
    this.server = createServer((socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      readConnect(socket, (id) => {
        this.attempts.set(id, (this.attempts.get(id) ?? 0) + 1);
        socket.destroy();
        this.onAttempt();
      });
    });
  }

  async listen(port = 0): Promise<this> {
    this.port = await listen(this.server, port);
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

/**
 * A TCP proxy in front of a broker that counts CONNECTs per client id. When the broker behind it
 * is gone, it accepts the client, reads the CONNECT, fails to reach upstream and hangs up: each
 * reconnect attempt is counted even though nothing listens behind it.
 */
export class CountingProxy {
  readonly attempts = new Map<string, number>();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  onAttempt: () => void = () => {};

  constructor(private readonly upstreamPort: number) {
    this.server = createServer((client) => {
      this.track(client);
      readConnect(client, (id) => {
        this.attempts.set(id, (this.attempts.get(id) ?? 0) + 1);
        this.onAttempt();
      });
      client.pause();
      const upstream = connect(this.upstreamPort, '127.0.0.1');
      this.track(upstream);
      let piped = false;
      upstream.once('connect', () => {
        piped = true;
        upstream.setNoDelay(true);
        client.setNoDelay(true);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once('close', () => {
        if (piped) {
          client.destroy();
          return;
        }
        // Nothing behind us: read the CONNECT first, so the attempt is counted, then hang up.
        client.once('data', () => client.destroy());
        client.resume();
      });
      client.once('close', () => upstream.destroy());
    });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
  }

  async listen(): Promise<this> {
    this.port = await listen(this.server, 0);
    return this;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  total(): number {
    let n = 0;
    for (const v of this.attempts.values()) n += v;
    return n;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
