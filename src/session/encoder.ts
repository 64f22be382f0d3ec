import type { SessionSettings, SessionSpec } from '../protocol.js';
import { PayloadWriter } from './payload.js';
import { compilePayload } from './payload-template.js';

/** MQTT 5 user property that carries the 24-byte header (hex) when the payload is the user's. */
export const HEADER_PROPERTY = 'mqtt-fleet';

export interface Encoded {
  payload: Buffer;
  /** MQTT 5 publish properties, or undefined. */
  properties: { userProperties: Record<string, string> } | undefined;
}

/** Turns (sequence number, send time) into what one publish carries, per the group's tracking. */
export type Encoder = (seq: number, sentAt: number) => Encoded;

export function makeEncoder(settings: SessionSettings, spec: SessionSpec): Encoder {
  const header = new PayloadWriter(settings.size, settings.runTag, spec.index);
  const staticProps = settings.userProperties ? { userProperties: settings.userProperties } : undefined;
  if (settings.payloadTemplate === null) {
    // Hot path: the header in the payload, no per-message properties object.
    return (seq, sentAt) => ({ payload: header.write(seq, sentAt), properties: staticProps });
  }
  const render = compilePayload(settings.payloadTemplate, { i: String(spec.index), id: spec.clientId, n: String(spec.n), group: settings.group });
  if (settings.tracking === 'none') return (seq, ts) => ({ payload: render({ seq, ts }), properties: staticProps });
  const headerOnly = new PayloadWriter(24, settings.runTag, spec.index);
  return (seq, ts) => ({
    payload: render({ seq, ts }),
    properties: { userProperties: { ...settings.userProperties, [HEADER_PROPERTY]: headerOnly.write(seq, ts).toString('hex') } },
  });
}
