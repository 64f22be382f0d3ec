import { plural } from '../report/format.js';
import type { RunEvent } from '../report/events.js';
import { describeError } from '../errors.js';
import type { Hosts, LaneHandle } from '../hosts/index.js';
import type { Topology } from '../metrics/topology.js';
import type { Logger } from '../report/log.js';
import { Aggregate } from '../metrics/aggregate.js';
import { LaneOffers } from '../metrics/offered.js';
import type { ResolvedOptions } from '../options/index.js';
import {
  assertNever,
  type LoopDelay,
  type MainMessage,
  type SessionSpec,
  type LaneMessage,
  type LaneStart,
  type StatusEvent,
} from '../protocol.js';
import { now } from '../session/clock.js';
import { newWatchBuffer, type BlockedHook } from '../session/hook-watch.js';
import { windowOf } from '../session/slots.js';
import { HookMonitor } from '../hosts/hook-monitor.js';
import type { SerializedError } from '../errors.js';
import { at } from '../mqtt/checked.js';
import type { GroupProfile } from '../group.js';
import type { StatsLine } from '../metrics/stats-line.js';
import { plannedAt } from '../metrics/client-plan.js';
import { requestsSettled } from '../metrics/round-trip-totals.js';

type Phase = 'connecting' | 'publishing' | 'draining' | 'stopping' | 'ended';

/** In a sharded run, how long nothing must arrive before the drain ends. */
const QUIET_MS = 1000;

/**
 * Beyond what the sessions may take to stop by their own rules (stopBudgetMs), how long lanes
 * get to report before their threads are terminated: thread scheduling, the finals' transfer.
 */
const STOP_GRACE_MS = 5_000;

/**
 * Drives one run from the main thread: launches lanes, opens the start barrier once every
 * client is ready (or out), waits for publishers to finish and for messages in transit to
 * arrive, then stops everyone and collects their finals. Everything it knows comes over ports.
 */
export class Coordinator {
  readonly aggregate: Aggregate;
  readonly startedAt = now();
  goAt = 0;
  connectMs = 0;
  /** CPU of the whole process (every thread) from the start barrier until publishing ended, and the wall time it spans. */
  private cpuAtGo: { cpu: NodeJS.CpuUsage; at: number } | null = null;
  publishingCpu: { cpuMs: number; wallMs: number } | null = null;
  private phase: Phase = 'connecting';
  /** Clients past the start barrier's wait: subscribed (`ready`) or out for good. */
  private readonly settled = new Set<number>();
  private handles: LaneHandle[] = [];
  private drainTimer: NodeJS.Timeout | null = null;
  private startTimer: NodeJS.Timeout | null = null;
  /** Sharded runs: messages from other shards' publishers keep coming after ours are done. */
  private quietTimer: NodeJS.Timeout | null = null;
  private lastReceived = -1;
  private statsTimer: NodeJS.Timeout | null = null;
  private readonly returned = new Set<number>();
  private readonly reported = new Set<number>();
  /** Lanes whose 'final' (publisher and stream accounting) arrived. */
  private readonly finalsFrom = new Set<number>();
  /** Lanes ended: normally, or lost (died, terminated). */
  private readonly endedLanes = new Set<number>();
  /** Distinct messages each lane's clients received so far, from its batches: what is known of a lost lane. */
  private readonly laneReceived = new Map<number, number>();
  /** Worker threads that died or were terminated: their clients' accounting is incomplete, the run falls short. */
  lostThreads = 0;
  /** Clients of lost threads: failed, their finals never came. */
  readonly lostClients = new Set<number>();
  private graceTimer: NodeJS.Timeout | null = null;
  /** Worker threads blocked in a hook are ended from here. */
  private hookMonitor: HookMonitor | null = null;
  /** Each thread's event-loop delay while publishing. */
  readonly loopDelays: LoopDelay[] = [];
  private resolveEnded!: () => void;
  private readonly ended = new Promise<void>((resolve) => (this.resolveEnded = resolve));
  private readonly publishers: Set<number>;
  /** Request/response: clients whose publishes are requests. */
  private readonly requesters: number[];
  /** Publishers whose plan is over: finished (`published`) or out for good. */
  private readonly publishersDone = new Set<number>();
  private readonly ids: Map<number, string>;
  /** Each group's clients in this process, by their index in the group. */
  private readonly groupMembers: Map<GroupProfile, number[]>;

