import type { Socket } from 'node:net';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';
import { TestServer } from './test-server.js';
import { at } from '../../src/mqtt/checked.js';

/**
 * Brokers that misbehave on purpose, for the failure tests: each counts the connections it
 * accepted (every one a connection attempt of a client).
 */
export class HostileBroker extends TestServer {
  connections = 0;
  /** The CONNECT of every connection that got as far as sending one, in order. */
  readonly connects: IConnectPacket[] = [];
  /** Bytes of an oversize packet written before the client hung up (hugePublish). */
  bytesSent = 0;

  private constructor(private readonly behave: (socket: Socket, broker: HostileBroker) => void) {
    super();
  }

  protected onConnection(socket: Socket): void {
    this.connections++;
    this.behave(socket, this);
  }

  /** Accepts TCP, reads everything, never answers: no CONNACK ever comes. */
  static silent(): Promise<HostileBroker> {
    return new HostileBroker((socket) => socket.resume()).listen();
  }

  /** Answers the CONNECT with bytes that are not MQTT. */
  static garbage(): Promise<HostileBroker> {
    return new HostileBroker((socket) =>
      socket.once('data', () => socket.write(Buffer.from([0xf0, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x02]))),
    ).listen();
  }

  /**
   * Accepts every CONNECT with a CONNACK and hangs up straight after (or `holdMs` later): the
   * reconnect storm of a broker that hands the client id to someone else. With `disconnectReason`
   * an MQTT 5 client is told why first (0x8e: session taken over).
   */
  static acceptThenClose(disconnectReason?: number, holdMs = 0): Promise<HostileBroker> {
    return new HostileBroker((socket, broker) =>
      speak(socket, broker, {
        connect(version) {
          const close = (): void => {
            if (version === 5 && disconnectReason !== undefined)
              socket.write(
                mqttPacket.generate({ cmd: 'disconnect', reasonCode: disconnectReason }, { protocolVersion: 5 }),
              );
            socket.end();
          };
          if (holdMs > 0) setTimeout(close, holdMs).unref();
          else close();
        },
      }),
    ).listen();
  }

  /** Sends CONNACK, then after `holdMs` resets the connection (an RST, not a FIN): read ECONNRESET at the client. */
  static acceptThenReset(holdMs: number): Promise<HostileBroker> {
    return new HostileBroker((socket, broker) =>
      speak(socket, broker, {
        connect() {
          setTimeout(() => socket.resetAndDestroy(), holdMs).unref();
        },
      }),
    ).listen();
  }

  /** Completes CONNACK and SUBACK like a broker, then writes bytes that are not MQTT. */
  static garbageAfterSuback(): Promise<HostileBroker> {
    return new HostileBroker((socket, broker) =>
      speak(socket, broker, {
        subscribed() {
          // 'H' (0x48) reads as a PUBACK with flag bits MQTT forbids.
          socket.write('HTTP/1.1 400 Bad Request\r\n\r\n');
        },
      }),
    ).listen();
  }

  /**
   * Completes CONNACK and SUBACK, then sends a PUBLISH whose fixed header announces `bytes` of
   * remaining length and streams filler behind it as fast as the client reads, until the client
   * hangs up or all of it is sent. The filler is one reused buffer: the server itself stays small.
   */
  static hugePublish(bytes: number): Promise<HostileBroker> {
    return new HostileBroker((socket, broker) =>
      speak(socket, broker, {
        subscribed(topic) {
          const header = mqttPacket
            .generate({ cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 0, dup: false, retain: false })
            .subarray(0, 1);
          const length = varByteInt(bytes);
          const topicField = Buffer.alloc(2 + Buffer.byteLength(topic));
          topicField.writeUInt16BE(Buffer.byteLength(topic));
          topicField.write(topic, 2);
          const filler = Buffer.alloc(64 * 1024, 0x61);
          let left = bytes - topicField.length;
          socket.write(Buffer.concat([header, length, topicField]));
          const pump = (): void => {
            while (left > 0 && !socket.destroyed) {
              const chunk = left >= filler.length ? filler : filler.subarray(0, left);
              left -= chunk.length;
              broker.bytesSent += chunk.length;
              if (!socket.write(chunk)) return void socket.once('drain', pump);
            }
          };
          pump();
        },
      }),
    ).listen();
  }
}

/** MQTT's variable byte integer: the remaining length field of a fixed header. */
function varByteInt(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/**
 * Just enough of a broker: CONNACK every CONNECT (in the client's protocol version), SUBACK every
 * SUBSCRIBE granting what was asked, and hand the moments after each to the hostile behaviour.
 */
function speak(
  socket: Socket,
  broker: HostileBroker,
  on: { connect?(version: 4 | 5): void; subscribed?(topic: string): void },
): void {
  let version: 4 | 5 = 4;
  let parser = mqttPacket.parser({ protocolVersion: 4 });
  const listen = (): void => {
    parser.on('packet', (packet: Packet) => {
      if (packet.cmd === 'connect') {
        broker.connects.push(packet);
        version = packet.protocolVersion === 5 ? 5 : 4;
        // Later packets carry properties only in MQTT 5: parse them as the client speaks.
        parser = mqttPacket.parser({ protocolVersion: version });
        listen();
        socket.write(
          mqttPacket.generate(
            { cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: false },
            { protocolVersion: version },
          ),
        );
        on.connect?.(version);
      } else if (packet.cmd === 'subscribe') {
        socket.write(
          mqttPacket.generate(
            { cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map((s) => s.qos) },
            { protocolVersion: version },
          ),
        );
        on.subscribed?.(at(packet.subscriptions, 0).topic);
      } else if (packet.cmd === 'pingreq') {
        socket.write(mqttPacket.generate({ cmd: 'pingresp' }));
      }
    });
    parser.on('error', () => socket.destroy());
  };
  listen();
  socket.on('data', (chunk: Buffer) => parser.parse(chunk));
}
