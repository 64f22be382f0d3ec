// Types only: worker threads import these names (lane-stats.ts), and a value import of
// histogram.ts would load hdr-histogram-js and pako into every thread (step-histograms.ts).
import type { LatencySummary } from './histogram.js';

/**
 * The steps of a client's life timed as distributions, in this order on the wire (a batch's
 * `steps`, a shard result's `steps`): the TCP connect, the TLS handshake (mqtts, wss), CONNECT to
 * CONNACK, SUBSCRIBE to SUBACK, publish to PUBACK (QoS 1) or PUBCOMP (QoS 2), and a dropped
 * connection to the next CONNACK.
 */
export const STEPS = ['tcpConnect', 'tlsHandshake', 'connack', 'suback', 'puback', 'pubcomp', 'reconnect'] as const;
export type Step = (typeof STEPS)[number];

export const STEP_INDEX: Readonly<Record<Step, number>> = Object.fromEntries(STEPS.map((s, n) => [s, n])) as Record<
  Step,
  number
>;

/** The summary's `steps`: one distribution per step, `count` 0 when the step never happened. */
export type StepFigures = Record<`${Step}Ms`, LatencySummary>;
