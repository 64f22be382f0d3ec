import type { IConnackPacket, IDisconnectPacket, IPublishPacket, Packet } from 'mqtt-packet';
import type { ClientEvents, SessionClient } from './session-client.js';
import { serializeError } from '../errors.js';
import type {
  ClientState,
  PublisherFinal,
  SessionSettings,
  SessionSpec,
  StatusEvent,
  StreamFinal,
  SubscriberFinal,
} from '../protocol.js';
import { now } from './clock.js';
import { clientOptions, withIdentity } from './client-options.js';
import type { Credential } from './credentials.js';
import { Streams, type StreamsOwner } from './streams.js';
import { GeneratorSlot } from './payload-source.js';
import { ClientOutlet, publishOptionsOf, type OverLimit } from './outlet.js';
import { Receiver } from './receiver.js';
import { Requester } from './requester.js';
import { Responder } from './responder.js';
import { createClient } from './transport.js';
import { CONNACK_V4, reasonKeyText, reasonText, refusalError, refusalOf } from '../mqtt/refusal.js';
import { subscribeRequests } from './subscribe-requests.js';
import { PublishLimit } from './publish-limit.js';
import { AttemptBudget, earlyCloseError, isPeerClose, SESSION_TAKEN_OVER, takenOverError } from './reconnect.js';
import type { Slots } from './slots.js';
import { Hooks } from './hooks.js';
import { loadWorkload, type WorkloadContext } from './workload.js';
import type { HookWatch } from './hook-watch.js';
import { threadId } from 'node:worker_threads';
import type { LaneStats } from './lane-stats.js';
import { canTransition, ENDS, hasEnded, isEnding, type SessionState } from './state.js';
import { InternalError } from '../mqtt/checked.js';
import { toBuffer } from '../mqtt/payload.js';
import { nextChurn, presence } from '../metrics/client-plan.js';
import type { LeaveMode } from '../group.js';

/** What a session needs from the lane it runs in. */
export interface SessionHost {
  readonly stats: LaneStats;
  status(event: StatusEvent): void;
  /** Resolves with the publish start time once the start barrier opens. */
  waitForGo(): Promise<number>;
  /** Bounds this lane's connection attempts in flight. */
  readonly connectSlots: Slots;
  /** A workload's log line, for the main thread's logger. */
  log(client: number, message: string): void;
  /** LaneStart.runStart: messages of this run's id sent earlier are an earlier run's. */
  readonly runStart: number;
  /** Which workload hook runs, for a watcher outside this thread. */
  readonly watch: HookWatch;
  /** LaneStart.willTopics as a map; null when no group has a will. */
  readonly willTopics: ReadonlyMap<string, string> | null;
  /** This lane's clients' rows of their group's credentials file, by fleet index; null: no file. */
  readonly credentials: ReadonlyMap<number, Credential> | null;
}

/** Topic aliases are MQTT.js's alone (autoAssignTopicAlias): such a session keeps MQTT.js under --mqtt-client auto. */
function usesTopicAlias(settings: SessionSettings): boolean {
  return settings.topicAlias || (settings.streams?.some((stream) => stream.topicAlias) ?? false);
}

/** A settled promise to start from: one for every session. */
const SETTLED: Promise<void> = Promise.resolve();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** How often a planned clean leave checks whether its outstanding acknowledgements have come. */
const ACK_POLL_MS = 5;

const ACK_PACKETS = new Set(['puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback']);

type Attempt =
  | {
      ok: true;
      sessionPresent: boolean;
      receiveMaximum: number | undefined;
      maximumPacketSize: number | undefined;
      connackMs: number;
    }
  | { ok: false; error: unknown };

/** A connection attempt under way (Session.attempt): what its outcome is made of, as it comes. */
interface AttemptInFlight {
  /** The first error (the cause: a later 'connack timeout' only says nothing came after it). */
  error: unknown;
  /** When the broker's first packet, its CONNACK, came (epoch ms); 0: not yet. */
  connackAt: number;
  startedAt: number;
  resolve: (attempt: Attempt) => void;
}

type MessageListener = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

/**
 * One MQTT client's whole life, identical in every thread mode: connect with a bounded number
 * of attempts, subscribe, wait for the start barrier, publish its plan, keep receiving until
 * told to stop, then DISCONNECT. A dropped connection starts a fresh round of attempts, unless
 * it dropped right after its CONNACK, which counts against the round it came from (AttemptBudget);
 * when a round fails, or the session is taken over, the client gives up and the others carry on.
 * Its life is a state machine (state.ts): `state` changes only through transition().
 */
