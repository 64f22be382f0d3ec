import { newStepHistograms } from './step-histograms.js';
import { STEPS } from './steps.js';
import type { StatsLine } from './stats-line.js';
import {
  FINAL_STATES,
  type ClientState,
  type Counters,
  type PublisherFinal,
  type LaneMessage,
  type StatusEvent,
  type StreamFinal,
  type SubscriberFinal,
} from '../protocol.js';
import { zeroCounters } from './counters.js';
import { addCounts, newHistogram, type Histogram } from './histogram.js';
import { IntervalLatency } from './recorder.js';
import { PromBuckets } from './prom-buckets.js';
import type { LaneOffers } from './offered.js';
import { at, known } from '../mqtt/checked.js';
import { sourceId } from '../mqtt/payload.js';
import { RequestTotals } from './round-trip-totals.js';

const ONLINE: ReadonlySet<ClientState> = new Set(['connected', 'ready', 'published']);
const RECONNECTING: ReadonlySet<ClientState> = new Set(['disconnected', 'reconnecting']);

type Batch = Extract<LaneMessage, { type: 'batch' }>;

/**
 * The main thread's picture of the fleet, built only from lane messages: client states,
 * counter totals, and latency histograms merged exactly (HDR add) per latency group.
 */
export class Aggregate {
  /** Every client this process runs (a shard runs a slice of the fleet), by fleet index. */
  readonly states = new Map<number, ClientState>();
  private readonly connects = new Map<number, number>();
  readonly totals: Counters = zeroCounters();
  readonly latency: Histogram[];
  /** Receive minus scheduled send time, and actual minus scheduled send time, of paced messages. */
  readonly scheduledLatency = newHistogram();
  readonly sendLag = newHistogram();
  private readonly interval = new IntervalLatency();
  private readonly intervalScheduled = new IntervalLatency();
  private readonly intervalSendLag = new IntervalLatency();
  private intervalLoopDelay: { p99: number; max: number } | null = null;
  private intervalStart: { t: number; published: number; received: number; connects: number; offered: number };
  /** Each step of the clients' lives (metrics/steps.ts STEPS order), merged exactly like latency. */
  readonly steps: Histogram[] = newStepHistograms();
  private readonly stepInterval = STEPS.map(() => new IntervalLatency());
  /** The same step counts in Prometheus buckets. */
  readonly promSteps = STEPS.map(() => new PromBuckets());
  /** Successful connects (first ones and reconnects), for the per-interval connect rate. */
  private connectsTotal = 0;
  /** What the plan has this process's publishers send (set by the coordinator); null: nothing to offer. */
  offered: LaneOffers | null = null;
  /** Told of every batch's counts as they arrive (--out hdr=). */
  onCounts: ((histogram: { kind: 'latency' | 'step'; index: number }, pairs: readonly number[]) => void) | null = null;
  firstPublishAt = 0;
  lastPublishAt = 0;
  lastReceiveAt = 0;
  /** From `published` status events: each finished publisher's count, by source (a client, or one of its streams). */
  readonly publishedBy = new Map<number, number>();
  /** From final status events: distinct messages each finished client had received. */
  readonly receivedAtEnd = new Map<number, number>();
  readonly publishers = new Map<number, PublisherFinal>();
  readonly reasonCodes = new Map<string, number>();
  /** The same latency counts in Prometheus buckets, for --metrics-port. */
  readonly promLatency = new PromBuckets();
  readonly promScheduledLatency = new PromBuckets();
  readonly promSendLag = new PromBuckets();
  readonly streams: StreamFinal[] = [];
  readonly subscribers: SubscriberFinal[] = [];
  private readonly stateCounts = new Map<ClientState, number>();
  /** --churn: planned reconnects; --client-stages: planned leaves. */
  churned = 0;
  left = 0;
  /** Per group with a will: wills that should have arrived (abrupt planned closes x receivers of the topic), and did. */
  readonly wills = new Map<string, { expected: number; received: number }>();
  /** Request/response: every lane's counts and round trips. */
  readonly requests = new RequestTotals();
  /** The connect window now (session/slots.ts), read by the run that holds it; null: none. */
  connectWindow: () => number | null = () => null;
  /** Clients with a will: their group and how many receivers hear it (metrics/topology.ts willHearers). */
  willHearers: ReadonlyMap<number, { group: string; hearers: number }> = new Map();

