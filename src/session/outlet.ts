import type { IClientPublishOptions } from 'mqtt';
import type { SessionClient } from './session-client.js';
import type { Encoder } from './encoder.js';
import type { Outlet } from './publisher.js';
import type { SessionSettings } from '../protocol.js';
import type { PublishLimit } from './publish-limit.js';

/** Who hears of a message over the broker's Maximum Packet Size (the session: its client fails). */
export interface OverLimit {
  overLimit(sizing: PublishLimit, bytes: number, done: ((err?: Error) => void) | undefined): void;
}

/** One plain publish options object per group's settings, shared by its clients (MQTT.js only reads it). */
const shared = new WeakMap<SessionSettings, IClientPublishOptions>();

export function publishOptionsOf(settings: SessionSettings): IClientPublishOptions {
  let options = shared.get(settings);
  if (options === undefined) {
    options = { qos: settings.qos, retain: settings.retain };
    shared.set(settings, options);
  }
  return options;
}

/**
 * A publisher's way out: one MQTT client's publish to its topic, and its socket's backpressure.
 * A class rather than closures over the session: an idle fleet holds one per client.
 */
export class ClientOutlet implements Outlet {
  /** Set once the session has made its client, before anything is published. */
  client!: SessionClient;
  // Likewise one options object for the group's fixed MQTT 5 properties; only a header carried in
  // a property (a new properties object per message) needs options of its own.
  private lastProperties: Encoder['properties'] = undefined;
  private withProperties: IClientPublishOptions;
  /** The largest payload the broker's last CONNACK allows on this topic (MQTT 5 Maximum Packet Size). */
  max = Infinity;

  constructor(
    private readonly topic: string,
    /** One options object for every plain publish: none allocated per message on the hot path. */
    private readonly publishOptions: IClientPublishOptions,
    readonly sizing: PublishLimit,
    private readonly owner: OverLimit,
  ) {
    this.withProperties = publishOptions;
  }

  publish(payload: Buffer, properties: Encoder['properties'], done?: (err?: Error) => void): void {
    if (payload.length > this.max) return this.owner.overLimit(this.sizing, payload.length, done);
    if (properties !== this.lastProperties) {
      this.lastProperties = properties;
      this.withProperties = properties ? { ...this.publishOptions, properties } : this.publishOptions;
    }
    const opts = this.withProperties;
    this.client.publish(this.topic, payload, opts, done);
  }

  congested(): boolean {
    return this.client.stream?.writableNeedDrain === true;
  }

  onDrain(resume: () => void): void {
    this.client.stream?.once('drain', resume);
  }
}