  constructor(
    private readonly options: ResolvedOptions,
    specs: readonly SessionSpec[],
    private readonly topology: Topology,
    private readonly host: Hosts,
    latencyGroups: number,
    private readonly emit: (event: RunEvent) => void,
    private readonly log: Logger,
  ) {
    this.aggregate = new Aggregate(
      specs.map((s) => s.index),
      latencyGroups,
      this.startedAt,
    );
    this.publishers = new Set(specs.filter((s) => s.pubTopic !== null).map((s) => s.index));
    this.requesters = specs.filter((s) => s.responseTopic !== undefined).map((s) => s.index);
    this.ids = new Map(specs.map((s) => [s.index, s.clientId]));
    this.groupMembers = new Map(
      options.groups.map((g) => [
        g,
        specs.filter((s) => s.index >= g.first && s.index < g.first + g.count).map((s) => s.n),
      ]),
    );
  }

  /** Launch every lane and resolve once all have ended (normally, by stop, or by dying). */
  async run(lanes: LaneStart[]): Promise<void> {
    // Stopped before anything started (an early Ctrl-C): launch nothing.
    if (this.phase !== 'connecting') return this.end();
    this.statsTimer = setInterval(() => this.emit(this.statsLine()), this.options.statsIntervalMs);
    const slots = lanes[0]?.connectSlots;
    if (slots) this.aggregate.connectWindow = () => windowOf(slots).window;
    this.aggregate.offered = new LaneOffers(
      this.options.groups,
      lanes.map((start) => ({
        lane: start.lane,
        publishers: start.sessions.filter((s) => s.pubTopic !== null).map((s) => s.index),
      })),
      2 * Math.max(0, ...lanes.map((start) => start.batchIntervalMs)),
    );
    for (const start of lanes) if (start.settings.workload !== null) start.watch = newWatchBuffer();
    this.handles = lanes.map((start) => this.host.launch(start));
    for (const handle of this.handles) {
      handle.port.on('message', (message: LaneMessage) => this.onLaneMessage(handle.start.lane, message));
      handle.done.then(
        () => {
          this.returned.add(handle.start.lane);
          this.maybeLaneEnded(handle.start.lane);
        },
        (err: unknown) => this.onLaneCrashed(handle, err),
      );
    }
    this.hookMonitor = new HookMonitor(
      this.handles,
      this.options.hookTimeoutMs,
      (h) => !this.endedLanes.has(h.start.lane),
      (h, blocked) => this.onHookBlocked(h, blocked),
    );
    await this.ended;
  }

  /** Stop now: on interrupt, or when the run is complete. Safe to call more than once. */
  stop(reason: string): void {
    if (this.phase === 'stopping' || this.phase === 'ended') return;
    this.log.debug({ reason }, `stopping clients: ${reason}`);
    if (this.phase === 'publishing') this.measurePublishingCpu();
    this.phase = 'stopping';
    this.clearDrainTimer();
    this.broadcast({ type: 'stop' });
    const graceMs = this.stopBudgetMs() + STOP_GRACE_MS;
    this.graceTimer = setTimeout(() => this.abandonUnfinished(graceMs), graceMs);
  }

  /**
   * The longest a session may take, once told to stop, to end by its own rules: finish a
   * connection attempt, run its teardown hook, wait --drain-timeout for acknowledgements, then
   * DISCONNECT and wait (a connect timeout) for the socket to close.
   */
  private stopBudgetMs(): number {
    const o = this.options;
    const hooks = o.groups.some((g) => g.workload !== null) ? o.hookTimeoutMs : 0;
    return 2 * o.connectTimeoutMs + hooks + o.drainTimeoutMs;
  }

  /** The grace after stop has passed: lanes still running lose their threads; what they reported stays. */
  private abandonUnfinished(graceMs: number): void {
    const left = this.handles.filter((h) => !this.endedLanes.has(h.start.lane));
    if (left.length === 0) return;
    const error = {
      name: 'WorkerError',
      message: `its thread did not finish within ${graceMs} ms of stop and was terminated`,
    };
    this.log.error(
      { lanes: left.length },
      `${plural(left.length, 'thread')} did not finish within ${graceMs} ms of stop; terminating them (their clients are failed, their figures so far kept)`,
    );
    for (const handle of left) this.loseLane(handle, () => error);
  }

  private onHookBlocked(handle: LaneHandle, blocked: BlockedHook): void {
    const id = this.clientId(blocked.client);
    const within = `did not finish within ${this.options.hookTimeoutMs} ms`;
    const own = {
      name: 'Error',
      code: 'WORKLOAD_HOOK',
      message: `workload ${blocked.hook} ${within}: it blocked its thread, which was terminated`,
    };
    const others = {
      name: 'WorkerError',
      message: `worker thread terminated: ${id}'s workload ${blocked.hook} ${within} and blocked it`,
    };
    this.log.error(
      { client: id, hook: blocked.hook },
      `${id}: workload ${blocked.hook} ${within} and blocks its thread (${blocked.blockedMs} ms); terminating the thread`,
    );
    this.loseLane(handle, (client) => (client === blocked.client ? own : others));
  }

