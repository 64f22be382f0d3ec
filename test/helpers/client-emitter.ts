import { EventEmitter } from 'node:events';
import type { IConnackPacket, IDisconnectPacket, IPublishPacket, Packet } from 'mqtt-packet';
import type { ClientEvents } from '../../src/session/session-client.js';

/** A client's calls as MQTT.js's events (connect, close, error, packetreceive, disconnect, message), for tests to wait on. */
export class ClientEmitter extends EventEmitter implements ClientEvents {
  clientConnect(connack: IConnackPacket): void {
    this.emit('connect', connack);
  }

  clientClose(): void {
    this.emit('close');
  }

  clientError(err: Error): void {
    this.emit('error', err);
  }

  clientPacket(packet: Packet): void {
    this.emit('packetreceive', packet);
  }

  clientDisconnect(packet: IDisconnectPacket): void {
    this.emit('disconnect', packet);
  }

  clientMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    this.emit('message', topic, payload, packet);
  }
}
