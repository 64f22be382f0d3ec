/**
 * A scenario group's MQTT 5 settings: CONNECT properties (`connect`), publish properties and
 * topic aliases (`publish.properties`, `publish.topicAlias`), subscription options (each entry of
 * `subscribe`). Each needs the group's mqttVersion 5, and is refused at its place otherwise.
 */
import type { ConnectProperties, PublishProperties, SubscriptionOptions } from '../../group.js';
import { shareOf, templateProblem, TOPIC_TOKENS } from '../../mqtt/templates.js';
import {
  parseMessageExpiry,
  parseMqttText,
  parsePayloadFormat,
  parseRetainHandling,
  parseSubscriptionId,
  parseUserProperties,
} from '../mqtt5.js';
import { parseBoolean } from '../parse.js';
import { at, isPlainObject, pathText, type Path, type Scenario } from './load.js';
import { checkKeys, needsMqtt5 } from './checks.js';

export const CONNECT_KEYS = ['userProperties', 'requestResponseInformation', 'requestProblemInformation'] as const;
export const PUBLISH_PROPERTY_KEYS = [
  'userProperties',
  'messageExpiry',
  'contentType',
  'payloadFormat',
  'responseTopic',
  'correlationData',
] as const;
export const SUBSCRIPTION_OPTION_KEYS = ['noLocal', 'retainAsPublished', 'retainHandling', 'subscriptionId'] as const;

function mapping(scenario: Scenario, path: Path, value: unknown, keys: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(value)) scenario.fail(path, `must be a mapping of ${keys.join(', ')}`);
  checkKeys(scenario, value, keys, path);
  return value;
}

/** `connect: { userProperties, requestResponseInformation, requestProblemInformation }`. */
export function connectProperties(
  scenario: Scenario,
  path: Path,
  value: unknown,
  protocolVersion: 4 | 5,
): ConnectProperties | null {
  if (value === undefined) return null;
  needsMqtt5(scenario, path, protocolVersion);
  const c = mapping(scenario, path, value, CONNECT_KEYS);
  const out: ConnectProperties = {};
  if (c.userProperties !== undefined)
    out.userProperties = at(scenario, [...path, 'userProperties'], (l) => parseUserProperties(l, c.userProperties));
  for (const key of ['requestResponseInformation', 'requestProblemInformation'] as const)
    if (c[key] !== undefined) out[key] = at(scenario, [...path, key], (l) => parseBoolean(l, c[key]));
  return out;
}

/** `publish.properties`: user properties, and the other MQTT 5 properties of every publish. */
export function publishProperties(
  scenario: Scenario,
  path: Path,
  value: unknown,
  protocolVersion: 4 | 5,
): { userProperties: Record<string, string> | null; properties: PublishProperties | null } {
  if (value === undefined) return { userProperties: null, properties: null };
  needsMqtt5(scenario, path, protocolVersion, 'need mqttVersion 5 (MQTT 3.1.1 has no properties)');
  const p = mapping(scenario, path, value, PUBLISH_PROPERTY_KEYS);
  const place = (key: string): Path => [...path, key];
  const out: PublishProperties = {};
  if (p.messageExpiry !== undefined)
    out.messageExpirySec = at(scenario, place('messageExpiry'), (l) => parseMessageExpiry(l, p.messageExpiry));
  if (p.contentType !== undefined)
    out.contentType = at(scenario, place('contentType'), (l) => parseMqttText(l, p.contentType));
  if (p.payloadFormat !== undefined)
    out.payloadUtf8 = at(scenario, place('payloadFormat'), (l) => parsePayloadFormat(l, p.payloadFormat));
  if (p.responseTopic !== undefined) {
    const topic = at(scenario, place('responseTopic'), (l) => parseMqttText(l, p.responseTopic));
    const label = pathText(place('responseTopic'));
    const problem = templateProblem(label, topic, false, TOPIC_TOKENS);
    if (problem !== null) scenario.fail(place('responseTopic'), problem.slice(label.length).trim());
    out.responseTopic = topic;
  }
  if (p.correlationData !== undefined)
    out.correlationData = at(scenario, place('correlationData'), (l) => parseMqttText(l, String(p.correlationData)));
  const userProperties =
    p.userProperties === undefined
      ? null
      : at(scenario, place('userProperties'), (l) => parseUserProperties(l, p.userProperties));
  return { userProperties, properties: Object.keys(out).length === 0 ? null : out };
}

/** `publish.topicAlias: true`: the client assigns topic aliases (MQTT 5). */
export function topicAlias(scenario: Scenario, path: Path, value: unknown, protocolVersion: 4 | 5): boolean {
  if (value === undefined) return false;
  const on = at(scenario, path, (l) => parseBoolean(l, value));
  if (on) needsMqtt5(scenario, path, protocolVersion);
  return on;
}

/** The MQTT 5 options of one `subscribe` entry ({ topic, qos, noLocal, ... }). */
export function subscriptionOptions(
  scenario: Scenario,
  path: Path,
  entry: Record<string, unknown>,
  filter: string,
  protocolVersion: 4 | 5,
): SubscriptionOptions {
  const out: SubscriptionOptions = {};
  for (const key of SUBSCRIPTION_OPTION_KEYS)
    if (entry[key] !== undefined) needsMqtt5(scenario, [...path, key], protocolVersion);
  if (entry.noLocal !== undefined) {
    out.noLocal = at(scenario, [...path, 'noLocal'], (l) => parseBoolean(l, entry.noLocal));
    // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
    if (out.noLocal && shareOf(filter))
      scenario.fail([...path, 'noLocal'], 'cannot be set on a shared subscription ($share/...)');
  }
  if (entry.retainAsPublished !== undefined)
    out.retainAsPublished = at(scenario, [...path, 'retainAsPublished'], (l) =>
      parseBoolean(l, entry.retainAsPublished),
    );
  if (entry.retainHandling !== undefined)
    out.retainHandling = at(scenario, [...path, 'retainHandling'], (l) => parseRetainHandling(l, entry.retainHandling));
  if (entry.subscriptionId !== undefined)
    out.subscriptionId = at(scenario, [...path, 'subscriptionId'], (l) => parseSubscriptionId(l, entry.subscriptionId));
  return out;
}