  /**
   * The streams to account for at the end: receivers whose every member's thread was lost never
   * reported what they received, so their streams are left out rather than counted as lost.
   */
  accountableStreams(): ReadonlyMap<string, readonly number[]> {
    if (this.lostClients.size === 0) return this.topology.expected;
    const out = new Map<string, readonly number[]>();
    for (const [key, publishers] of this.topology.expected) {
      const members = this.topology.members.get(key) ?? [];
      if (members.length > 0 && members.every((m) => this.lostClients.has(m))) continue;
      out.set(key, publishers);
    }
    return out;
  }

  private clientId(index: number): string {
    return this.ids.get(index) ?? `client ${index}`;
  }

  elapsed(): number {
    return Math.round(now() - this.startedAt);
  }

  private onLaneMessage(lane: number, message: LaneMessage): void {
    switch (message.type) {
      case 'status':
        for (const event of message.events) this.onStatus(event);
        this.checkProgress();
        break;
      case 'batch':
        this.aggregate.onBatch(message);
        this.aggregate.offered?.onBatch(lane, now());
        this.laneReceived.set(lane, (this.laneReceived.get(lane) ?? 0) + message.counters.receivedUnique);
        for (const m of message.messages) this.emit({ type: 'message', t: this.elapsed(), ...m });
        if (message.messagesDropped > 0)
          this.log.warn(
            { dropped: message.messagesDropped },
            `--print-messages: ${message.messagesDropped} messages not shown (too many)`,
          );
        this.checkProgress();
        break;
      case 'final':
        this.finalsFrom.add(lane);
        this.aggregate.onFinal(message.publishers, message.streams, message.subscribers);
        break;
      case 'log':
        this.log.info(
          { client: this.clientId(message.client) },
          `${this.clientId(message.client)}: ${message.message}`,
        );
        break;
      case 'lane-done':
        if (message.loopDelay) this.loopDelays.push(message.loopDelay);
        this.aggregate.offered?.onDone(message.lane);
        this.reported.add(message.lane);
        this.maybeLaneEnded(message.lane);
        break;
      default:
        assertNever(message);
    }
  }

  private onStatus(event: StatusEvent): void {
    if (this.aggregate.isFinal(event.client)) return;
    this.aggregate.onStatus(event);
    const final = this.aggregate.isFinal(event.client);
    // A client of a --client-stages plan waits for the start barrier before it connects at all.
    if (event.state === 'ready' || event.state === 'waiting' || final) this.settled.add(event.client);
    if ((event.state === 'published' || final) && this.publishers.has(event.client))
      this.publishersDone.add(event.client);
    const clientId = this.clientId(event.client);
    const { client: _client, received: _received, ...rest } = event;
    this.emit({ type: 'status', t: this.elapsed(), client: event.client, clientId, ...rest });
    const why = event.error ? `: ${describeError(event.error)}` : '';
    switch (event.state) {
      case 'gave-up':
        // A session taken over (MQTT 5) ends at once, not after a round of attempts.
        if (event.error?.code === 'SESSION_TAKEN_OVER')
          this.log.warn({ client: clientId }, `${clientId} gave up${why}`);
        else
          this.log.warn(
            { client: clientId },
            `${clientId} gave up after ${plural(event.attempts ?? this.options.reconnectAttempts, 'failed connection attempt')}${why}`,
          );
        break;
      case 'failed':
        this.log.error({ client: clientId }, `${clientId} failed${why}`);
        break;
      case 'disconnected':
        this.log.info({ client: clientId }, `${clientId} lost its connection${why}`);
        break;
      case 'reconnecting':
      case 'connecting':
        this.log.debug({ client: clientId }, `${clientId} connecting, attempt ${event.attempt} of ${event.of}${why}`);
        break;
      case 'connected':
      case 'ready':
      case 'published':
      case 'waiting':
      case 'done':
        this.log.debug({ client: clientId }, `${clientId} ${event.state}`);
        break;
      case 'left':
      case 'churned':
        this.log.debug(
          { client: clientId },
          `${clientId} ${event.state === 'left' ? 'left' : 'churned'} (${event.abrupt ? 'abrupt' : 'clean'}), as planned`,
        );
        break;
      default:
        assertNever(event.state);
    }
  }