  constructor(
    readonly clients: readonly number[],
    latencyGroups: number,
    startedAt: number,
  ) {
    for (const i of clients) {
      this.states.set(i, 'connecting');
      this.connects.set(i, 0);
    }
    this.stateCounts.set('connecting', clients.length);
    this.latency = Array.from({ length: latencyGroups }, () => newHistogram());
    this.intervalStart = { t: startedAt, published: 0, received: 0, connects: 0, offered: 0 };
  }

  onStatus(event: StatusEvent): void {
    const before = this.states.get(event.client);
    if (before === undefined) return;
    if (FINAL_STATES.has(before)) return;
    this.count(before, -1);
    this.count(event.state, +1);
    this.states.set(event.client, event.state);
    if (event.state === 'connected') {
      this.connects.set(event.client, known(this.connects, event.client) + 1);
      this.connectsTotal++;
    }
    if (event.state === 'churned') this.churned++;
    if (event.state === 'left') this.left++;
    if ((event.state === 'churned' || event.state === 'left') && event.abrupt) {
      const will = this.willHearers.get(event.client);
      if (will) this.willsOf(will.group).expected += will.hearers;
    }
    // Each stream is a publisher of its own in the plan's topology (metrics/topology.ts).
    if (event.state === 'published' && event.streams !== undefined)
      event.streams.forEach((n, k) => this.publishedBy.set(sourceId(event.client, k), n));
    else if (event.state === 'published' && event.published !== undefined)
      this.publishedBy.set(event.client, event.published);
    if (FINAL_STATES.has(event.state)) this.receivedAtEnd.set(event.client, event.received ?? 0);
  }

  /**
   * A client whose thread was lost (died, or terminated) before it reported its finals: failed,
   * even if it had said `done`; `received`: its distinct messages as far as the batches tell.
   * False if it had already failed or given up.
   */
  forceFailed(client: number, received: number): boolean {
    const before = this.states.get(client);
    if (before === undefined || before === 'failed' || before === 'gave-up') return false;
    this.count(before, -1);
    this.count('failed', +1);
    this.states.set(client, 'failed');
    if (!FINAL_STATES.has(before)) this.receivedAtEnd.set(client, received);
    return true;
  }

  onBatch(batch: Batch): void {
    const c = batch.counters;
    const t = this.totals;
    for (const key of Object.keys(c) as (keyof Counters)[]) t[key] += c[key];
    batch.latency.forEach((pairs, group) => {
      addCounts(at(this.latency, group), pairs);
      this.interval.add(pairs);
      this.promLatency.add(pairs);
      this.onCounts?.({ kind: 'latency', index: group }, pairs);
    });
    batch.steps.forEach((pairs, n) => {
      if (pairs.length === 0) return;
      addCounts(this.steps[n]!, pairs);
      this.stepInterval[n]!.add(pairs);
      this.promSteps[n]!.add(pairs);
      this.onCounts?.({ kind: 'step', index: n }, pairs);
    });
    addCounts(this.scheduledLatency, batch.scheduledLatency);
    this.intervalScheduled.add(batch.scheduledLatency);
    this.promScheduledLatency.add(batch.scheduledLatency);
    addCounts(this.sendLag, batch.sendLag);
    this.intervalSendLag.add(batch.sendLag);
    this.promSendLag.add(batch.sendLag);
    if (batch.firstPublishAt > 0 && (this.firstPublishAt === 0 || batch.firstPublishAt < this.firstPublishAt)) {
      this.firstPublishAt = batch.firstPublishAt;
    }
    this.lastPublishAt = Math.max(this.lastPublishAt, batch.lastPublishAt);
    this.lastReceiveAt = Math.max(this.lastReceiveAt, batch.lastReceiveAt);
    for (const [key, count] of batch.reasonCodes) this.reasonCodes.set(key, (this.reasonCodes.get(key) ?? 0) + count);
    for (const [group, count] of batch.wills) this.willsOf(group).received += count;
    if (batch.requests) this.requests.add(batch.requests);
    if (batch.loopDelay) {
      const d = this.intervalLoopDelay;
      this.intervalLoopDelay = d
        ? { p99: Math.max(d.p99, batch.loopDelay.p99), max: Math.max(d.max, batch.loopDelay.max) }
        : batch.loopDelay;
    }
  }

