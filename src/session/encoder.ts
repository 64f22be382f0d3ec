import type { SessionSettings, SessionSpec } from '../protocol.js';
import { HEADER_SIZE, PayloadWriter } from '../mqtt/payload.js';
import { compilePayload } from './payload-template.js';

/** MQTT 5 user property that carries the payload header (HEADER_SIZE bytes) (hex) when the payload is the user's. */
export const HEADER_PROPERTY = 'mqtt-fleet';

type Properties = { userProperties: Record<string, string> } | undefined;

/**
 * Turns (sequence number, send time) into what one publish carries, per the group's tracking.
 * `encode` returns the payload; `properties` then holds that message's MQTT 5 properties (or
 * undefined). No object per message on the plain path: the header rides in the payload.
 */
export interface Encoder {
  /** `scheduledAt`: when the schedule had it due (0: unpaced). */
  encode(seq: number, sentAt: number, scheduledAt: number): Buffer;
  properties: Properties;
}

export function makeEncoder(settings: SessionSettings, spec: SessionSpec): Encoder {
  const staticProps: Properties = settings.userProperties ? { userProperties: settings.userProperties } : undefined;
  if (settings.payloadTemplate === null) {
    return new HeaderEncoder(new PayloadWriter(settings.size, settings.runTag, spec.index), staticProps);
  }
  const render = compilePayload(settings.payloadTemplate, {
    i: String(spec.index),
    id: spec.clientId,
    n: String(spec.n),
    group: settings.group,
  });
  if (settings.tracking === 'none') return { properties: staticProps, encode: render };
  const headerOnly = new PayloadWriter(HEADER_SIZE, settings.runTag, spec.index);
  const encoder: Encoder = {
    properties: undefined,
    encode(seq, ts, scheduledAt) {
      encoder.properties = {
        userProperties: {
          ...settings.userProperties,
          [HEADER_PROPERTY]: headerOnly.write(seq, ts, scheduledAt).toString('hex'),
        },
      };
      return render(seq, ts);
    },
  };
  return encoder;
}

/** The plain path: the header rides in the payload. A class, not a closure: one per client. */
class HeaderEncoder implements Encoder {
  constructor(
    private readonly writer: PayloadWriter,
    readonly properties: Properties,
  ) {}

  encode(seq: number, sentAt: number, scheduledAt: number): Buffer {
    return this.writer.write(seq, sentAt, scheduledAt);
  }
}