export class Session implements OverLimit, StreamsOwner, ClientEvents {
  private client!: SessionClient;
  private readonly publisher: Streams | null;
  /** `payload: '@workload'`: the workload's generator, once loaded. */
  private readonly generator = new GeneratorSlot();
  /** One way out per stream: its topic, and the broker's Maximum Packet Size honoured for it. */
  private outlets: readonly ClientOutlet[] = [];
  /** Acknowledgement reason codes this client got (words, count); null until the first: most get none. */
  private ackCodes: Map<string, number> | null = null;
  private readonly receiver: Receiver | null;
  /** Request/response: this client's requests and their responses; null unless its group sends requests. */
  private readonly requester: Requester | null;
  private state: SessionState = 'created';
  /**
   * Connected: from an accepted CONNACK to the socket's close. Not a state of the life: the socket
   * closes when it will, in any state (closing ones included, where a teardown hook may still
   * publish while it is open), so it is the socket's fact, kept beside the state.
   */
  private online = false;
  /** Was ever ready: the next CONNACK is a reconnect. A one-way latch, not a state. */
  private everReady = false;
  /**
   * The publish plan has started (the start barrier was passed): ticks run whenever online. A
   * one-way latch that outlives reconnects (a reconnect resumes the plan, it does not wait for
   * the start again), so it is not a state either.
   */
  private publishing = false;
  private lastError: unknown = undefined;
  /** Attempts the current (or last) round of connection attempts has made. */
  private roundAttempts = 0;
  private wakeDelay: (() => void) | null = null;
  private closed: Promise<void> = SETTLED;
  /** Settles `closed`: set from an accepted CONNACK until that connection closes. */
  private onClosed: (() => void) | null = null;
  private hooks: Hooks | null = null;
  private closing: Promise<void> | null = null;
  private readonly budget: AttemptBudget;
  /** The connection attempt in flight: how it has gone so far, and how it ends; null between attempts. */
  private attemptInFlight: AttemptInFlight | null = null;
  /** Besides the receiver, who hears every message: the workload's onMessage, the responder; null: nobody. */
  private otherListeners: MessageListener | null = null;
  /** When the last established connection closed (epoch ms). */
  private droppedAt = 0;
  /** The last TCP connect's time (ms): a second or more is a lost SYN, for the adaptive connect window. */
  private tcpConnectMs = 0;
  /** When this attempt's socket was ready and its CONNECT left (epoch ms): the CONNACK step counts from here. */
  private connectSentAt = 0;
  /** Epoch ms the start barrier opened: the origin of the --client-stages plan and the --churn schedule; 0 before. */
  private planStart = 0;
  /** The plan says leave now, while no connection is up to close: the round in progress ends, with no give-up. */
  private leaveDue = false;
  /** Ends this stretch of the plan (--client-stages). */
  private leaveTimer: NodeJS.Timeout | null = null;
  /** The next churn (--churn), while up. */
  private churnTimer: NodeJS.Timeout | null = null;
  /** The churn period last acted on (ms from planStart): the next one is later. */
  private lastChurnMs = 0;
  /** A planned close under way (a leave, a churn): settles once the client can connect again. */
  private planClose: Promise<void> = SETTLED;
  private planCloseAbrupt = false;
  /**
   * When the planned close began (epoch ms; 0: none under way). The subscription window ends
   * there: a broker that acknowledged a message may deliver it after our DISCONNECT has gone, and
   * drops it then, which is the plan's doing, not a loss.
   */
  private planCloseAt = 0;
  /**
   * The next CONNACK ends an absence the plan made: the publisher skips what its schedule had
   * before this time (epoch ms: the plan's join), and catches up what the connecting took. 0: none.
   */
  private rejoinAt = 0;
  /** Cuts a --client-stages wait for the start barrier short when the session starts to end; null: none waits. */
  private wakeEnd: (() => void) | null = null;

  constructor(
    private readonly spec: SessionSpec,
    private readonly settings: SessionSettings,
    private readonly host: SessionHost,
    /** Epoch ms of the first connection attempt (--connect-rate spreads them out). */
    private readonly connectAt: number,
  ) {
    // A connection must outlast the wait allowed for its CONNACK before its round counts as won.
    this.budget = new AttemptBudget(settings.reconnectAttempts, settings.reconnectDelayMs, settings.connectTimeoutMs);
    const stats = host.stats;
    this.receiver =
      spec.subscriptions.length === 0
        ? null
        : new Receiver(
            spec.index,
            spec.receiverKey,
            spec.clientId,
            spec.latencyGroup,
            settings.runTag,
            stats,
            settings.printMessages,
            spec.workMs,
            spec.hears,
            host.runStart,
            host.willTopics,
          );
    this.requester =
      settings.request && spec.responseTopic !== undefined
        ? new Requester(spec.index, settings.runTag, spec.responseTopic, settings.request.timeoutMs, stats)
        : null;
    // One outlet per stream (session/streams.ts): its topic, QoS and retain flag, and its size limit.
    const outlet = (pubTopic: string, own: SessionSettings): ClientOutlet => {
      const out = new ClientOutlet(pubTopic, publishOptionsOf(own), new PublishLimit(own, spec, pubTopic), this);
      // A new array of exactly the outlets (usually one): a pushed-to (or spread) array keeps room for 17.
      this.outlets = this.outlets.concat(out);
      return out;
    };
    this.publisher =
      spec.pubTopic === null
        ? null
        : new Streams(
            spec,
            settings,
            stats,
            outlet,
            this,
            this.generator,
            // A request group publishes one stream (options/scenario/request.ts): its requests.
            (encoder) => (this.requester ? this.requester.wrap(encoder) : encoder),
          );
  }

