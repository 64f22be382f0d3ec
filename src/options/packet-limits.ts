import { UsageError } from '../errors.js';
import { publishStreams, type GroupProfile, type PublishPlan } from '../group.js';
import { largestProperties } from '../session/encoder.js';
import { propertiesBytes, remainingBytes } from '../mqtt/publish-size.js';
import { PAYLOAD_TOKEN, renderCredential, renderTemplate } from '../mqtt/templates.js';
import { at } from '../mqtt/checked.js';

/**
 * What MQTT's encoding can carry, checked before anything connects: a broker would close the
 * connection (and a worker fail) only after the fleet had connected.
 */

/** [MQTT 1.5.3, 1.5.6] strings (topics, client ids, user names) and binary data (passwords, will payloads) carry a two-byte length. */
export const MQTT_STRING_MAX = 65_535;
/** [MQTT 2.2.3] the Remaining Length of a packet is at most 268,435,455 bytes (measured: Mosquitto takes exactly that). */
export const MQTT_REMAINING_MAX = 268_435_455;

/** A part of a group that does not fit; the caller names it as a flag or a scenario path. */
export type PacketField =
  | 'clientId'
  | 'username'
  | 'password'
  | 'topic'
  | 'subscribe'
  | 'willTopic'
  | 'willPayload'
  | 'userProperties'
  | 'payload'
  | 'size';

export interface PacketProblem {
  field: PacketField;
  /** Which subscription, for `subscribe`. */
  index: number;
  /** What is wrong, to follow the label: `renders to 70000 bytes for client 19; ...`. */
  message: string;
}

/** Decimal digits of the largest sequence number and of a send time in epoch ms (until the year 2286). */
const SEQ_DIGITS = 10;
const TS_DIGITS = 13;

function tooLong(bytes: number, what: string, client: number | null): string | null {
  if (bytes <= MQTT_STRING_MAX) return null;
  const made = client === null ? `is ${bytes} bytes` : `renders to ${bytes} bytes for client ${client}`;
  return `${made}; MQTT allows at most ${MQTT_STRING_MAX} bytes in ${what}`;
}

/** A fixed string (a user name, a password) that must fit MQTT's two-byte length. */
export function checkMqttString(label: string, text: string | undefined, what: string): void {
  const problem = text === undefined ? null : tooLong(Buffer.byteLength(text), what, null);
  if (problem !== null) throw new UsageError(label, `${label} ${problem}`);
}

/** The largest a payload template renders to, per message: per-message tokens at their longest. */
function payloadTemplateBytes(template: string, fixed: Record<string, string>): number {
  let bytes = 0;
  let last = 0;
  for (const match of template.matchAll(PAYLOAD_TOKEN)) {
    bytes += Buffer.byteLength(template.slice(last, match.index));
    const name = at(match, 1);
    if (name === 'seq') bytes += SEQ_DIGITS;
    else if (name === 'ts') bytes += TS_DIGITS;
    else if (name.startsWith('rand:')) bytes += 2 * Number(name.slice(5));
    else bytes += Buffer.byteLength(fixed[name] ?? match[0]);
    last = match.index + match[0].length;
  }
  return bytes + Buffer.byteLength(template.slice(last));
}

/**
 * The first thing in `group` that MQTT cannot encode, or null. Lengths are those of the group's
 * last client, the longest a template renders to (indices only grow longer), computed once
 * rather than by rendering every client.
 */
