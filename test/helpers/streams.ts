import { SeqTracker } from '../../src/metrics/sequence.js';
import type { StreamFinal } from '../../src/protocol.js';

/** A subscriber's final state of one publisher's stream, as a thread reports it, from the sequence numbers it saw. */
export function stream(subscriber: number, publisher: number, seen: number[], key = `c:${subscriber}`): StreamFinal {
  const s = new SeqTracker();
  for (const seq of seen) s.record(seq);
  return {
    subscriber,
    key,
    publisher,
    received: s.received,
    duplicates: s.duplicates,
    outOfOrder: s.outOfOrder,
    lowest: s.lowest,
    highest: s.highest,
    missing: s.missingRanges(),
  };
}
