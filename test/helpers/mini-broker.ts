import type { Socket } from 'node:net';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import { topicMatches } from '../../src/mqtt/templates.js';
import { TestServer } from './test-server.js';

interface Client {
  id: string;
  socket: Socket;
  filters: string[];
}

export interface MiniBrokerOptions {
  /** Acknowledge QoS 1 publishes (PUBACK) and QoS 2 (PUBREC, PUBCOMP); false: never. */
  acknowledge?: boolean;
  /** Route each PUBLISH to the matching subscribers; false: deliver nothing (every message stays in flight). */
  deliver?: boolean;
  /** Extra PUBLISH packets (topic and payload) for a client, sent right after its SUBACK. */
  inject?: (clientId: string, filter: string) => { topic: string; payload: Buffer; retain?: boolean }[];
  /** Answer each CONNECT this long after it arrived (a broker slow to accept connections). */
  connackDelayMs?: number;
}

/**
 * A small MQTT 3.1.1 broker that misbehaves on purpose: it routes every PUBLISH to the clients
 * whose subscriptions match (delivered at QoS 0), and can refuse to acknowledge anything, deliver
 * nothing, or slip forged messages in after a subscription. Counts what it did, for assertions.
 */
export class MiniBroker extends TestServer {
  private readonly clients = new Set<Client>();
  /** PUBLISH packets received from clients, and forged ones sent. */
  published = 0;
  injected = 0;
  /** Client ids that sent DISCONNECT. */
  readonly disconnected = new Set<string>();

  constructor(private readonly options: MiniBrokerOptions = {}) {
    super();
  }

  protected onConnection(socket: Socket): void {
    const client: Client = { id: '', socket, filters: [] };
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const send = (packet: Packet): void => {
      if (!socket.destroyed) socket.write(mqttPacket.generate(packet));
    };
    parser.on('packet', (packet: Packet) => {
      switch (packet.cmd) {
        case 'connect':
          client.id = packet.clientId;
          this.clients.add(client);
          if (this.options.connackDelayMs)
            setTimeout(
              () => send({ cmd: 'connack', returnCode: 0, sessionPresent: false }),
              this.options.connackDelayMs,
            );
          else send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
          break;
        case 'subscribe': {
          client.filters.push(...packet.subscriptions.map((s) => s.topic));
          send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map((s) => s.qos) });
          for (const s of packet.subscriptions) {
            for (const forged of this.options.inject?.(client.id, s.topic) ?? []) {
              this.injected++;
              send({
                cmd: 'publish',
                topic: forged.topic,
                payload: forged.payload,
                qos: 0,
                retain: forged.retain ?? false,
                dup: false,
              });
            }
          }
          break;
        }
        case 'publish':
          this.published++;
          if (this.options.deliver !== false) this.route(packet);
          if (this.options.acknowledge === false) break;
          if (packet.qos === 1) send({ cmd: 'puback', messageId: packet.messageId! });
          if (packet.qos === 2) send({ cmd: 'pubrec', messageId: packet.messageId! });
          break;
        case 'pubrel':
          send({ cmd: 'pubcomp', messageId: packet.messageId });
          break;
        case 'pingreq':
          send({ cmd: 'pingresp' });
          break;
        case 'disconnect':
          this.disconnected.add(client.id);
          socket.end();
          break;
        default:
          break;
      }
    });
    parser.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('close', () => this.clients.delete(client));
  }

  private route(packet: IPublishPacket): void {
    for (const c of this.clients) {
      if (!c.filters.some((f) => topicMatches(f, packet.topic))) continue;
      if (!c.socket.destroyed)
        c.socket.write(
          mqttPacket.generate({
            cmd: 'publish',
            topic: packet.topic,
            payload: packet.payload,
            qos: 0,
            retain: false,
            dup: false,
          }),
        );
    }
  }
}
