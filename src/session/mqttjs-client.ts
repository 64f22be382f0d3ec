import type { Duplex } from 'node:stream';
import type { IClientPublishOptions, ISubscriptionGrant, ISubscriptionMap, MqttClient } from 'mqtt';
import type { ClientDone, ClientEvents, SessionClient } from './session-client.js';

/**
 * MQTT.js behind the session's narrow client interface (`--mqtt-client mqttjs`, and sessions that
 * need what only MQTT.js does): its events forwarded as the session's calls, once per client.
 */
export class MqttJsClient implements SessionClient {
  constructor(
    readonly client: MqttClient,
    events: ClientEvents,
  ) {
    client.on('connect', (connack) => events.clientConnect(connack));
    client.on('close', () => events.clientClose());
    client.on('error', (err) => events.clientError(err));
    client.on('packetreceive', (packet) => events.clientPacket(packet));
    client.on('disconnect', (packet) => events.clientDisconnect(packet));
    client.on('message', (topic, payload, packet) => events.clientMessage(topic, payload, packet));
  }

  get connected(): boolean {
    return this.client.connected;
  }

  get stream(): Duplex | undefined {
    // Undefined until connect() has built one, whatever MQTT.js's type says.
    return this.client.stream;
  }

  get outgoing(): Readonly<Record<number, unknown>> {
    return this.client.outgoing;
  }

  connect(): void {
    this.client.connect();
  }

  publish(topic: string, payload: string | Buffer, opts: IClientPublishOptions, done?: ClientDone): void {
    if (done) this.client.publish(topic, payload, opts, done);
    else this.client.publish(topic, payload, opts);
  }

  subscribeAsync(filters: ISubscriptionMap, opts?: { properties?: object }): Promise<ISubscriptionGrant[]> {
    return this.client.subscribeAsync(filters, opts);
  }

  removeOutgoingMessage(id: number): void {
    this.client.removeOutgoingMessage(id);
  }

  end(force: boolean, done?: () => void): void {
    if (done) this.client.end(force, {}, done);
    else this.client.end(force);
  }
}
