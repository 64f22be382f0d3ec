import { connect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { readHeader, runTag, type Header } from '../../src/mqtt/payload.js';
import { TestServer } from './test-server.js';

/** What to do with one PUBLISH on its way from the broker to a client. */
export type Verdict = 'forward' | 'drop' | 'duplicate' | 'cut' | 'deliver-and-cut';

export interface Delivery {
  publisher: number;
  seq: number;
}

/**
 * A fault-injecting TCP proxy between clients and a broker. It frames MQTT in both directions,
 * asks `decide` about every PUBLISH going to a client (by client id and payload header), and
 * records exactly what it let through, so a test can compare the run's summary with what
 * really reached each client. `cut` closes that client's connection before the packet;
 * `deliver-and-cut` right after it.
 */
export class FaultProxy extends TestServer {
  /** PUBLISH packets written to each client, in order, by client id. */
  readonly forwarded = new Map<string, Delivery[]>();
  readonly dropped = new Map<string, Delivery[]>();
  cuts = 0;
  /** Connections closed at their CONNECT because `admit` said no. */
  refused = 0;
  /** Set to turn clients away at their CONNECT (after it was read, before the broker sees it): a client kept offline. */
  admit: ((clientId: string) => boolean) | null = null;
  /** Set to hold every packet of one kind from the broker (a PUBACK, a CONNACK) this long before passing it on. */
  delay: { cmd: Packet['cmd']; ms: number } | null = null;
  /** Packets held by `delay` and since passed on. */
  delayed = 0;
  private readonly tag: number;

  constructor(
    private readonly upstreamPort: number,
    runId: string,
    private readonly decide: (clientId: string, delivery: Delivery, nth: number) => Verdict,
  ) {
    super();
    this.tag = runTag(runId);
  }

  protected onConnection(client: Socket): void {
    client.setNoDelay(true);
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    this.track(upstream);
    upstream.setNoDelay(true);
    let clientId = '';
    let protocolVersion: 4 | 5 = 4;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);

    const fromClient = mqttPacket.parser({ protocolVersion: 5 });
    fromClient.on('packet', (packet: Packet) => {
      if (packet.cmd === 'connect') {
        clientId = packet.clientId;
        protocolVersion = packet.protocolVersion === 5 ? 5 : 4;
        if (this.admit && !this.admit(clientId)) {
          this.refused++;
          close();
        }
      }
    });
    fromClient.on('error', () => {});
    client.on('data', (chunk: Buffer) => {
      fromClient.parse(chunk);
      if (!closed) upstream.write(chunk);
    });

    let toClient: ReturnType<typeof mqttPacket.parser> | null = null;
    const header: Header = { publisher: 0, seq: 0, sentAt: 0, scheduledAt: 0 };
    upstream.on('data', (chunk: Buffer) => {
      // The CONNECT has gone out before any reply comes back, so the protocol version is known.
      toClient ??= this.downstreamParser(protocolVersion, (packet) => {
        if (closed) return;
        const opts = { protocolVersion };
        const delay = this.delay;
        if (delay && packet.cmd === delay.cmd) {
          // Held on its own: packets of other kinds go on meanwhile, as with a broker slow to acknowledge.
          setTimeout(() => {
            if (closed) return;
            this.delayed++;
            client.write(mqttPacket.generate(packet, opts));
          }, delay.ms);
          return;
        }
        if (packet.cmd !== 'publish' || !readHeader(packet.payload as Buffer, this.tag, header)) {
          client.write(mqttPacket.generate(packet, opts));
          return;
        }
        const delivery = { publisher: header.publisher, seq: header.seq };
        const list = this.forwarded.get(clientId) ?? [];
        this.forwarded.set(clientId, list);
        const verdict = this.decide(clientId, delivery, list.length);
        switch (verdict) {
          case 'forward':
            list.push(delivery);
            client.write(mqttPacket.generate(packet, opts));
            break;
          case 'duplicate':
            list.push(delivery, delivery);
            client.write(mqttPacket.generate(packet, opts));
            client.write(mqttPacket.generate(packet, opts));
            break;
          case 'drop':
            this.dropped.set(clientId, [...(this.dropped.get(clientId) ?? []), delivery]);
            break;
          case 'cut':
            this.cuts++;
            // Ended, not destroyed: destroy() would discard writes still queued in this process
            // (a slow reader's), deliveries counted above that the client would never see.
            closed = true;
            upstream.destroy();
            client.end();
            break;
          case 'deliver-and-cut':
            this.cuts++;
            list.push(delivery);
            closed = true;
            upstream.destroy();
            client.end(mqttPacket.generate(packet, opts));
            break;
        }
      });
      toClient.parse(chunk);
    });
  }

  private downstreamParser(
    protocolVersion: 4 | 5,
    onPacket: (packet: Packet) => void,
  ): ReturnType<typeof mqttPacket.parser> {
    const parser = mqttPacket.parser({ protocolVersion });
    parser.on('packet', onPacket);
    parser.on('error', () => {});
    return parser;
  }

  /** Distinct messages and all deliveries the proxy let through to `clientId`. */
  counts(clientId: string): { distinct: number; deliveries: number } {
    const list = this.forwarded.get(clientId) ?? [];
    return { distinct: new Set(list.map((d) => `${d.publisher}:${d.seq}`)).size, deliveries: list.length };
  }
}