  /** Advance the phase when its condition holds; called after every message that changes state. */
  private checkProgress(): void {
    const agg = this.aggregate;
    if (this.phase === 'connecting') {
      // A count, not a scan of every client: this runs after every message from every lane.
      if (this.settled.size < agg.clients.length) return;
      // Connected and subscribed now, whatever --start-at then waits for.
      if (this.connectMs === 0) this.connectMs = Math.max(1, Math.round(now() - this.startedAt));
      // --start-at: separate shards open their barriers together, at an agreed time.
      const startAt = this.options.startAt ?? 0;
      if (startAt > now()) {
        if (!this.startTimer) {
          this.log.info(
            { startAt: new Date(startAt).toISOString() },
            `ready; publishing starts at ${new Date(startAt).toISOString()}`,
          );
          // Timers may fire a little early: clear the handle, so the check can set another.
          this.startTimer = setTimeout(
            () => {
              this.startTimer = null;
              this.checkProgress();
            },
            startAt - now() + 1,
          );
        }
        return;
      }
      if (this.options.startAt !== null && now() - startAt > 1000) {
        this.log.warn({}, `ready ${Math.round(now() - startAt)} ms after --start-at: this shard starts late`);
      }
      // With --start-at every shard publishes on one schedule from that time, a late one too
      // (its publishers catch up at once, as after a reconnect): duration counts from --start-at.
      this.goAt = this.options.startAt ?? now();
      if (this.aggregate.offered) this.aggregate.offered.goAt = this.goAt;
      this.phase = 'publishing';
      this.cpuAtGo = { cpu: process.cpuUsage(), at: now() };
      this.log.debug({ connectMs: this.connectMs }, `start barrier open after ${this.connectMs} ms`);
      this.broadcast({ type: 'go', at: this.goAt });
    }
    if (this.phase === 'publishing') {
      if (this.publishersDone.size < this.publishers.size) return;
      this.phase = 'draining';
      this.measurePublishingCpu();
      this.drainTimer = setTimeout(() => this.stop('drain timeout'), this.options.drainTimeoutMs);
    }
    if (this.phase === 'draining' && this.drained()) {
      if (this.options.shard === null) return this.stop('all messages accounted for');
      this.waitForQuiet();
    }
  }

  /**
   * In a shard, streams from other shards cannot be counted here: once this shard's own are
   * complete, wait until nothing has arrived for a second (or the drain timeout).
   */
  private waitForQuiet(): void {
    if (this.quietTimer) return;
    this.quietTimer = setInterval(() => {
      const received = this.aggregate.totals.received;
      if (received === this.lastReceived) this.stop('quiet: no messages from other shards for a second');
      this.lastReceived = received;
    }, QUIET_MS);
  }

  /** Every live receiver (a client, or a shared subscription with a live member) has every message its publishers sent. */
  private drained(): boolean {
    const agg = this.aggregate;
    let target = 0;
    let deadReceived = 0;
    for (const [key, publishers] of this.topology.expected) {
      const members = this.topology.members.get(key) ?? [];
      if (members.every((m) => agg.isFinal(m))) {
        for (const m of members) deadReceived += agg.receivedAtEnd.get(m) ?? 0;
        continue;
      }
      for (const p of publishers) target += agg.publishedBy.get(p) ?? 0;
    }
    // Messages without a readable header arrive as foreign: wait until as many have come as the
    // live receivers hear, or they would be cut off in transit and go uncounted. Someone else's
    // traffic counts as foreign too, so this can end the wait early, never prolong it.
    let headerless = 0;
    for (const [key, sources] of this.topology.untracked) {
      if ((this.topology.members.get(key) ?? []).every((m) => agg.isFinal(m))) continue;
      for (const p of sources) headerless += agg.publishedBy.get(p) ?? 0;
    }
    if (agg.totals.foreign < headerless) return false;
    // Wills fired by planned abrupt closes are on their way too (bounded, like the rest, by --drain-timeout).
    for (const wills of agg.wills.values()) if (wills.received < wills.expected) return false;
    // Requests wait for their response or their timeout (bounded, like the rest, by --drain-timeout).
    if (this.requesters.length > 0 && !requestsSettled(agg.requests, this.requesters, agg.publishedBy)) return false;
    return agg.totals.receivedUnique - deadReceived >= target;
  }

  /** A lane has ended once its task returned and its last message (after the finals) arrived: they race. */
  private maybeLaneEnded(lane: number): void {
    if (this.returned.has(lane) && this.reported.has(lane)) this.onLaneEnded(at(this.handles, lane));
  }

