import { RateSchedule } from '../metrics/schedule.js';
import { Timeline } from '../metrics/timeline.js';
import type { PublisherFinal, SessionSettings } from '../protocol.js';
import { now } from './clock.js';
import { Deadlines } from './deadlines.js';
import type { Encoder } from './encoder.js';
import type { LaneStats } from './lane-stats.js';

/** Where a publisher's messages go: one MQTT client's publish and its socket's backpressure. */
export interface Outlet {
  /** QoS 1/2: `done` runs when the broker acknowledged the message (or it failed). QoS 0: no callback. */
  publish(payload: Buffer, properties: Encoder['properties'], done?: (err?: Error) => void): void;
  /** The socket holds more than its high-water mark: wait for it to drain. */
  congested(): boolean;
  /** Call `resume` once when the socket has drained. */
  onDrain(resume: () => void): void;
}

/** Who hears that a publisher's plan is over: a method on an object, not a closure per publisher (an idle fleet holds every one). */
export interface PublisherOwner {
  /** Publisher `stream` of this owner is done, after `published` messages. */
  publisherFinished(stream: number, published: number): void;
}

/** Publishes before yielding the event loop, so one unpaced client cannot starve the others on it. */
const BURST = 256;

/**
 * One client's publish plan: `count` messages or `duration`, at `rate` per second on a fixed
 * schedule from the start time (0 = as fast as flow control allows: at QoS 1/2 the in-flight
 * window, at QoS 0 the socket's backpressure), or following `stages` (message n is due when
 * the rate's integral from the start reaches n), pausing while the client is offline and
 * catching up after.
 */
export class Publisher {
  private seq = 0;
  private inflight = 0;
  /**
   * Messages awaiting their acknowledgement, with when each was sent (the PUBACK/PUBCOMP step).
   * Made with the first QoS 1/2 message: at QoS 0 there is none to wait for.
   */
  private unacked: Map<number, number> | null = null;
  /** The first message not of the warm-up: due times grow with seq, so every earlier one was (isWarm). */
  private coldFrom = Infinity;
  /** When each message went out, compressed: tells accounting whether its subscribers were subscribed then. */
  private readonly timeline = new Timeline();
  private startAt = 0;
  private endAt = Infinity;
  private started = false;
  private paused = true;
  private finished = false;
  private pumping = false;
  private awaitingDrain = false;
  /** When the next message is due, while waiting for it in `wakes`; its place there (-1: not waiting). */
  private wakeTime = 0;
  private wakeIndex = -1;
  /** Its place in `ends` (-1: not there). */
  private endIndex = -1;
  private immediate: NodeJS.Immediate | null = null;
  private readonly intervalMs: number;
  /** --stages: the rate over time; null for a constant rate. */
  private readonly schedule: RateSchedule | null;
  /**
   * A staged client's phase, in messages: its message n is due when the integral reaches n plus
   * this. Spread in messages rather than time, clients stay spread at every rate of a ramp, and
   * all finish with the plan.
   */
  private readonly phaseMessages: number;
  /** --max-inflight, or less when an MQTT 5 broker's Receive Maximum says so. */
  private window: number;

  constructor(
    private readonly client: number,
    private readonly encoder: Encoder,
    private readonly outlet: Outlet,
    private readonly settings: SessionSettings,
    private readonly stats: LaneStats,
    private readonly owner: PublisherOwner,
    /** Which of its owner's publishers this is. */
    private readonly stream: number,
    /** --phase spread: the schedule starts this long after the start time. */
    private readonly phaseMs = 0,
  ) {
    this.intervalMs = settings.rate > 0 ? 1000 / settings.rate : 0;
    this.schedule = settings.stages === null ? null : new RateSchedule(settings.stages);
    // The plan spreads a staged group by n/N of a period at its peak rate: n/N of a message.
    this.phaseMessages = this.schedule === null ? 0 : (phaseMs * settings.rate) / 1000;
    this.window = settings.maxInflight;
  }

  /** The plan is over (or stopped): nothing more to publish. */
  get done(): boolean {
    return this.finished;
  }

  /** The broker's Receive Maximum (MQTT 5 CONNACK): never more unacknowledged than it accepts. */
  limitWindow(receiveMaximum: number | undefined): void {
    this.window = Math.min(this.settings.maxInflight, receiveMaximum ?? Infinity);
  }

  start(at: number, online: boolean): void {
    if (this.started || this.finished) return;
    this.started = true;
    this.paused = !online;
    // Spread: the whole plan shifts by the client's phase, so each publishes for the full duration.
    this.startAt = this.schedule === null ? at + this.phaseMs : at;
    if (this.settings.durationMs !== undefined) {
      this.endAt = this.startAt + this.settings.durationMs;
      Publisher.ends.set(this);
    }
    this.pump();
  }

  pause(): void {
    this.paused = true;
    this.clearTimer();
  }

  resume(): void {
    this.paused = false;
    // A drain awaited on a connection that has since dropped will never come.
    this.awaitingDrain = false;
    this.pump();
  }

  /**
   * Back after an absence the plan made (--client-stages): carry on from `t` with the next
   * number, skipping what the schedule had while away rather than catching up in a burst.
   */
  rejoin(t: number): void {
    if (!this.started || this.finished) return;
    if (this.intervalMs > 0) this.startAt = Math.max(this.startAt, t - this.seq * this.intervalMs);
    this.resume();
  }

