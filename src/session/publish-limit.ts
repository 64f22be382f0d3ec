import type { SessionSettings, SessionSpec } from '../protocol.js';
import { largestPayload, publishBytes } from '../mqtt/publish-size.js';
import { largestProperties } from './encoder.js';
import { payloadKind } from './payload-source.js';

/**
 * The broker's Maximum Packet Size (MQTT 5 CONNACK), honoured on the way out: the largest payload
 * one client may send under it, from its topic and the properties its messages carry.
 */
export class PublishLimit {
  /** The broker's limit from the last CONNACK; undefined: none said. */
  private brokerMax: number | undefined;

  constructor(
    private readonly settings: SessionSettings,
    private readonly spec: SessionSpec,
    /** The stream's topic (null: nothing to publish); apart from `spec`, so that the client's spec is shared, not copied per stream. */
    private readonly topic: string | null,
  ) {}

  /** The largest payload under the CONNACK's limit (Infinity: no limit, or nothing to publish). */
  limit(brokerMax: number | undefined): number {
    this.brokerMax = brokerMax;
    const topic = this.topic;
    if (brokerMax === undefined || topic === null || this.settings.protocolVersion !== 5) return Infinity;
    return largestPayload(brokerMax, topic, this.settings.qos, largestProperties(this.settings, this.spec), true);
  }

  /** A fixed-size payload over `limit`: the error the client gives up with, else null. */
  fixedOver(limit: number): Error | null {
    if (payloadKind(this.settings) !== 'size' || this.settings.size <= limit) return null;
    return this.error(this.settings.size);
  }

  /** Why a payload of `bytes` was not sent. */
  error(bytes: number): Error {
    const topic = this.topic ?? '';
    const packet = publishBytes(topic, this.settings.qos, largestProperties(this.settings, this.spec), bytes, true);
    return Object.assign(
      new Error(
        `not sent: a message of ${packet.toLocaleString('en-US')} bytes (payload ${bytes.toLocaleString('en-US')}) is over the broker's Maximum Packet Size of ${(this.brokerMax ?? 0).toLocaleString('en-US')} bytes (CONNACK)`,
      ),
      { code: 'BROKER_PACKET_LIMIT' },
    );
  }
}
