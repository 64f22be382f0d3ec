/**
 * How many bytes a PUBLISH takes on the wire [MQTT 5 3.3], to honour the broker's Maximum Packet
 * Size (CONNACK) [MQTT-3.1.2-24]: MQTT.js sends whatever it is given, and a broker closes the
 * connection on a packet over its limit (Mosquitto: DISCONNECT 0x95), losing what was in flight.
 */

/** The properties a PUBLISH may carry, as MQTT.js takes them (only their sizes matter here). */
export interface SizedProperties {
  messageExpiryInterval?: number;
  contentType?: string;
  payloadFormatIndicator?: boolean;
  responseTopic?: string;
  correlationData?: Buffer;
  topicAlias?: number;
  userProperties?: Record<string, string | string[]>;
}

/** Bytes of a variable byte integer [MQTT 5 1.5.5]. */
export function varintBytes(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/** Bytes of the properties' encoding, their length prefix included (MQTT 5 only). */
export function propertiesBytes(p: SizedProperties | undefined): number {
  let n = 0;
  if (p !== undefined) {
    // Each property: a one-byte identifier, then its value (strings and binary with a two-byte length).
    if (p.messageExpiryInterval !== undefined) n += 1 + 4;
    if (p.contentType !== undefined) n += 3 + Buffer.byteLength(p.contentType);
    if (p.payloadFormatIndicator !== undefined) n += 1 + 1;
    if (p.responseTopic !== undefined) n += 3 + Buffer.byteLength(p.responseTopic);
    if (p.correlationData !== undefined) n += 3 + p.correlationData.length;
    if (p.topicAlias !== undefined) n += 1 + 2;
    for (const [key, value] of Object.entries(p.userProperties ?? {}))
      for (const v of Array.isArray(value) ? value : [value])
        n += 1 + 2 + Buffer.byteLength(key) + 2 + Buffer.byteLength(v);
  }
  return varintBytes(n) + n;
}

/** The PUBLISH packet's Remaining Length [MQTT 2.1.4]: all but its fixed header. */
export function remainingBytes(
  topic: string,
  qos: 0 | 1 | 2,
  properties: SizedProperties | undefined,
  payloadBytes: number,
  v5: boolean,
): number {
  return 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + (v5 ? propertiesBytes(properties) : 0) + payloadBytes;
}

/** The whole PUBLISH packet, fixed header included. */
export function publishBytes(...packet: Parameters<typeof remainingBytes>): number {
  const remaining = remainingBytes(...packet);
  return 1 + varintBytes(remaining) + remaining;
}

/**
 * The largest payload that keeps a PUBLISH within `maxPacket` bytes, for the topic and properties
 * given (which bound every message's: the full topic, even where an alias replaces it).
 */
export function largestPayload(
  maxPacket: number,
  topic: string,
  qos: 0 | 1 | 2,
  properties: SizedProperties | undefined,
  v5: boolean,
): number {
  const empty = publishBytes(topic, qos, properties, 0, v5);
  let payload = Math.max(0, maxPacket - empty);
  // A longer payload may need a longer Remaining Length: step back until the whole packet fits.
  while (payload > 0 && publishBytes(topic, qos, properties, payload, v5) > maxPacket) payload--;
  return publishBytes(topic, qos, properties, payload, v5) > maxPacket ? -1 : payload;
}