export function groupPacketProblem(group: GroupProfile, runId: string): PacketProblem | null {
  const i = group.first + group.count - 1;
  const n = group.count - 1;
  const clientId = renderTemplate(group.clientId, { i, n, id: '', group: group.name, run: runId });
  const vars = { i, n, id: clientId, group: group.name };
  const bytes = (template: string): number => Buffer.byteLength(renderTemplate(template, vars));
  const credentialBytes = (template: string): number => Buffer.byteLength(renderCredential(template, vars));
  const problem = (field: PacketField, message: string | null, index = 0): PacketProblem | null =>
    message === null ? null : { field, index, message };
  const strings: (PacketProblem | null)[] = [
    problem('clientId', tooLong(Buffer.byteLength(clientId), 'a client id', i)),
    problem(
      'username',
      group.username === undefined ? null : tooLong(credentialBytes(group.username), 'a user name', null),
    ),
    problem(
      'password',
      group.password === undefined ? null : tooLong(credentialBytes(group.password), 'a password', null),
    ),
    ...group.subscriptions.map((s, k) => problem('subscribe', tooLong(bytes(s.filter), 'a topic filter', i), k)),
    ...publishStreams(group).map((s, k) => problem('topic', tooLong(bytes(s.topic), 'a topic', i), k)),
    problem('willTopic', group.will ? tooLong(bytes(group.will.topic), 'a topic', i) : null),
    problem('willPayload', group.will ? tooLong(bytes(group.will.payload), 'a will payload', i) : null),
    ...publishStreams(group).flatMap((s, k) =>
      Object.entries(s.userProperties ?? {}).map(([key, value]) =>
        problem(
          'userProperties',
          tooLong(Math.max(Buffer.byteLength(key), Buffer.byteLength(value)), 'a user property', null),
          k,
        ),
      ),
    ),
  ];
  const found = strings.find((p) => p !== null);
  if (found) return found;
  for (const [k, publish] of publishStreams(group).entries()) {
    const problem = publishProblem(group, publish, k, vars, i);
    if (problem) return problem;
  }
  return null;
}

/**
 * The largest payload a group publishes, in bytes (0 if it does not publish). A generator's
 * payloads are not known before they are made: counted as the stream's size.
 */
export function largestPayload(group: GroupProfile): number {
  return Math.max(0, ...publishStreams(group).map((publish) => streamPayload(group, publish)));
}

function streamPayload(group: GroupProfile, publish: PublishPlan): number {
  if (publish.files) return publish.files.largest;
  if (publish.payload === null) return publish.size;
  const i = group.first + group.count - 1;
  const id = renderTemplate(group.clientId, { i, n: group.count - 1, id: '', group: group.name });
  return payloadTemplateBytes(publish.payload, { i: String(i), id, n: String(group.count - 1), group: group.name });
}

/** Does the largest PUBLISH of the group fit MQTT's Remaining Length? */
function publishProblem(
  group: GroupProfile,
  publish: PublishPlan,
  /** Which stream of the group's: a problem's index. */
  k: number,
  vars: { i: number; n: number; id: string; group: string },
  i: number,
): PacketProblem | null {
  const topic = renderTemplate(publish.topic, vars);
  const topicBytes = Buffer.byteLength(topic);
  const v5 = group.protocolVersion === 5;
  // What the session sends and sizes against the broker's limit (session/publish-limit.ts), counted the same way here.
  const request = group.request ?? null;
  const properties = largestProperties(
    {
      publishProperties: publish.properties ?? null,
      userProperties: publish.userProperties,
      group: group.name,
      tracking: publish.tracking,
      topicAlias: publish.topicAlias ?? false,
      request,
    },
    {
      index: i,
      n: vars.n,
      clientId: vars.id,
      ...(request ? { responseTopic: renderTemplate(request.responseTopic, vars) } : {}),
    },
  );
  const room = MQTT_REMAINING_MAX - remainingBytes(topic, publish.qos, properties, 0, v5);
  // An empty property list is its one length byte: named only when there is something in it.
  const propertyBytes = v5 ? propertiesBytes(properties) : 0;
  const withProperties = propertyBytes > 1 ? ` and its MQTT 5 properties (${propertyBytes} bytes)` : '';
  const where = `at most ${room} bytes with the topic of client ${i} (${topicBytes} bytes)${withProperties} at QoS ${publish.qos}`;
  if (publish.generator === true) return null; // its payloads are made as it runs
  if (publish.files) {
    const largest = publish.files.largest;
    return largest <= room
      ? null
      : {
          field: 'payload',
          index: k,
          message: `does not fit in one MQTT packet: ${where} (its largest file is ${largest})`,
        };
  }
  if (publish.payload === null) {
    return publish.size <= room
      ? null
      : { field: 'size', index: k, message: `does not fit in one MQTT packet: ${where} (got ${publish.size})` };
  }
  const payload = payloadTemplateBytes(publish.payload, {
    i: String(i),
    id: vars.id,
    n: String(vars.n),
    group: group.name,
  });
  return payload <= room
    ? null
    : {
        field: 'payload',
        index: k,
        message: `does not fit in one MQTT packet: ${where} (it renders to up to ${payload})`,
      };
}
