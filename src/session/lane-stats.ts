import { STEP_INDEX, STEPS, type Step } from '../metrics/steps.js';
import { threadId } from 'node:worker_threads';
import { LatencyRecorder, SparseRecorder } from '../metrics/recorder.js';
import type { Counters, PrintedMessage, LaneMessage } from '../protocol.js';
import { at } from '../mqtt/checked.js';
import { zeroCounters } from '../metrics/counters.js';
import { RequestRecorder } from '../metrics/round-trip.js';

/** Cap on --print-messages lines per batch, so a fast run cannot flood the main thread. */
const MAX_PRINTED_PER_BATCH = 500;

/**
 * What every session of one lane counts, on the hot path: plain field increments and one
 * histogram record per message. Drained into a `batch` message on a timer, never per message.
 */
export class LaneStats {
  counters = zeroCounters();
  readonly latency: LatencyRecorder[];
  /** How long each step of the clients' lives took (metrics/steps.ts). */
  private readonly steps = STEPS.map(() => new SparseRecorder());
  /** Receive minus scheduled send time: what the broker's user would have felt (coordinated omission included). */
  readonly scheduledLatency = new LatencyRecorder();
  /** Actual minus scheduled send time: how far behind its schedule the publisher was. */
  readonly sendLag = new LatencyRecorder();
  firstPublishAt = 0;
  lastPublishAt = 0;
  lastReceiveAt = 0;
  private printed: PrintedMessage[] = [];
  private printedDropped = 0;
  private reasonCodes = new Map<string, number>();
  /** Will messages received, per group whose will it was. */
  private wills = new Map<string, number>();
  /** Request/response: requests, responses, round trips (session/requester.ts, responder.ts). */
  readonly requests = new RequestRecorder();

  /**
   * Epoch ms before which a message belongs to --warmup (isWarm): counted apart, out of every figure.
   * Until the start barrier opens everything sent is warm-up (without a barrier, publishers start
   * before it); 0 without warm-up.
   */
  warmupUntil: number;

  /** `groups`: how many latency groups (with --work: the others and the working clients). */
  constructor(
    groups: number,
    private readonly warmupMs = 0,
  ) {
    this.latency = Array.from({ length: groups }, () => new LatencyRecorder());
    this.warmupUntil = warmupMs > 0 ? Infinity : 0;
  }

  /** The start barrier opened at `at`: the warm-up runs from there, the same in every thread. */
  go(at: number): void {
    if (this.warmupMs > 0) this.warmupUntil = at + this.warmupMs;
  }

  /**
   * A message due at `due` (0: unpaced) and sent at `sentAt` belongs to the warm-up when it was due
   * in it: one held up by a stall in the warm-up is still the warm-up's, or that stall would reach
   * the figures through it, and how many messages the warm-up has would depend on the machine.
   * An unpaced message has no due time: its send time decides.
   */
  isWarm(sentAt: number, due: number): boolean {
    return (due > 0 ? due : sentAt) < this.warmupUntil;
  }

  onPublish(at: number, bytes: number): void {
    const c = this.counters;
    c.published++;
    c.bytesOut += bytes;
    if (this.firstPublishAt === 0) this.firstPublishAt = at;
    this.lastPublishAt = at;
  }

  /** A non-zero MQTT 5 reason code on an acknowledgement, SUBACK or server DISCONNECT. */
  reasonCode(packet: string, code: number): void {
    const key = `${packet}:${code}`;
    this.reasonCodes.set(key, (this.reasonCodes.get(key) ?? 0) + 1);
  }

  /** A will of `group` arrived (a message without this run's header on one of its will topics). */
  will(group: string): void {
    this.wills.set(group, (this.wills.get(group) ?? 0) + 1);
  }

  recordLatency(group: number, us: number): void {
    at(this.latency, group).record(us);
  }

  /** One step of a client's life (a connect, a handshake, an acknowledgement) took `ms`. */
  recordStep(step: Step, ms: number): void {
    at(this.steps, STEP_INDEX[step]).record(ms * 1000);
  }

  /**
   * The acknowledgement (PUBACK at QoS 1, PUBCOMP at QoS 2) of a message, `ms` after it was sent:
   * out of the figures when the message was the warm-up's (`warm`), as its latency is.
   */
  recordAck(qos: 1 | 2, warm: boolean, ms: number): void {
    if (warm) return;
    this.recordStep(qos === 1 ? 'puback' : 'pubcomp', ms);
  }

  print(message: Omit<PrintedMessage, 'thread'>): void {
    if (this.printed.length < MAX_PRINTED_PER_BATCH) this.printed.push({ ...message, thread: threadId });
    else this.printedDropped++;
  }

  /** The batch since the last call, or null when nothing changed. */
  takeBatch(loopDelay: { p99: number; max: number } | null): LaneMessage | null {
    const requests = this.requests.take();
    if (!this.changed() && requests === null) return null;
    const batch: LaneMessage = {
      type: 'batch',
      counters: this.counters,
      latency: this.latency.map((recorder) => recorder.drain()),
      steps: this.steps.map((recorder) => recorder.drain()),
      scheduledLatency: this.scheduledLatency.drain(),
      sendLag: this.sendLag.drain(),
      firstPublishAt: this.firstPublishAt,
      lastPublishAt: this.lastPublishAt,
      lastReceiveAt: this.lastReceiveAt,
      messages: this.printed,
      messagesDropped: this.printedDropped,
      loopDelay,
      reasonCodes: [...this.reasonCodes],
      wills: [...this.wills],
      ...(requests === null ? {} : { requests }),
    };
    this.reasonCodes = new Map();
    this.wills = new Map();
    this.counters = zeroCounters();
    this.printed = [];
    this.printedDropped = 0;
    return batch;
  }

  /**
   * Whether anything happened since the last batch. Derived from the counters rather than kept
   * as a flag, so no writer can forget to set it: every event a batch carries moves a counter
   * (latencies and printed messages come with `received`) or adds a reason code; step timings
   * (a connect, a SUBACK) move no counter, so they are checked themselves.
   */
  private changed(): boolean {
    if (this.reasonCodes.size > 0 || this.wills.size > 0) return true;
    if (this.steps.some((recorder) => !recorder.empty)) return true;
    const c = this.counters;
    for (const key in c) if (c[key as keyof Counters] !== 0) return true;
    return false;
  }
}
