/**
 * Parsers of the MQTT 5 settings a group (or the flags) may give: publish properties, CONNECT
 * properties, subscription options. Shared by the option table and scenario files.
 */
import { UsageError } from '../errors.js';
import type { PublishProperties, SubscriptionOptions } from '../group.js';
import { MQTT_STRING_MAX } from './packet-limits.js';
import { parseDuration, parsePositiveCount, parseQos } from './parse.js';

/** [MQTT 5 1.5.5] a Subscription Identifier is a variable byte integer, 1 to 268,435,455. */
export const MAX_SUBSCRIPTION_ID = 268_435_455;

/** Message Expiry Interval: whole seconds (`30s`, `5m`; a bare number is seconds), 1 s to 2^32-1 s. */
export function parseMessageExpiry(option: string, value: unknown): number {
  const seconds = Math.round(parseDuration(option, value, 's') / 1000);
  if (seconds < 1) throw new UsageError(option, `${option} must be at least 1s (got ${seconds}s)`);
  if (seconds > 0xffffffff) throw new UsageError(option, `${option} must be at most 4294967295s (got ${seconds}s)`);
  return seconds;
}

/** Payload Format Indicator: `utf8` (1: the payload is UTF-8 text) or `bytes` (0: unspecified). */
export function parsePayloadFormat(option: string, value: unknown): boolean {
  const text = String(value).trim().toLowerCase();
  if (text === 'utf8' || text === 'utf-8') return true;
  if (text === 'bytes') return false;
  throw new UsageError(option, `${option} must be utf8 or bytes (got ${JSON.stringify(value)})`);
}

/** Retain Handling: 0 (send retained messages on subscribe), 1 (only on a new subscription), 2 (never). */
export function parseRetainHandling(option: string, value: unknown): 0 | 1 | 2 {
  try {
    return parseQos(option, value);
  } catch {
    throw new UsageError(
      option,
      `${option} must be 0 (retained messages on every subscribe), 1 (only on a new subscription) or 2 (never) (got ${JSON.stringify(value)})`,
    );
  }
}

export function parseSubscriptionId(option: string, value: unknown): number {
  return parsePositiveCount(option, value, MAX_SUBSCRIPTION_ID);
}

/** A string MQTT carries with a two-byte length (content type, correlation data): 1 to 65,535 bytes. */
export function parseMqttText(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new UsageError(option, `${option} must be a non-empty string (got ${JSON.stringify(value)})`);
  const bytes = Buffer.byteLength(value);
  if (bytes > MQTT_STRING_MAX)
    throw new UsageError(option, `${option} is ${bytes} bytes; MQTT allows at most ${MQTT_STRING_MAX}`);
  return value;
}

/** A mapping of user property names to values (numbers and booleans taken as their text). */
export function parseUserProperties(option: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(option, `${option} must be a mapping of names to strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'object' && v !== null)
      throw new UsageError(option, `${option}.${k} must be a string, not a mapping or a list`);
    out[k] = String(v);
  }
  return out;
}

/** The MQTT 5 flags of a plain run (the scenario's groups say these per group): keys of the option table. */
const MQTT5_FLAGS = [
  'topicAlias',
  'messageExpiry',
  'contentType',
  'subNoLocal',
  'subRetainAsPublished',
  'subRetainHandling',
] as const;

/** Refused with --scenario, whose groups say these; and without --mqtt-version 5. */
export function checkMqtt5Flags(
  input: Partial<Record<(typeof MQTT5_FLAGS)[number], unknown>>,
  protocolVersion: 4 | 5,
  scenario: boolean,
): void {
  for (const key of MQTT5_FLAGS) {
    const value = input[key];
    if (value === undefined || value === false) continue;
    const label = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (scenario) throw new UsageError(label, `${label} does not go with --scenario: the scenario's groups say it`);
    if (protocolVersion !== 5)
      throw new UsageError(label, `${label} needs --mqtt-version 5 (MQTT 3.1.1 has no such thing)`);
  }
}

/** What the MQTT 5 flags make of a plain run's group. */
export function flagsGroupMqtt5(o: {
  topicAlias: boolean;
  messageExpirySec: number | undefined;
  contentType: string | undefined;
  subNoLocal: boolean;
  subRetainAsPublished: boolean;
  subRetainHandling: 0 | 1 | 2 | undefined;
}): { subscription: SubscriptionOptions; properties: PublishProperties | null; topicAlias: boolean } {
  const properties: PublishProperties = {
    ...(o.messageExpirySec === undefined ? {} : { messageExpirySec: o.messageExpirySec }),
    ...(o.contentType === undefined ? {} : { contentType: o.contentType }),
  };
  return {
    subscription: {
      ...(o.subNoLocal ? { noLocal: true } : {}),
      ...(o.subRetainAsPublished ? { retainAsPublished: true } : {}),
      ...(o.subRetainHandling === undefined ? {} : { retainHandling: o.subRetainHandling }),
    },
    properties: Object.keys(properties).length === 0 ? null : properties,
    topicAlias: o.topicAlias,
  };
}
