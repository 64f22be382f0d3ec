import { SeqTracker } from '../metrics/sequence.js';
import type { StreamFinal } from '../protocol.js';
import { now } from './clock.js';
import { readHeader, type Header } from './payload.js';
import type { ShardStats } from './shard-stats.js';

/** Keep the CPU busy in the message handler, as a slow client's own processing would. */
function burn(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** One subscriber's view of everything it receives: latency, and sequence state per publisher. */
export class Receiver {
  private readonly streams = new Map<number, SeqTracker>();
  private readonly header: Header = { publisher: 0, seq: 0, sentAt: 0 };

  constructor(
    private readonly index: number,
    private readonly clientId: string,
    private readonly group: number,
    private readonly tag: number,
    private readonly stats: ShardStats,
    private readonly printMessages: boolean,
    private readonly workMs: number,
  ) {}

  readonly onMessage = (topic: string, payload: Buffer): void => {
    const at = now();
    const stats = this.stats;
    const c = stats.counters;
    stats.markDirty();
    c.bytesIn += payload.length;
    if (!readHeader(payload, this.tag, this.header)) {
      c.foreign++;
      return;
    }
    const { publisher, seq, sentAt } = this.header;
    c.received++;
    stats.lastReceiveAt = at;
    let stream = this.streams.get(publisher);
    if (stream === undefined) {
      stream = new SeqTracker();
      this.streams.set(publisher, stream);
    }
    const before = stream.outOfOrder;
    if (!stream.record(seq)) {
      c.duplicates++;
      return;
    }
    c.receivedUnique++;
    if (stream.outOfOrder !== before) c.outOfOrder++;
    const us = (at - sentAt) * 1000;
    stats.recordLatency(this.group, us);
    if (this.printMessages) {
      stats.print({ client: this.index, clientId: this.clientId, thread: 0, topic, from: publisher, seq, latencyMs: Math.round(us) / 1000 });
    }
    if (this.workMs > 0) burn(this.workMs);
  };

  get uniqueReceived(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.received;
    return n;
  }

  finals(): StreamFinal[] {
    return [...this.streams].map(([publisher, s]) => ({
      subscriber: this.index,
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
