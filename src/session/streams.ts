import { sourceId } from '../mqtt/payload.js';
import { phaseDelayMs } from '../metrics/schedule.js';
import type { PublisherFinal, SessionSettings, SessionSpec, StreamSettings } from '../protocol.js';
import { makeEncoder, type Encoder } from './encoder.js';
import type { LaneStats } from './lane-stats.js';
import { userPayload, type GeneratorSlot } from './payload-source.js';
import { Publisher, type Outlet, type PublisherOwner } from './publisher.js';

/** One stream's outlet: its topic, and its own QoS, retain and properties. */
export type OutletFor = (topic: string, settings: SessionSettings) => Outlet;

/** Who hears that every stream is done: the client's total, and with several streams each one's count. */
export interface StreamsOwner {
  published(published: number, streams: number[] | undefined): void;
}

/**
 * Everything one client publishes: one Publisher per stream of its group's plan (one, or a
 * scenario's `publish` list), each with its own topic, schedule, QoS and payloads, and its own
 * sequence numbers under a source id of its own (the client's index for the first stream), so a
 * receiver accounts for each stream as for any publisher. The client sees one publisher: started,
 * paused, resumed and stopped together; finished when every stream is.
 */
export class Streams implements PublisherOwner {
  private readonly publishers: Publisher[];
  /** Each stream's count once it is done; made when the first is (an idle fleet's never are). */
  private published: number[] | null = null;
  private remaining: number;

  constructor(
    spec: SessionSpec,
    settings: SessionSettings,
    stats: LaneStats,
    outlet: OutletFor,
    private readonly owner: StreamsOwner,
    generator: GeneratorSlot | null,
    /** What each stream's encoder becomes (a request group's requests: session/requester.ts). */
    wrap: (encoder: Encoder, stream: number) => Encoder = (encoder) => encoder,
  ) {
    const plans: (StreamSettings | null)[] = settings.streams ?? [null];
    const topics = spec.streamTopics ?? [spec.pubTopic ?? ''];
    this.remaining = plans.length;
    this.publishers = plans.map((plan, k) => {
      const own = streamSettings(settings, plan, plans.length);
      const topic = topics[k] ?? topics[0] ?? '';
      const source = sourceId(spec.index, k);
      const encoder = wrap(makeEncoder(own, spec, source, userPayload(own, { index: k, topic }, generator)), k);
      return new Publisher(
        source,
        encoder,
        outlet(topic, own),
        own,
        stats,
        this,
        k,
        k === 0 ? spec.phaseMs : phaseDelayMs(own.rate, plan?.phase ?? 'spread', spec.n, settings.groupCount),
      );
    });
  }

  publisherFinished(stream: number, published: number): void {
    const counts = (this.published ??= this.publishers.map(() => 0));
    counts[stream] = published;
    if (--this.remaining > 0) return;
    this.owner.published(
      counts.reduce((a, b) => a + b, 0),
      counts.length > 1 ? counts : undefined,
    );
  }

  get done(): boolean {
    return this.publishers.every((p) => p.done);
  }

  /** The broker's Receive Maximum is the connection's: shared out between the streams. */
  limitWindow(receiveMaximum: number | undefined): void {
    const n = this.publishers.length;
    for (const p of this.publishers)
      p.limitWindow(receiveMaximum === undefined ? undefined : Math.max(1, Math.floor(receiveMaximum / n)));
  }

  start(at: number, online: boolean): void {
    for (const p of this.publishers) p.start(at, online);
  }

  pause(): void {
    for (const p of this.publishers) p.pause();
  }

  resume(): void {
    for (const p of this.publishers) p.resume();
  }

  rejoin(t: number): void {
    for (const p of this.publishers) p.rejoin(t);
  }

  stop(): void {
    for (const p of this.publishers) p.stop();
  }

  finals(): PublisherFinal[] {
    return this.publishers.map((p) => p.final());
  }
}

/**
 * A stream's settings: its client's, with the stream's own plan over them. The in-flight window
 * (--max-inflight) is the connection's, so several streams share it out.
 */
function streamSettings(settings: SessionSettings, plan: StreamSettings | null, streams: number): SessionSettings {
  if (plan === null) return settings;
  const { phase: _phase, ...own } = plan;
  return { ...settings, ...own, maxInflight: Math.max(1, Math.floor(settings.maxInflight / streams)) };
}