  /**
   * Runs until stopped, given up, or failed. Never rejects: failures become a `failed` status.
   * Chained rather than awaited, so that an idle session holds one suspended async function
   * (connected()'s), not three: each costs its generator, registers, promise and context.
   */
  run(): Promise<void> {
    return this.begin().then(() => this.finish());
  }

  /** Set up the client, then live; a failure on the way becomes this session's `failing`. */
  private async begin(): Promise<void> {
    try {
      if (this.state === 'created') this.transition('starting');
      // Made here, not kept: MQTT.js copies what it needs, so the session holds no options of its own.
      const connection = clientOptions(this.spec, this.settings, this.host.credentials?.get(this.spec.index));
      this.client = await createClient(
        connection.url,
        withIdentity(connection.options, connection.identity),
        this.settings.maxPacketSize,
        this,
        this.spec.localAddress,
        this,
        this.settings.mqttClient === 'auto' && !usesTopicAlias(this.settings),
      );
      for (const outlet of this.outlets) outlet.client = this.client;
      if (this.settings.workload !== null) {
        const path = this.settings.workload;
        const workload = await this.host.watch.during('import', this.spec.index, () => loadWorkload(path));
        this.hooks = new Hooks(
          workload,
          this.workloadContext(),
          this.settings.hookTimeoutMs,
          (err) => this.fail(err),
          this.host.watch,
        );
        if (workload.onMessage) this.alsoHear(this.hooks.message);
        this.generator.generate = this.hooks.payload;
        await this.hooks.setup();
      }
      if (this.settings.respond) this.alsoHear(this.responder(this.settings.respond.qos).onMessage);
      if (!isEnding(this.state)) return this.live().catch((err: unknown) => this.failed(err));
    } catch (err) {
      this.failed(err);
    }
  }

  /** ClientEvents: the client's error, in an attempt or on an established connection. */
  clientError(err: Error): void {
    // A failing client keeps its cause: ending its connection can itself raise errors (a write
    // after the end), which would otherwise be reported as why it failed.
    if (this.state !== 'failing') this.lastError = err;
    const stream = this.client.stream;
    const attempt = this.attemptInFlight;
    if (attempt !== null) {
      // The first error is the cause (a later 'connack timeout' only says nothing came after it).
      attempt.error ??= err;
      // MQTT.js reports a parser error (bytes that are not MQTT) but keeps the socket open until
      // the CONNACK timeout: end the attempt now, with that error.
      if (!stream?.destroyed) stream?.destroy();
      return;
    }
    // MQTT.js reports a protocol error on an established connection (bytes that are not MQTT,
    // an oversize packet) and reads on; later packets would then go missing without a word.
    // End the connection with that error instead: `disconnected`, then a reconnect round.
    if (this.client.connected && !isEnding(this.state) && !stream?.destroyed) stream?.destroy();
  }

  /** ClientEvents: the connection closed; an attempt in flight has failed. */
  clientClose(): void {
    this.connectionClosed();
    const attempt = this.attemptInFlight;
    if (attempt === null) return;
    this.attemptInFlight = null;
    attempt.resolve({ ok: false, error: attempt.error ?? new Error('connection closed before CONNACK') });
  }

  clientPacket(packet: Packet): void {
    // The broker's first packet is its CONNACK [MQTT-3.2.0-1].
    const attempt = this.attemptInFlight;
    if (attempt !== null && attempt.connackAt === 0) attempt.connackAt = now();
    // MQTT 5 acknowledgements carry reason codes; MQTT.js passes on only the failures, and not
    // 0x10 (no matching subscribers), which is worth showing.
    if (this.settings.protocolVersion !== 5) return;
    const code = (packet as { reasonCode?: number }).reasonCode;
    if (!code || !ACK_PACKETS.has(packet.cmd)) return;
    this.host.stats.reasonCode(packet.cmd, code);
    this.ackCode(packet.cmd, code);
  }

  /** ClientEvents, MQTT 5: the broker says why it is closing the connection. */
  clientDisconnect(packet: IDisconnectPacket): void {
    const code = packet.reasonCode ?? 0;
    if (code === 0) return;
    this.host.stats.reasonCode('disconnect', code);
    if (code === SESSION_TAKEN_OVER) {
      // Stopping or failing meanwhile: the session ends as it was going to.
      if (this.state === 'up') this.transition('taken-over');
      this.lastError = takenOverError(this.spec.clientId);
      // The broker closes the connection after its DISCONNECT [MQTT-3.14.4-1]; do not wait on it.
      this.client.stream?.destroy();
      return;
    }
    this.lastError = Object.assign(new Error(`broker sent DISCONNECT: ${reasonText(code)}`), {
      code: `DISCONNECT_${code}`,
    });
  }

  clientMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const receiver = this.receiver;
    if (receiver !== null) {
      // Responses to this client's requests are its requester's; everything else, its receiver's.
      if (this.requester?.isResponse(topic)) this.requester.onResponse(payload, packet);
      else receiver.onMessage(topic, payload, packet);
    }
    this.otherListeners?.(topic, payload, packet);
  }

  /** Another listener to every message, after those before it: the workload's onMessage, the responder. */
  private alsoHear(listener: MessageListener): void {
    const before = this.otherListeners;
    this.otherListeners =
      before === null
        ? listener
        : (topic, payload, packet) => {
            before(topic, payload, packet);
            listener(topic, payload, packet);
          };
  }

  private failed(err: unknown): void {
    if (this.state === 'failing') return;
    this.transition('failing');
    this.lastError = err;
  }

  /** StreamsOwner: every stream's plan is over. */
  published(published: number, streams: number[] | undefined): void {
    this.status('published', streams ? { published, streams } : { published });
  }

  /** A non-zero acknowledgement reason code, for this client's final status. */
  private ackCode(packet: string, code: number): void {
    // In words only at the end: this runs once per acknowledgement that carries a code.
    const key = `${packet}:${code}`;
    this.ackCodes ??= new Map();
    this.ackCodes.set(key, (this.ackCodes.get(key) ?? 0) + 1);
  }

  /** TransportTimer: the TCP connect or TLS handshake took `ms`. */
  step(step: 'tcpConnect' | 'tlsHandshake', ms: number): void {
    this.host.stats.recordStep(step, ms);
    if (step === 'tcpConnect') this.tcpConnectMs = ms;
  }

  /** TransportTimer: the socket is ready; the CONNECT leaves now. */
  ready(at: number): void {
    this.connectSentAt = at;
  }

  /** After live() (or a failure before it): close what is open and report the session's end. */
  private async finish(): Promise<void> {
    this.publisher?.stop();
    if (this.hooks) await this.hooks.teardown();
    if (this.client) await this.disconnect();
    this.requester?.finish();
    const end = this.end();
    const error = end === 'done' ? undefined : this.lastError;
    const received = this.receiver?.uniqueReceived ?? 0;
    // Giving up: how many attempts the last round made (a refusal that retrying cannot help ends it after one).
    const made = end === 'gave-up' && this.roundAttempts > 0 ? { attempts: this.roundAttempts } : {};
    const codes =
      this.ackCodes === null
        ? {}
        : { reasonCodes: Object.fromEntries([...this.ackCodes].map(([key, n]) => [reasonKeyText(key), n])) };
    this.status(
      end,
      error === undefined
        ? { received, ...made, ...codes }
        : { received, ...made, ...codes, error: serializeError(error) },
    );
  }

  /** Answers the requests this client receives: the workload's onRequest, or the built-in echo. */
  private responder(qos: 0 | 1 | 2): Responder {
    const hooks = this.hooks?.answersRequests ? this.hooks : null;
    return new Responder(
      qos,
      this.host.stats,
      (topic, payload, options, done) => {
        if (!this.online) return false;
        this.client.publish(topic, payload, options, done);
        return true;
      },
      hooks && ((request) => hooks.request(request)),
    );
  }

  /** From the closing state run() ended in to its end. */
  private end(): 'done' | 'failed' | 'gave-up' {
    const from = this.state;
    let end = ENDS[from];
    if (end === undefined) {
      // live() returns only once the session is ending: anything else is a bug, reported as this client's failure.
      this.transition('failing');
      this.lastError = new InternalError(`${this.spec.clientId}: run() ended while ${from}`);
      end = 'failed';
    }
    this.transition(end);
    return end;
  }

  /**
   * The one way `state` changes. A move the table does not allow is a bug: it becomes this
   * client's failure (an InternalError, reported in its final status), never a crash of the
   * thread it shares with other clients.
   */
  private transition(to: SessionState): void {
    const from = this.state;
    if (canTransition(from, to)) {
      this.state = to;
      return;
    }
    const error = new InternalError(`${this.spec.clientId}: a session cannot go from ${from} to ${to}`);
    // Already reported: nothing is left to report it in, and nothing should move a session that has ended.
    if (hasEnded(from)) throw error;
    this.lastError = error;
    if (from !== 'failing') this.state = 'failing';
    this.windDown();
  }

  /**
   * A message over the broker's Maximum Packet Size (a payload template rendered longer than the
   * CONNACK allows): not sent, as the broker would drop the connection on it; the client fails.
   */
  overLimit(sizing: PublishLimit, bytes: number, done: ((err?: Error) => void) | undefined): void {
    const err = sizing.error(bytes);
    done?.(err);
    this.fail(err);
  }

  /** This client failed (a workload hook threw or hung): report it, and end its session. */
  private fail(err: Error): void {
    if (this.state === 'failing' || hasEnded(this.state)) return;
    this.transition('failing');
    this.lastError = err;
    this.windDown();
  }

  private workloadContext(): WorkloadContext {
    const { spec, settings } = this;
    return {
      index: spec.index,
      clientId: spec.clientId,
      threadId,
      state: {},
      options: {
        qos: settings.qos,
        size: settings.size,
        rate: settings.rate,
        topic: spec.pubTopic,
        subscriptions: spec.subscriptions.map((s) => s.filter),
      },
      publish: (topic, payload, options = {}) =>
        new Promise<void>((resolve, reject) => {
          if (!this.online) return reject(new Error(`${spec.clientId} is offline`));
          const body = toBuffer(payload);
          const sentAt = now();
          const qos = options.qos ?? settings.qos;
          this.host.stats.onPublish(sentAt, body.length);
          this.client.publish(topic, body, { qos, retain: options.retain ?? false }, (err) => {
            if (err) {
              this.host.stats.counters.sendFailed++;
              return reject(err);
            }
            if (qos !== 0) this.host.stats.recordAck(qos, this.host.stats.isWarm(sentAt, 0), now() - sentAt);
            this.host.stats.counters.acked++;
            resolve();
          });
        }),
      log: (message) => this.host.log(spec.index, String(message)),
    };
  }

  /** Stop publishing and disconnect cleanly; `run()` then resolves. */
  stop(): void {
    if (isEnding(this.state)) return;
    this.transition('stopping');
    this.windDown();
  }

  /** No new attempt, wait, tick or message; a graceful close if connected. Safe to repeat. */
  private windDown(): void {
    this.wakeEnd?.();
    this.clearPlanTimers();
    this.hooks?.stopTicks();
    this.publisher?.stop();
    this.wakeDelay?.();
    this.abortAttempt();
    if (this.online) void this.closeGracefully();
  }

  finals(): { publishers: PublisherFinal[]; streams: StreamFinal[]; subscriber: SubscriberFinal | null } {
    return {
      publishers: this.publisher?.finals() ?? [],
      streams: this.receiver?.finals() ?? [],
      subscriber: this.receiver?.subscriberFinal(now()) ?? null,
    };
  }

  private live(): Promise<void> {
    if (this.settings.comings.clientStages !== null) return this.livePlanned();
    this.transition('connecting');
    const wait = this.connectAt - now();
    // Chained, not awaited: no suspended live() for as long as the session lives.
    return wait > 0 ? this.delay(wait).then(() => this.connected()) : this.connected();
  }

  /**
   * --client-stages: wait for the start barrier (which opens with nobody connected: every client
   * of a plan waits), then connect for each stretch the plan gives this client and leave at its
   * end. After the last stretch the session ends (`done`): it has left for good.
   */
  private async livePlanned(): Promise<void> {
    this.transition('waiting');
    this.status('waiting');
    const ending = new Promise<number>((resolve) => (this.wakeEnd = () => resolve(0)));
    const go = await Promise.race([this.host.waitForGo(), ending]);
    this.wakeEnd = null;
    if (isEnding(this.state)) return;
    this.planStart = go;
    this.publishing = true;
    // Paused until the first join; its end (--duration) counts from the start, as everyone's does.
    this.publisher?.start(go, false);
    for (const [join, leave] of presence(this.settings.comings.clientStages ?? [], this.spec.n)) {
      const wait = go + join - now();
      if (wait > 0) await this.delay(wait);
      if (isEnding(this.state)) return;
      this.leaveDue = false;
      this.rejoinAt = go + join;
      if (leave !== Infinity) this.leaveTimer = setTimeout(() => this.onLeaveTime(), Math.max(0, go + leave - now()));
      this.transition('connecting');
      await this.connected();
      this.clearPlanTimers();
      if (isEnding(this.state)) return;
      // Left (state `leaving`, or `waiting` if no connection was up at the time): until the next stretch.
      if (this.state === 'leaving') this.transition('waiting');
    }
    // Left for good: the session ends here, its publisher's plan with it.
    if (!isEnding(this.state)) this.transition('stopping');
  }

  /** The plan's time to leave: close the connection, or end the round of attempts in progress. */
  private onLeaveTime(): void {
    this.leaveTimer = null;
    if (this.state === 'up') {
      this.transition('leaving');
      this.closeForPlan(this.settings.comings.clientLeave);
      return;
    }
    // Connecting, or closing for a churn: the round to come (or in progress) ends without a connection.
    this.leaveDue = true;
    this.wakeDelay?.();
    // A CONNECT already out carries the will: cut off now, the broker would publish it whatever
    // the plan said, and unaccounted. Its CONNACK (or the attempt's failure, within
    // --connect-timeout) comes, and the loop then leaves as planned, clean or abrupt.
    if (this.attemptInFlight !== null && this.connectSentAt !== 0) return;
    this.abortAttempt();
  }

  /** --churn: the next period that takes this client, while it is up. */
  private armChurn(): void {
    const churn = this.settings.comings.churn;
    if (churn === null || this.planStart === 0 || this.state !== 'up' || this.churnTimer !== null) return;
    const t = now() - this.planStart;
    const at = nextChurn(churn, this.settings.groupCount, this.spec.n, Math.max(t, this.lastChurnMs));
    // Churn belongs to the publishing time: none while the run drains what is still on its way.
    const { durationMs } = this.settings;
    if (at === Infinity || (durationMs !== undefined && at >= durationMs) || this.publisher?.done === true) return;
    this.churnTimer = setTimeout(
      () => {
        this.churnTimer = null;
        if (this.state !== 'up' || this.publisher?.done === true) return;
        this.lastChurnMs = at;
        this.transition('churning');
        this.closeForPlan(churn.mode);
      },
      Math.max(0, at - t),
    );
  }

  private clearPlanTimers(): void {
    if (this.leaveTimer !== null) clearTimeout(this.leaveTimer);
    if (this.churnTimer !== null) clearTimeout(this.churnTimer);
    this.leaveTimer = null;
    this.churnTimer = null;
  }

  /**
   * Close the connection as the plan says: `clean` waits (up to --drain-timeout) for outstanding
   * acknowledgements and sends DISCONNECT, so no will fires; `abrupt` destroys the socket, so
   * the broker publishes the will. planClose settles once the client may connect again.
   */
  private closeForPlan(mode: LeaveMode): void {
    const client = this.client;
    this.publisher?.pause();
    this.hooks?.stopTicks();
    this.planCloseAbrupt = mode === 'abrupt';
    this.planCloseAt = now();
    if (mode === 'abrupt') {
      client.stream?.destroy();
      this.planClose = this.closed;
      return;
    }
    this.planClose = (async () => {
      await this.awaitAcks(client);
      // Its callback comes once MQTT.js has closed its stores, after which connect() starts afresh.
      if (this.online) await new Promise<void>((resolve) => client.end(false, () => resolve()));
      await this.closed;
    })();
  }

  /** Rounds of attempts and the connections they make, until the session ends or the plan says leave. */
  private async connected(): Promise<void> {
    let firstRound = true;
    while (!isEnding(this.state)) {
      const sessionPresent = await this.connectRound(firstRound);
      firstRound = false;
      if (sessionPresent === null) {
        if (isEnding(this.state)) return;
        if (this.leaveDue) {
          this.leaveDue = false;
          this.transition('waiting');
          this.status('left');
          return;
        }
        this.transition('giving-up');
        return;
      }
      this.online = true;
      this.status('connected');
      if (isEnding(this.state)) {
        this.client.end(false);
      } else if (this.leaveDue && this.state === 'up') {
        // Connected just as the plan said leave: leave at once.
        this.leaveDue = false;
        this.transition('leaving');
        this.closeForPlan(this.settings.comings.clientLeave);
      } else if (await this.subscribe(sessionPresent)) {
        // From here the broker delivers to this client; a resumed persistent session queued meanwhile.
        this.receiver?.windows.subscribed(now(), sessionPresent && !this.settings.clean);
        await this.onUp(sessionPresent);
        this.armChurn();
      }
      await this.closed;
      if (this.churnTimer !== null) clearTimeout(this.churnTimer);
      this.churnTimer = null;
      this.receiver?.windows.closedAt(this.planCloseAt || now());
      this.planCloseAt = 0;
      if (isEnding(this.state)) return;
      const takenOver = this.state === 'taken-over';
      this.publisher?.pause();
      // Ticks run only while online: one awaiting ctx.publish now would fail the client.
      this.hooks?.stopTicks();
      if (this.state === 'leaving' || this.state === 'churning') {
        await this.planClose;
        // Planned: no failure of any round, and the next starts afresh.
        this.budget.reset();
        this.lastError = undefined;
        const abrupt = this.planCloseAbrupt;
        if (this.state === 'leaving') {
          this.status('left', { abrupt });
          return;
        }
        if (isEnding(this.state)) return;
        this.status('churned', { abrupt });
        this.transition('connecting');
        continue;
      }
      const drop = this.budget.dropped(this.droppedAt);
      // Closed without a word soon after the CONNACK: say so, rather than nothing (or than the
      // reset or EPIPE that only says which of our reads or writes met the close first).
      if (drop.early && (this.lastError === undefined || isPeerClose(this.lastError)))
        this.lastError = earlyCloseError(drop.upMs, drop.inARow, this.spec.clientId);
      this.status('disconnected', this.lastError === undefined ? {} : { error: serializeError(this.lastError) });
      // Reconnecting would take the client id back from the other connection, which would take
      // it back in turn: a storm. The broker said so plainly, so this client ends here.
      if (takenOver) {
        this.transition('giving-up');
        return;
      }
      this.transition('connecting');
    }
  }

  /**
   * Attempts until one is accepted, within the budget's round: a fresh round after a connection
   * that lasted, the rest of the current one after an early drop. The CONNACK's sessionPresent,
   * or null when the round is spent (or stopped).
   */
  private async connectRound(firstRound: boolean): Promise<boolean | null> {
    const of = this.budget.attempts;
    for (let attempt = this.budget.next(); attempt !== null; attempt = this.budget.next()) {
      this.roundAttempts = attempt;
      const wait = this.budget.delayBefore(attempt);
      if (wait > 0) await this.delay(wait);
      if (isEnding(this.state) || this.leaveDue) return null;
      // After a failed attempt, say why: `reconnecting 2/3` alone would leave users guessing.
      const why = attempt > 1 && this.lastError !== undefined ? { error: serializeError(this.lastError) } : {};
      this.status(firstRound && attempt === 1 ? 'connecting' : 'reconnecting', { attempt, of, ...why });
      const release = await this.host.connectSlots.acquire();
      if (isEnding(this.state) || this.leaveDue) {
        release();
        return null;
      }
      this.tcpConnectMs = 0;
      const result = await this.attempt();
      // The adaptive window learns from how the attempt went (slots.ts).
      release({ ok: result.ok, tcpMs: this.tcpConnectMs, connackMs: result.ok ? result.connackMs : null });
      if (result.ok) {
        this.publisher?.limitWindow(result.receiveMaximum);
        for (const outlet of this.outlets) outlet.max = outlet.sizing.limit(result.maximumPacketSize);
        // Every message of a fixed size is over the broker's limit: none is sent, and retrying cannot help.
        const overLimit = this.outlets.map((o) => o.sizing.fixedOver(o.max)).find((e) => e !== null) ?? null;
        if (overLimit !== null) {
          this.fail(overLimit);
          return null;
        }
        return result.sessionPresent;
      }
      const refusal = refusalOf(result.error, this.settings.protocolVersion);
      // A broker that answers a version-5 CONNECT in 3.1.1 terms (code 1) is counted as such.
      if (refusal) this.host.stats.reasonCode(refusal.code < 0x80 ? CONNACK_V4 : 'connack', refusal.code);
      this.lastError = refusal ? refusalError(refusal, this.settings.retryRefused) : result.error;
      if (refusal?.permanent && !this.settings.retryRefused) return null;
    }
    return null;
  }

  private attempt(): Promise<Attempt> {
    return new Promise((resolve) => {
      this.connectSentAt = 0;
      this.attemptInFlight = { error: undefined, connackAt: 0, startedAt: now(), resolve };
      this.client.connect();
    });
  }

  /** ClientEvents: the CONNACK accepted the connection; the attempt in flight, if any, has won. */
  clientConnect(connack: IConnackPacket): void {
    const attempt = this.attemptInFlight;
    if (attempt === null) return;
    this.attemptInFlight = null;
    // Up from the CONNACK on, so that a DISCONNECT right behind it finds the session up. Stopped
    // or failed meanwhile, it stays so: live() closes this connection.
    if (this.state === 'connecting') this.transition('up');
    const at = now();
    // MQTT.js says `connect` only after replaying its outgoing store: the CONNACK came earlier.
    const ackAt = attempt.connackAt || at;
    const stats = this.host.stats;
    // The CONNECT waited in the socket until it was ready: CONNACK time counts from then.
    const connackMs = ackAt - Math.max(attempt.startedAt, this.connectSentAt);
    stats.recordStep('connack', connackMs);
    // Back after a drop: the whole outage, delays between attempts included.
    if (this.droppedAt > 0) stats.recordStep('reconnect', ackAt - this.droppedAt);
    this.budget.connected(at);
    // A later drop without an error of its own must not be blamed on this round's failures.
    this.lastError = undefined;
    // Listen for the drop right away: a close queued behind this CONNACK must not be missed.
    // Offline from the moment the socket closes, even while onUp awaits a hook: nothing may
    // be published into a closed client meanwhile.
    this.closed = this.watchClose();
    attempt.resolve({
      ok: true,
      sessionPresent: connack.sessionPresent,
      receiveMaximum: connack.properties?.receiveMaximum,
      maximumPacketSize: connack.properties?.maximumPacketSize,
      connackMs,
    });
  }

  /**
   * Settles when `client`'s connection closes, offline from then: clientClose() settles it.
   */
  private watchClose(): Promise<void> {
    return new Promise((done) => (this.onClosed = done));
  }

  /** Ends the connection attempt in flight, if any (stop must not wait out --connect-timeout). */
  private abortAttempt(): void {
    if (this.attemptInFlight !== null) this.client.stream?.destroy();
  }

  /** The connection closed: the current watch, if any, settles. */
  private connectionClosed(): void {
    const done = this.onClosed;
    if (done === null) return;
    this.onClosed = null;
    this.online = false;
    this.droppedAt = now();
    done();
  }

  /** True when subscribed (or nothing to subscribe); false when the connection went away meanwhile. */
  private async subscribe(sessionPresent: boolean): Promise<boolean> {
    const subscriptions = this.spec.subscriptions;
    // A resumed persistent session still holds the subscriptions [MQTT-3.2.2-2].
    if (subscriptions.length === 0 || (sessionPresent && !this.settings.clean)) return true;
    try {
      const sentAt = now();
      const requests = subscribeRequests(subscriptions, this.settings.protocolVersion === 5);
      const granted = (await Promise.all(requests.map((r) => this.client.subscribeAsync(r.filters, r.options)))).flat();
      // SUBACK return code 0x80 (3.1.1) or a reason code >= 0x80 (5): that subscription failed.
      const refused = granted.find((g) => g.qos >= 0x80);
      // Every refused filter counts, not only the one the error names.
      for (const g of granted) if (g.qos >= 0x80) this.host.stats.reasonCode('suback', g.qos);
      if (refused) {
        throw Object.assign(
          new Error(`broker refused the subscription to ${refused.topic}: ${reasonText(refused.qos)}`),
          { code: 'SUBACK_FAILURE' },
        );
      }
      this.host.stats.recordStep('suback', now() - sentAt);
      return true;
    } catch (err) {
      if (!this.client.connected) return false;
      throw err;
    }
  }

  private async onUp(sessionPresent: boolean): Promise<void> {
    const reconnect = this.everReady;
    this.everReady = true;
    if (this.hooks) await this.hooks.connected({ sessionPresent, reconnect });
    if (this.settings.comings.clientStages !== null) {
      // Past the start barrier already: publishing runs whenever the plan has this client connected.
      if (!reconnect) this.status('ready');
      if (this.state !== 'up') return;
      this.hooks?.startTicks();
      if (this.rejoinAt > 0) this.publisher?.rejoin(this.rejoinAt);
      else this.publisher?.resume();
      this.rejoinAt = 0;
      return;
    }
    if (reconnect) {
      if (this.publishing) this.hooks?.startTicks();
      this.publisher?.resume();
      return;
    }
    this.status('ready');
    const start = (at: number): void => {
      if (isEnding(this.state)) return;
      this.planStart = at;
      this.armChurn();
      this.publishing = true;
      // Dropped while waiting for the start: ticks begin when the client is back (above).
      if (this.online) this.hooks?.startTicks();
      this.publisher?.start(at, this.online);
    };
    if (!this.settings.barrier) start(now());
    else void this.host.waitForGo().then(start);
  }

  /** A wait that stop() cuts short; none at all once stopping. */
  private delay(ms: number): Promise<void> {
    if (isEnding(this.state)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeDelay = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeDelay = done;
    });
  }

  /**
   * Wait up to --drain-timeout for outstanding QoS 1/2 acknowledgements, then DISCONNECT (so no
   * will message fires). Messages still unacknowledged then stay counted as in flight.
   */
  private closeGracefully(): Promise<void> {
    this.closing ??= (async () => {
      const client = this.client;
      if (this.hooks) await this.hooks.teardown();
      await this.awaitAcks(client);
      if (this.online) client.end(false);
      await Promise.race([this.closed, sleep(this.settings.connectTimeoutMs)]);
    })();
    return this.closing;
  }

  /**
   * Wait up to --drain-timeout, while online, for `client`'s outstanding packets to be acknowledged,
   * then let go of those still outstanding: end(false) would wait for them forever if the broker
   * never answered. Polled: MQTT.js says `outgoingEmpty` only once end() has begun, so waiting for it
   * here waited out the whole drain timeout whenever one acknowledgement was still on its way.
   */
  private async awaitAcks(client: SessionClient): Promise<void> {
    const outstanding = (): string[] => Object.keys(client.outgoing);
    const until = now() + this.settings.drainTimeoutMs;
    while (outstanding().length > 0 && this.online && now() < until) await sleep(ACK_POLL_MS);
    for (const id of outstanding()) client.removeOutgoingMessage(Number(id));
  }

  /** Leave nothing open: a graceful close when still online, the socket released in any case. */
  private async disconnect(): Promise<void> {
    if (this.online) await this.closeGracefully();
    // A client that never made a connection has no stream to end (MQTT.js would throw on it).
    if (!this.client.stream) return;
    await new Promise<void>((resolve) => this.client.end(true, () => resolve()));
  }

  private status(state: ClientState, extra: Partial<StatusEvent> = {}): void {
    this.host.status({ client: this.spec.index, state, ...extra });
  }
}
