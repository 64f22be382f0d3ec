import { UsageError } from '../errors.js';
import { publishStreams, type GroupProfile, type PublishPlan } from '../group.js';
import { parseSize } from './parse.js';

/** MQTT's largest packet: a remaining length of 268,435,455 and a 5-byte fixed header. */
export const MQTT_MAX_PACKET = 268_435_455 + 5;
/** The default never goes below this: room for other traffic a subscription may bring. */
export const MIN_DEFAULT_PACKET = 1024 * 1024;
/** Beside the payload: the topic (at most 64 KiB in MQTT) and properties, with room to spare. */
export const PACKET_OVERHEAD = 128 * 1024;
/** A given --max-packet-size must leave this much beside the run's largest payload. */
const MIN_HEADROOM = 1024;

/**
 * The largest incoming packet a client accepts (--max-packet-size): sent to MQTT 5 brokers as
 * CONNECT's Maximum Packet Size and enforced on every connection's receive side. By default the
 * largest payload this run publishes plus PACKET_OVERHEAD, and at least MIN_DEFAULT_PACKET, so
 * every message of the run's own fits whatever it subscribes to.
 */
export function resolveMaxPacketSize(given: unknown, groups: readonly GroupProfile[]): number {
  const largest = Math.max(
    0,
    ...groups.flatMap((g) =>
      publishStreams(g).map((s) => largestPayload(s) + propertyBytes(s.userProperties) + otherPropertyBytes(s)),
    ),
  );
  if (given === undefined) return Math.min(MQTT_MAX_PACKET, Math.max(MIN_DEFAULT_PACKET, largest + PACKET_OVERHEAD));
  const size = parseSize('--max-packet-size', given);
  if (size > MQTT_MAX_PACKET)
    throw new UsageError(
      '--max-packet-size',
      `--max-packet-size must be at most 256mib + 4 bytes (${MQTT_MAX_PACKET}), MQTT's largest packet (got ${size})`,
    );
  if (size < largest + MIN_HEADROOM) {
    throw new UsageError(
      '--max-packet-size',
      `--max-packet-size must be at least ${largest + MIN_HEADROOM}: the largest message this run publishes (${largest} bytes) plus 1 KiB for its topic and headers (got ${size})`,
    );
  }
  return size;
}

/** The most bytes one message's payload can take: its size, its largest file, or its template at its longest (a generator's: its size). */
function largestPayload(publish: PublishPlan): number {
  if (publish.files) return publish.files.largest;
  if (publish.payload === null) return publish.size;
  let bytes = Buffer.byteLength(publish.payload);
  // {rand:N} is N random bytes in hex; every other placeholder is a number or a short name.
  for (const match of publish.payload.matchAll(/\{(rand:(\d+)|[a-z]+)\}/g))
    bytes += match[2] === undefined ? 256 : 2 * Number(match[2]);
  return bytes;
}

function propertyBytes(properties: Record<string, string> | null): number {
  if (!properties) return 0;
  return Object.entries(properties).reduce((n, [k, v]) => n + 5 + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/** The other MQTT 5 properties of a group's publishes, a response topic's placeholders at their longest. */
function otherPropertyBytes(publish: NonNullable<GroupProfile['publish']>): number {
  const p = publish.properties;
  if (!p) return 0;
  const text = (t: string | undefined): number => (t === undefined ? 0 : 3 + Buffer.byteLength(t));
  const placeholders = (p.responseTopic?.match(/\{[a-z]+\}/g) ?? []).length;
  return 16 + text(p.contentType) + text(p.responseTopic) + 256 * placeholders + text(p.correlationData);
}
