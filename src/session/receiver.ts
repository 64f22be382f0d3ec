import { hears } from '../metrics/planned.js';
import { SeqTracker } from '../metrics/sequence.js';
import { SubscriptionWindows } from '../metrics/windows.js';
import { MAX_TRANSIT_MS, type StreamFinal, type SubscriberFinal } from '../protocol.js';
import { now } from './clock.js';
import { HEADER_PROPERTY } from './encoder.js';
import { clientOfSource, readHeader, STREAM_STRIDE, streamOfSource, type Header } from '../mqtt/payload.js';
import type { LaneStats } from './lane-stats.js';

/** Keep the CPU busy in the message handler, as a slow client's own processing would. */
function burn(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** What MQTT.js hands a 'message' listener besides topic and payload. */
interface PacketInfo {
  retain?: boolean;
  properties?: { userProperties?: Record<string, string | string[]> };
}

/**
 * One subscriber's view of everything it receives: latency, sequence state per publisher, and
 * when it was subscribed. Only messages the plan says it hears are accounted for: anything else
 * with this run's header (a publisher it should not hear, a number past its publisher's plan)
 * is foreign, and a message sent before this run began is stale (an earlier run's, same id), so
 * neither can create a stream, an expectation or a sequence number to track.
 */
/**
 * The header of the message being handled, read into one object for every receiver on this
 * thread: a message is handled from start to end before the next, so they never share it at once.
 */
const HEADER: Header = { publisher: 0, seq: 0, sentAt: 0, scheduledAt: 0 };

export class Receiver {
  /**
   * One sequence state per publisher heard. Most subscribers hear one publisher: its stream is
   * kept in a field, and the map made only for a second one.
   */
  private first: SeqTracker | null = null;
  private firstPublisher = -1;
  private streams: Map<number, SeqTracker> | null = null;
  readonly windows = new SubscriptionWindows();
  /** Highest latency seen (µs): how long a message may take to get here. */
  private maxLatencyUs = 0;

  constructor(
    private readonly index: number,
    private readonly key: string,
    private readonly clientId: string,
    private readonly group: number,
    private readonly tag: number,
    private readonly stats: LaneStats,
    private readonly printMessages: boolean,
    private readonly workMs: number,
    /** SessionSpec.hears: the publishers, and how far they number, this client should hear. */
    private readonly heard: readonly number[],
    /** LaneStart.runStart: no message of this run was sent earlier. */
    private readonly runStart: number,
    /** LaneStart.willTopics: a will topic's group, by topic; null when no group has a will. */
    private readonly willTopics: ReadonlyMap<string, string> | null = null,
  ) {}

  /** Every message the client receives (but responses to its requests: session.ts). */
  onMessage(topic: string, payload: Buffer, packet: PacketInfo): void {
    const at = now();
    const stats = this.stats;
    const c = stats.counters;
    c.bytesIn += payload.length;
    if (packet.retain) c.retained++;
    if (!this.readHeader(payload, packet)) {
      c.foreign++;
      const willOf = this.willTopics?.get(topic);
      if (willOf !== undefined) stats.will(willOf);
      if (this.workMs > 0) burn(this.workMs);
      return;
    }
    const { publisher, seq, sentAt } = HEADER;
    if (!hears(this.heard, publisher, seq)) {
      c.foreign++;
      if (this.workMs > 0) burn(this.workMs);
      return;
    }
    if (sentAt < this.runStart) {
      c.stale++;
      if (this.workMs > 0) burn(this.workMs);
      return;
    }
    c.received++;
    stats.lastReceiveAt = at;
    // The warm-up's (due in it): accounted for like any other, kept out of the latency figures.
    const warm = stats.isWarm(sentAt, HEADER.scheduledAt);
    if (warm) c.warmupReceived++;
    const stream = this.streamOf(publisher);
    const before = stream.outOfOrder;
    if (!stream.record(seq)) {
      c.duplicates++;
    } else {
      c.receivedUnique++;
      if (stream.outOfOrder !== before) c.outOfOrder++;
      const us = (at - sentAt) * 1000;
      if (!warm) {
        stats.recordLatency(this.group, us);
        const scheduledAt = HEADER.scheduledAt;
        if (scheduledAt > 0) stats.scheduledLatency.record((at - scheduledAt) * 1000);
      }
      if (us > this.maxLatencyUs) this.maxLatencyUs = us;
      if (this.printMessages) {
        stats.print({
          client: this.index,
          clientId: this.clientId,
          topic,
          from: clientOfSource(publisher),
          ...(publisher >= STREAM_STRIDE ? { stream: streamOfSource(publisher) } : {}),
          seq,
          latencyMs: Math.round(us) / 1000,
        });
      }
    }
    if (this.workMs > 0) burn(this.workMs);
  }

  private streamOf(publisher: number): SeqTracker {
    if (this.firstPublisher === publisher && this.first !== null) return this.first;
    if (this.first === null) {
      this.firstPublisher = publisher;
      return (this.first = new SeqTracker());
    }
    this.streams ??= new Map();
    let stream = this.streams.get(publisher);
    if (stream === undefined) {
      stream = new SeqTracker();
      this.streams.set(publisher, stream);
    }
    return stream;
  }

  /** Every stream so far, by publisher. */
  private allStreams(): [number, SeqTracker][] {
    const all: [number, SeqTracker][] = this.first === null ? [] : [[this.firstPublisher, this.first]];
    return this.streams === null ? all : [...all, ...this.streams];
  }

  /** The header at the start of the payload, or (MQTT 5, payload templates) in a user property. */
  private readHeader(payload: Buffer, packet: PacketInfo): boolean {
    if (readHeader(payload, this.tag, HEADER)) return true;
    const hex = packet.properties?.userProperties?.[HEADER_PROPERTY];
    return typeof hex === 'string' && readHeader(Buffer.from(hex, 'hex'), this.tag, HEADER);
  }

  get uniqueReceived(): number {
    let n = 0;
    for (const [, s] of this.allStreams()) n += s.received;
    return n;
  }

  /** When this client was subscribed; a window still open ends at `end`. */
  subscriberFinal(end: number): SubscriberFinal {
    return {
      client: this.index,
      key: this.key,
      windows: this.windows.final(end),
      transitMs: Math.min(MAX_TRANSIT_MS, this.maxLatencyUs / 1000),
    };
  }

  finals(): StreamFinal[] {
    return this.allStreams().map(([publisher, s]) => ({
      subscriber: this.index,
      key: this.key,
      publisher,
      received: s.received,
      duplicates: s.duplicates,
      outOfOrder: s.outOfOrder,
      lowest: s.lowest,
      highest: s.highest,
      missing: s.missingRanges(),
    }));
  }
}