  private onLaneEnded(handle: LaneHandle): void {
    if (this.endedLanes.has(handle.start.lane)) return;
    this.endedLanes.add(handle.start.lane);
    handle.port.close();
    // A lane can only end early if all its clients gave up or failed.
    this.checkProgress();
    if (this.endedLanes.size === this.handles.length) this.end();
  }

  private onLaneCrashed(handle: LaneHandle, err: unknown): void {
    // Terminated by us (a blocked hook, the grace after stop): already accounted for.
    if (this.endedLanes.has(handle.start.lane)) return;
    const error = {
      name: 'WorkerError',
      message: `worker thread died: ${err instanceof Error ? err.message : String(err)}`,
    };
    this.log.error(
      { lane: handle.start.lane },
      `${error.message} (clients ${handle.start.sessions.map((s) => s.index).join(', ')})`,
    );
    this.loseLane(handle, () => error);
  }

  /**
   * A lane whose thread died or is terminated now: its clients are failed (with `errorFor`'s
   * reason), even those that had finished if its finals never came, and the run falls short.
   * Counters it reported in batches stay; what it held in its thread is gone.
   */
  private loseLane(handle: LaneHandle, errorFor: (client: number) => SerializedError): void {
    const lane = handle.start.lane;
    if (this.endedLanes.has(lane)) return;
    handle.kill();
    this.lostThreads++;
    const finals = this.finalsFrom.has(lane);
    // Its clients' distinct receipts, as far as the batches tell: the clients still running get what the finished ones did not.
    let unattributed = this.laneReceived.get(lane) ?? 0;
    for (const spec of handle.start.sessions)
      unattributed -= this.aggregate.isFinal(spec.index) ? (this.aggregate.receivedAtEnd.get(spec.index) ?? 0) : 0;
    for (const spec of handle.start.sessions) {
      const client = spec.index;
      if (finals && this.aggregate.isFinal(client)) continue;
      // Without finals, none of its clients' streams can be accounted for, whatever their state.
      if (!finals) this.lostClients.add(client);
      const wasFinal = this.aggregate.isFinal(client);
      if (!this.aggregate.forceFailed(client, wasFinal ? 0 : Math.max(0, unattributed))) continue;
      if (!wasFinal) unattributed = 0;
      this.settled.add(client);
      if (this.publishers.has(client)) this.publishersDone.add(client);
      const error = errorFor(client);
      const clientId = this.clientId(client);
      this.emit({ type: 'status', t: this.elapsed(), client, clientId, state: 'failed', error });
      this.log.error({ client: clientId }, `${clientId} failed: ${describeError(error)}`);
    }
    this.onLaneEnded(handle);
  }

  /** Publishing is over (or stopped): how busy the process was while it lasted. */
  private measurePublishingCpu(): void {
    if (this.cpuAtGo === null || this.publishingCpu !== null) return;
    const cpu = process.cpuUsage(this.cpuAtGo.cpu);
    this.publishingCpu = { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: now() - this.cpuAtGo.at };
  }

  private end(): void {
    if (this.phase === 'ended') return;
    this.measurePublishingCpu();
    this.phase = 'ended';
    this.clearDrainTimer();
    if (this.statsTimer) clearInterval(this.statsTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.hookMonitor?.stop();
    this.emit(this.statsLine());
    this.resolveEnded();
  }

  /** A stats line, with the connected count the plans call for now where a group has --client-stages. */
  private statsLine(): StatsLine {
    const t = now();
    const line = this.aggregate.stats(t, this.elapsed());
    const planned = this.options.groups.some((g) => g.comings.clientStages !== null);
    return planned ? { ...line, plannedClients: this.plannedClients(t) } : line;
  }

  /** Clients of this process the plans have connected at `t` (every client of a group without a plan, once started). */
  private plannedClients(t: number): number {
    const since = this.goAt > 0 ? t - this.goAt : -1;
    let n = 0;
    for (const [group, members] of this.groupMembers) {
      const stages = group.comings.clientStages;
      if (stages === null) n += since >= 0 ? members.length : 0;
      else if (since >= 0) {
        const k = plannedAt(stages, since);
        n += members.length === group.count ? k : members.filter((m) => m < k).length;
      }
    }
    return n;
  }

  private broadcast(message: MainMessage): void {
    for (const handle of this.handles) handle.port.postMessage(message);
  }

  private clearDrainTimer(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (this.quietTimer) clearInterval(this.quietTimer);
    if (this.startTimer) clearTimeout(this.startTimer);
    this.drainTimer = null;
    this.quietTimer = null;
    this.startTimer = null;
  }
}
