import type { IPublishPacket } from 'mqtt';
import { now } from './clock.js';
import { CORRELATION_BYTES, type Encoder } from './encoder.js';
import type { LaneStats } from './lane-stats.js';

/** Correlation data: run tag (u32), client index (u32), sequence number (f64), big-endian: unique per request of the run. */

/**
 * One client's side of request/response (MQTT 5): every message its publisher sends is a request
 * naming the client's response topic, with correlation data unique to it (client and sequence
 * number). Each request ends in exactly one of answered (its response came within the timeout),
 * timed out (it did not; a response after that counts as late, never as answered) or pending
 * (its client ended first). Responses are matched by correlation data alone, so a duplicate, or
 * one for a request this client never sent, is counted as such and matches nothing.
 */
export class Requester {
  /** Requests awaiting their response: sequence number -> send time, in send order (so in timeout order). */
  private readonly outstanding = new Map<number, number>();
  /** The first request not of the warm-up (LaneStats.isWarm): due times grow with seq, so every earlier one was. */
  private coldFrom = Infinity;
  /** Timed out, no response yet: a response now is late. */
  private readonly expired = new Set<number>();
  private highest = -1;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: number,
    private readonly tag: number,
    readonly responseTopic: string,
    private readonly timeoutMs: number,
    private readonly stats: LaneStats,
  ) {}

  /** The group's encoder, with every message made a request: response topic and correlation data added, and awaited. */
  wrap(inner: Encoder): Encoder {
    const encoder: Encoder = {
      properties: undefined,
      encode: (seq, sentAt, scheduledAt) => {
        const payload = inner.encode(seq, sentAt, scheduledAt);
        encoder.properties = {
          ...inner.properties,
          responseTopic: this.responseTopic,
          correlationData: this.correlation(seq),
        };
        this.sent(seq, sentAt, scheduledAt);
        return payload;
      },
    };
    return encoder;
  }

  /** Whether a message on `topic` is a response to this client's requests (onResponse's), not its receiver's. */
  isResponse(topic: string): boolean {
    return topic === this.responseTopic;
  }

  /** The client has ended: requests past their timeout time out, the rest are pending. */
  finish(): void {
    this.clearTimer();
    this.expire(now());
    this.stats.requests.counts.pending += this.outstanding.size;
    this.outstanding.clear();
  }

  onResponse(payload: Buffer, packet: IPublishPacket): void {
    const at = now();
    const stats = this.stats;
    const c = stats.requests.counts;
    stats.counters.bytesIn += payload.length;
    const seq = this.seqOf(packet.properties?.correlationData);
    if (seq === null) {
      c.stray++;
      return;
    }
    const sentAt = this.outstanding.get(seq);
    if (sentAt !== undefined) {
      this.outstanding.delete(seq);
      // The timer may run late on a busy loop: the timeout is what decides, not when the timer fired.
      if (at - sentAt > this.timeoutMs) {
        c.timedOut++;
        c.late++;
        return;
      }
      c.answered++;
      // The warm-up's: answered, and out of the figures, as its latency would be.
      if (seq >= this.coldFrom) stats.requests.recordRoundTrip((at - sentAt) * 1000);
      return;
    }
    if (this.expired.delete(seq)) c.late++;
    else if (seq <= this.highest) c.duplicates++;
    else c.stray++;
  }

  private sent(seq: number, sentAt: number, due: number): void {
    this.stats.requests.counts.sent++;
    if (seq < this.coldFrom && !this.stats.isWarm(sentAt, due)) this.coldFrom = seq;
    this.outstanding.set(seq, sentAt);
    if (seq > this.highest) this.highest = seq;
    if (this.timer === null) this.arm(this.timeoutMs);
  }

  private correlation(seq: number): Buffer {
    const data = Buffer.allocUnsafe(CORRELATION_BYTES);
    data.writeUInt32BE(this.tag, 0);
    data.writeUInt32BE(this.client, 4);
    data.writeDoubleBE(seq, 8);
    return data;
  }

  /** This client's sequence number in correlation data, or null when the data is not one of its own. */
  private seqOf(data: Buffer | undefined): number | null {
    if (!Buffer.isBuffer(data) || data.length !== CORRELATION_BYTES) return null;
    if (data.readUInt32BE(0) !== this.tag || data.readUInt32BE(4) !== this.client) return null;
    const seq = data.readDoubleBE(8);
    return Number.isInteger(seq) && seq >= 0 ? seq : null;
  }

  /** Every request older than the timeout at `t` times out. */
  private expire(t: number): void {
    const c = this.stats.requests.counts;
    for (const [seq, sentAt] of this.outstanding) {
      if (t - sentAt <= this.timeoutMs) return;
      this.outstanding.delete(seq);
      this.expired.add(seq);
      c.timedOut++;
    }
  }

  /** One timer at a time, for the oldest request: all share one timeout, so send order is timeout order. */
  private readonly sweep = (): void => {
    this.timer = null;
    const t = now();
    this.expire(t);
    const oldest = this.outstanding.values().next();
    if (!oldest.done) this.arm(oldest.value + this.timeoutMs - t + 1);
  };

  private arm(ms: number): void {
    this.timer = setTimeout(this.sweep, Math.max(1, ms));
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