  onFinal(publishers: PublisherFinal[], streams: StreamFinal[], subscribers: SubscriberFinal[]): void {
    for (const p of publishers) this.publishers.set(p.client, p);
    for (const s of streams) this.streams.push(s);
    for (const s of subscribers) this.subscribers.push(s);
  }

  private willsOf(group: string): { expected: number; received: number } {
    let wills = this.wills.get(group);
    if (wills === undefined) {
      wills = { expected: 0, received: 0 };
      this.wills.set(group, wills);
    }
    return wills;
  }

  inState(state: ClientState): number {
    return this.stateCounts.get(state) ?? 0;
  }

  get online(): number {
    let n = 0;
    for (const state of ONLINE) n += this.inState(state);
    return n;
  }

  get everConnected(): number {
    let n = 0;
    for (const c of this.connects.values()) if (c > 0) n++;
    return n;
  }

  get reconnects(): number {
    let n = 0;
    for (const c of this.connects.values()) if (c > 1) n += c - 1;
    return n;
  }

  isFinal(client: number): boolean {
    const state = this.states.get(client);
    // Clients of other shards are out of this process's hands: never waited for.
    return state === undefined || FINAL_STATES.has(state);
  }

  /** A stats line for the interval since the previous one. */
  stats(now: number, t: number): StatsLine {
    const last = this.intervalStart;
    const seconds = Math.max(now - last.t, 1) / 1000;
    const interval = this.interval;
    const ms = (us: number): number => Math.round(us) / 1000;
    const figures = (i: IntervalLatency): { p50: number; p99: number; max: number } | null => {
      if (i.total === 0) return null;
      const [p50, p99, max] = i.percentiles([50, 99, 100]).map(ms) as [number, number, number];
      return { p50, p99, max };
    };
    const offered = this.offered === null ? 0 : this.offered.by(now);
    const line: StatsLine = {
      type: 'stats',
      t,
      connected: this.online,
      reconnecting: this.reconnecting,
      gaveUp: this.inState('gave-up'),
      failed: this.inState('failed'),
      offered: offered === null ? null : Math.round(offered),
      published: this.totals.published,
      received: this.totals.received,
      offeredPerSec: offered === null ? null : Math.round((offered - last.offered) / seconds),
      publishedPerSec: Math.round((this.totals.published - last.published) / seconds),
      receivedPerSec: Math.round((this.totals.received - last.received) / seconds),
      connectsPerSec: Math.round((this.connectsTotal - last.connects) / seconds),
      connectWindow: this.connectWindow(),
      latencyMs: figures(interval),
      scheduledLatencyMs: figures(this.intervalScheduled),
      sendLagMs: figures(this.intervalSendLag),
      lateSends: this.totals.lateSends,
      stepsMs: Object.fromEntries(
        STEPS.map((step, n) => [`${step}Ms`, figures(at(this.stepInterval, n))]),
      ) as StatsLine['stepsMs'],
      loopDelayMs: this.intervalLoopDelay,
      rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
    };
    const requests = this.requests;
    if (requests.seen) {
      const { sent, answered, timedOut } = requests.counts;
      line.requests = { sent, answered, timedOut, roundTripMs: figures(requests.interval) };
      requests.interval.reset();
    }
    this.intervalLoopDelay = null;
    interval.reset();
    for (const steps of this.stepInterval) steps.reset();
    this.intervalScheduled.reset();
    this.intervalSendLag.reset();
    this.intervalStart = {
      t: now,
      published: this.totals.published,
      received: this.totals.received,
      connects: this.connectsTotal,
      offered: offered ?? 0,
    };
    return line;
  }

  /** Clients currently trying to get (back) online. */
  get reconnecting(): number {
    let n = 0;
    for (const state of RECONNECTING) n += this.inState(state);
    return n;
  }

  private count(state: ClientState, delta: number): void {
    this.stateCounts.set(state, (this.stateCounts.get(state) ?? 0) + delta);
  }
}
