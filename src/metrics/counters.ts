import type { Counters } from '../protocol.js';

/** A lane's counters before its first message, and the start of every sum of them. */
export function zeroCounters(): Counters {
  return {
    published: 0,
    acked: 0,
    sendFailed: 0,
    received: 0,
    receivedUnique: 0,
    duplicates: 0,
    outOfOrder: 0,
    foreign: 0,
    stale: 0,
    retained: 0,
    bytesOut: 0,
    bytesIn: 0,
    lateSends: 0,
    warmupPublished: 0,
    warmupReceived: 0,
  };
}
