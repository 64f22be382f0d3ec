import type { IClientPublishOptions } from 'mqtt';
import type { SessionSettings, SessionSpec } from '../protocol.js';
import { HEADER_SIZE, PayloadWriter } from '../mqtt/payload.js';
import { compilePayload } from './payload-template.js';
import { staticPublishProperties, type PublishProps } from './publish-properties.js';
import { payloadKind, type UserPayload } from './payload-source.js';

/** MQTT 5 user property that carries the payload header (HEADER_SIZE bytes) (hex) when the payload is the user's (a template, files, a generator). */
export const HEADER_PROPERTY = 'mqtt-fleet';

/** A request's correlation data: run tag, client and sequence number (session/requester.ts). */
export const CORRELATION_BYTES = 16;

type Properties = IClientPublishOptions['properties'];

/**
 * Turns (sequence number, send time) into what one publish carries, per the group's tracking.
 * `encode` returns the payload; `properties` then holds that message's MQTT 5 properties (or
 * undefined). No object per message on the plain path: the header rides in the payload.
 */
export interface Encoder {
  /** `scheduledAt`: when the schedule had it due (0: unpaced). null: no payload could be made (a generator failed). */
  encode(seq: number, sentAt: number, scheduledAt: number): Buffer | null;
  properties: Properties;
}

/**
 * `publisher`: who the header says sent it (the client, or one of its streams: session/streams.ts);
 * `user`: payloads from files or a generator (session/payload-source.ts), null for the others.
 */
export function makeEncoder(
  settings: SessionSettings,
  spec: SessionSpec,
  publisher = spec.index,
  user: UserPayload | null = null,
): Encoder {
  const staticProps: Properties = staticPublishProperties(settings, spec);
  if (payloadKind(settings) === 'size') {
    return new HeaderEncoder(new PayloadWriter(settings.size, settings.runTag, publisher), staticProps);
  }
  const render: (seq: number, ts: number) => Buffer | null =
    user ??
    compilePayload(settings.payloadTemplate ?? '', {
      i: String(spec.index),
      id: spec.clientId,
      n: String(spec.n),
      group: settings.group,
    });
  if (settings.tracking === 'none') return { properties: staticProps, encode: render };
  const headerOnly = new PayloadWriter(HEADER_SIZE, settings.runTag, publisher);
  const encoder: Encoder = {
    properties: undefined,
    encode(seq, ts, scheduledAt) {
      encoder.properties = {
        ...staticProps,
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

/** What largestProperties reads: a stream's settings, or a group's plan before any session exists. */
export type PropertySettings = Pick<
  SessionSettings,
  'publishProperties' | 'userProperties' | 'group' | 'tracking' | 'topicAlias' | 'request'
>;

/**
 * The most any one message's MQTT 5 properties can take: the group's fixed ones, the header's
 * user property when it rides there, and a topic alias: for sizing against the broker's limit,
 * and against MQTT's before the run (options/packet-limits.ts).
 */
export function largestProperties(
  settings: PropertySettings,
  spec: Pick<SessionSpec, 'index' | 'n' | 'clientId' | 'responseTopic'>,
): PublishProps {
  const fixed = staticPublishProperties(settings, spec);
  const header: Record<string, string> =
    settings.tracking === 'property' ? { [HEADER_PROPERTY]: '0'.repeat(2 * HEADER_SIZE) } : {};
  return {
    ...fixed,
    userProperties: { ...fixed?.userProperties, ...header },
    ...(settings.topicAlias ? { topicAlias: 1 } : {}),
    // A request group's every publish also carries these (session/requester.ts).
    ...(settings.request && spec.responseTopic !== undefined
      ? { responseTopic: spec.responseTopic, correlationData: Buffer.alloc(CORRELATION_BYTES) }
      : {}),
  };
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
