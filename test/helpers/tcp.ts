import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { TestServer } from './test-server.js';

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

/**
 * A dead broker that counts: accepts TCP, reads the CONNECT to learn who is calling, then hangs
 * up without a CONNACK. Counting here, on the server side, checks the attempt count independently
 * of anything the client says about itself.
 */
export class ConnectCounter extends TestServer {
  readonly attempts = new Map<string, number>();
  connections = 0;

  protected onConnection(socket: Socket): void {
    this.connections++;
    readConnect(socket, (id) => {
      this.attempts.set(id, (this.attempts.get(id) ?? 0) + 1);
      socket.destroy();
    });
  }
}

/**
 * A TCP proxy in front of a broker that counts CONNECTs per client id. When the broker behind it
 * is gone, it accepts the client, reads the CONNECT, fails to reach upstream and hangs up: each
 * reconnect attempt is counted even though nothing listens behind it.
 */
export class CountingProxy extends TestServer {
  readonly attempts = new Map<string, number>();

  constructor(private readonly upstreamPort: number) {
    super();
  }

  protected onConnection(client: Socket): void {
    readConnect(client, (id) => this.attempts.set(id, (this.attempts.get(id) ?? 0) + 1));
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
  }
}
