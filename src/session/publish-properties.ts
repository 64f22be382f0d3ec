import type { IPublishPacket } from 'mqtt';
import type { SessionSettings, SessionSpec } from '../protocol.js';
import { renderTemplate } from '../mqtt/templates.js';

/** MQTT 5 properties of one PUBLISH, as MQTT.js takes them. */
export type PublishProps = NonNullable<IPublishPacket['properties']>;

/**
 * The MQTT 5 properties every publish of one client carries, built once per session: the group's
 * user properties and its other fixed properties (message expiry, content type, payload format,
 * response topic rendered for this client, correlation data); undefined when there are none, so
 * the plain path sends no property at all.
 */
export function staticPublishProperties(
  settings: Pick<SessionSettings, 'publishProperties' | 'userProperties' | 'group'>,
  spec: Pick<SessionSpec, 'index' | 'n' | 'clientId'>,
): PublishProps | undefined {
  const out: PublishProps = {};
  const p = settings.publishProperties;
  if (p?.messageExpirySec !== undefined) out.messageExpiryInterval = p.messageExpirySec;
  if (p?.contentType !== undefined) out.contentType = p.contentType;
  if (p?.payloadUtf8 !== undefined) out.payloadFormatIndicator = p.payloadUtf8;
  if (p?.responseTopic !== undefined)
    out.responseTopic = renderTemplate(p.responseTopic, {
      i: spec.index,
      n: spec.n,
      id: spec.clientId,
      group: settings.group,
    });
  if (p?.correlationData !== undefined) out.correlationData = Buffer.from(p.correlationData);
  if (settings.userProperties) out.userProperties = settings.userProperties;
  return Object.keys(out).length === 0 ? undefined : out;
}