  /** Stop for good (run end, interrupt, or the client gave up). */
  stop(): void {
    this.finish();
  }

  final(): PublisherFinal {
    const { points, errorMs } = this.timeline.final();
    return {
      client: this.client,
      published: this.seq,
      unacked: this.unacked === null ? [] : [...this.unacked.keys()],
      timeline: points,
      timelineErrorMs: errorMs,
    };
  }

  private pump(): void {
    if (this.pumping || !this.started || this.paused || this.finished) return;
    this.pumping = true;
    try {
      const { count } = this.settings;
      const maxInflight = this.window;
      for (let burst = 0; ; burst++) {
        if (count !== undefined && this.seq >= count) return this.finish();
        const t = now();
        if (t >= this.endAt) return this.finish();
        if (this.inflight >= maxInflight) return; // an acknowledgement calls pump again
        if (this.outlet.congested()) return this.waitForDrain();
        let due = 0;
        if (this.intervalMs > 0) {
          due = this.dueAt(this.seq);
          // Past the plan: nothing more is due; the end timer finishes.
          if (due >= this.endAt) return;
          if (due > t) return this.sleepUntil(due);
        }
        if (burst >= BURST) return this.yieldTurn();
        this.publishOne(t, due);
        if (this.paused || this.finished) return;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** `due`: when the schedule had it (0: unpaced, no schedule). */
  private publishOne(t: number, due: number): void {
    const seq = this.seq;
    const payload = this.encoder.encode(seq, t, due);
    // No payload to send (a generator failed, and with it the client): the plan ends here, unnumbered.
    if (payload === null) return this.finish();
    this.seq++;
    this.timeline.add(seq, t);
    this.stats.onPublish(t, payload.length);
    if (seq < this.coldFrom && this.stats.isWarm(t, due)) this.stats.counters.warmupPublished++;
    else {
      if (seq < this.coldFrom) this.coldFrom = seq;
      if (due > 0) {
        const lagMs = t - due;
        this.stats.sendLag.record(lagMs * 1000);
        // More than a period behind: the next message was due before this one went out.
        if (t > this.dueAt(seq + 1)) this.stats.counters.lateSends++;
      }
    }
    if (this.settings.qos === 0) {
      // QoS 0 has no acknowledgement; socket backpressure (congested/onDrain) is its flow control.
      // No per-message callback: MQTT.js would park one 'drain' listener per message otherwise.
      this.outlet.publish(payload, this.encoder.properties);
      this.stats.counters.acked++;
      return;
    }
    this.inflight++;
    (this.unacked ??= new Map()).set(seq, t);
    this.outlet.publish(payload, this.encoder.properties, (err) => this.onAck(seq, err));
  }

  private waitForDrain(): void {
    if (this.awaitingDrain) return;
    this.awaitingDrain = true;
    this.outlet.onDrain(() => {
      if (!this.awaitingDrain) return;
      this.awaitingDrain = false;
      this.pump();
    });
  }

  private onAck(seq: number, err: Error | undefined): void {
    this.inflight--;
    const c = this.stats.counters;
    // No acknowledgement came (connection closed, message given up at the end): its fate is
    // unknown, so it stays among the unacknowledged and counts as in flight, not as lost.
    if (err) c.sendFailed++;
    else {
      const sentAt = this.unacked?.get(seq);
      const qos = this.settings.qos;
      if (sentAt !== undefined && qos !== 0) this.stats.recordAck(qos, seq < this.coldFrom, now() - sentAt);
      this.unacked?.delete(seq);
      c.acked++;
    }
    if (!this.pumping && this.wakeIndex < 0 && this.immediate === null) this.pump();
  }

  /** Let the other work on this event loop (other clients' I/O) run, then carry on: no sleep. */
  private yieldTurn(): void {
    this.clearTimer();
    this.immediate = setImmediate(() => {
      this.immediate = null;
      this.pump();
    });
  }

  /** When message `seq` is due (epoch ms): on the fixed period, or where the stages' integral reaches it. */
  private dueAt(seq: number): number {
    if (this.schedule === null) return this.startAt + seq * this.intervalMs;
    return this.startAt + this.schedule.timeOf(seq + this.phaseMessages);
  }

  private sleepUntil(at: number): void {
    this.clearTimer();
    this.wakeTime = at;
    Publisher.wakes.set(this);
  }

  // The thread's publishers waiting for their next message, and for the end of their plan: one
  // timer each for all of them (deadlines.ts), not two Node timers per publisher.
  private static readonly wakes = new Deadlines<Publisher>({
    at: (p) => p.wakeTime,
    index: (p) => p.wakeIndex,
    setIndex: (p, i) => (p.wakeIndex = i),
    fire: (p) => p.pump(),
  });

  private static readonly ends = new Deadlines<Publisher>({
    at: (p) => p.endAt,
    index: (p) => p.endIndex,
    setIndex: (p, i) => (p.endIndex = i),
    fire: (p) => p.finish(),
  });

  private clearTimer(): void {
    Publisher.wakes.delete(this);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.immediate = null;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    Publisher.ends.delete(this);
    if (this.started) this.owner.publisherFinished(this.stream, this.seq);
  }
}
