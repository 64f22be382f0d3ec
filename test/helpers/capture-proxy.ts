import { connect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { TestServer } from './test-server.js';

/** One MQTT packet as it crossed the proxy, parsed from the bytes on the wire. */
export interface Captured {
  /** `up`: client to broker; `down`: broker to client. */
  dir: 'up' | 'down';
  /** The client id of the connection's CONNECT ('' before it). */
  clientId: string;
  packet: Packet;
}

/**
 * A TCP proxy in front of a broker that passes every byte on unchanged and parses both
 * directions with mqtt-packet (MQTT 5), so a test reads what really went over the wire: topic
 * aliases, properties, subscription options, as the broker and the client saw them.
 */
export class CaptureProxy extends TestServer {
  readonly packets: Captured[] = [];

  constructor(private readonly upstreamPort: number) {
    super();
  }

  /** Captured packets of one kind, one way, optionally of one client. */
  of<C extends Packet['cmd']>(cmd: C, dir: 'up' | 'down', clientId?: string): Extract<Packet, { cmd: C }>[] {
    return this.packets
      .filter((c) => c.packet.cmd === cmd && c.dir === dir && (clientId === undefined || c.clientId === clientId))
      .map((c) => c.packet as Extract<Packet, { cmd: C }>);
  }

  protected onConnection(client: Socket): void {
    client.setNoDelay(true);
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    this.track(upstream);
    upstream.setNoDelay(true);
    let clientId = '';
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);
    const up = mqttPacket.parser({ protocolVersion: 5 });
    const down = mqttPacket.parser({ protocolVersion: 5 });
    up.on('packet', (packet: Packet) => {
      if (packet.cmd === 'connect') clientId = packet.clientId;
      this.packets.push({ dir: 'up', clientId, packet });
    });
    down.on('packet', (packet: Packet) => this.packets.push({ dir: 'down', clientId, packet }));
    // A parse error is the test's to see in what was captured, not a crash of the proxy.
    up.on('error', () => {});
    down.on('error', () => {});
    client.on('data', (chunk: Buffer) => {
      up.parse(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      down.parse(chunk);
      client.write(chunk);
    });
  }
}
