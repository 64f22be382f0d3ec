import type { IClientPublishOptions } from 'mqtt';
import { toBuffer } from '../mqtt/payload.js';
import { HOOK_FAILED } from './hooks.js';
import type { LaneStats } from './lane-stats.js';
import type { WorkloadRequest } from './workload.js';

interface RequestPacket {
  qos: number;
  retain: boolean;
  dup: boolean;
  properties?: { responseTopic?: string; correlationData?: Buffer } & Record<string, unknown>;
}

/** Where responses go: the client's publish, or false when it is offline (nothing was sent). */
export type Send = (
  topic: string,
  payload: Buffer,
  options: IClientPublishOptions,
  done: (err?: Error) => void,
) => boolean;

/**
 * One client's side of answering requests (MQTT 5): every message with a response topic is a
 * request, answered on that topic with the request's correlation data. Built in, the response
 * echoes the request's payload; a workload's onRequest hook may delay it, replace its payload or
 * drop it (null). Counted in the lane's batch: requests in, responses sent, dropped, unsent.
 */
export class Responder {
  constructor(
    private readonly qos: 0 | 1 | 2,
    private readonly stats: LaneStats,
    private readonly send: Send,
    /** The workload's onRequest, or null for the built-in echo. */
    private readonly hook: ((request: WorkloadRequest) => Promise<unknown>) | null,
  ) {}

  readonly onMessage = (topic: string, payload: Buffer, packet: RequestPacket): void => {
    const properties = packet.properties;
    const responseTopic = properties?.responseTopic;
    if (typeof responseTopic !== 'string' || responseTopic === '') return;
    this.stats.requests.counts.requestsIn++;
    const correlationData = properties?.correlationData;
    if (this.hook === null) return this.respond(responseTopic, correlationData, payload);
    const request: WorkloadRequest = {
      topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      properties,
      responseTopic,
      correlationData,
    };
    void this.hook(request).then((result) => {
      // The counts object is replaced with every batch: read it when counting, never keep it.
      const c = this.stats.requests.counts;
      if (result === HOOK_FAILED) c.unsent++;
      else if (result === null) c.dropped++;
      else if (typeof result === 'string' || result instanceof Uint8Array)
        this.respond(responseTopic, correlationData, toBuffer(result));
      else this.respond(responseTopic, correlationData, payload);
    });
  };

  private respond(topic: string, correlationData: Buffer | undefined, payload: Buffer): void {
    const options: IClientPublishOptions =
      correlationData === undefined ? { qos: this.qos } : { qos: this.qos, properties: { correlationData } };
    const sent = this.send(topic, payload, options, (err) => {
      if (err) this.stats.requests.counts.unsent++;
      else {
        this.stats.requests.counts.responded++;
        this.stats.counters.bytesOut += payload.length;
      }
    });
    if (!sent) this.stats.requests.counts.unsent++;
  }
}
