import type { Duplex } from 'node:stream';
import type { IClientPublishOptions, ISubscriptionGrant, ISubscriptionMap } from 'mqtt';
import type { IConnackPacket, IDisconnectPacket, IPublishPacket, Packet } from 'mqtt-packet';

/** A publish's or subscribe's outcome: an error, or the acknowledging packet (none at QoS 0). */
export type ClientDone = (err?: Error, packet?: Packet) => void;

/**
 * What a session hears from its MQTT client, as direct calls on the session rather than
 * EventEmitter listeners: each listener was a closure with its context, and each emitter a table
 * of them, held per client for as long as an idle fleet lives. MQTT.js's event of the same meaning
 * is named beside each (session/mqttjs-client.ts forwards them).
 */
export interface ClientEvents {
  /** 'connect': the CONNACK accepted the connection (MQTT.js: after resending its store). */
  clientConnect(connack: IConnackPacket): void;
  /** 'close': the connection closed (or an attempt ended without one). */
  clientClose(): void;
  /** 'error': the connection's error, a refused CONNACK, a protocol error. */
  clientError(err: Error): void;
  /** 'packetreceive': every packet from the broker, before it is handled. */
  clientPacket(packet: Packet): void;
  /** 'disconnect': the broker's DISCONNECT (MQTT 5). */
  clientDisconnect(packet: IDisconnectPacket): void;
  /** 'message': a PUBLISH delivered (QoS 2: at its PUBREL). */
  clientMessage(topic: string, payload: Buffer, packet: IPublishPacket): void;
}

/** The MQTT client a session drives: the lean client, or MQTT.js behind an adapter. */
export interface SessionClient {
  readonly connected: boolean;
  /** The current connection's stream; undefined before the first connect(). */
  readonly stream: Duplex | undefined;
  /** Unacknowledged packets by message id: the session reads only the keys. */
  readonly outgoing: Readonly<Record<number, unknown>>;
  connect(): void;
  publish(topic: string, payload: string | Buffer, opts: IClientPublishOptions, done?: ClientDone): void;
  subscribeAsync(filters: ISubscriptionMap, opts?: { properties?: object }): Promise<ISubscriptionGrant[]>;
  /** Gives up waiting for the acknowledgement of message `id` (its callback gets an error). */
  removeOutgoingMessage(id: number): void;
  /** `force`: destroy the connection; else DISCONNECT once nothing is outstanding. `done` once closed. */
  end(force: boolean, done?: () => void): void;
}
