import type { Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { TestServer } from './test-server.js';

/**
 * A broker that accepts clients (CONNACK, SUBACK, PINGRESP) but never acknowledges a QoS 1/2
 * PUBLISH and delivers nothing: every message stays in flight for as long as the client waits.
 * It records the PUBLISHes and the DISCONNECTs it got, per client id.
 */
export class NoAckBroker extends TestServer {
  readonly published = new Map<string, number>();
  readonly disconnected = new Set<string>();

  protected onConnection(socket: Socket): void {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let clientId = '';
    const send = (packet: mqttPacket.Packet): void => {
      if (!socket.destroyed) socket.write(mqttPacket.generate(packet));
    };
    parser.on('packet', (packet) => {
      switch (packet.cmd) {
        case 'connect':
          clientId = packet.clientId;
          send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
          break;
        case 'subscribe':
          send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map((s) => s.qos) });
          break;
        case 'pingreq':
          send({ cmd: 'pingresp' });
          break;
        case 'publish':
          this.published.set(clientId, (this.published.get(clientId) ?? 0) + 1);
          break;
        case 'disconnect':
          this.disconnected.add(clientId);
          socket.end();
          break;
        default:
          break;
      }
    });
    parser.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
  }
}
