import type { IClientOptions, IClientPublishOptions, MqttClient } from 'mqtt';
import { serializeError } from '../errors.js';
import type { ClientState, PublisherFinal, SessionSettings, SessionSpec, StatusEvent, StreamFinal, SubscriberFinal } from '../protocol.js';
import { now } from './clock.js';
import { makeEncoder, type Encoder } from './encoder.js';
import { clientOptions } from './client-options.js';
import { Publisher } from './publisher.js';
import { Receiver } from './receiver.js';
import { createClient } from './transport.js';
import { reasonText, refusalError, refusalOf } from './refusal.js';
import { AttemptBudget, earlyCloseError, SESSION_TAKEN_OVER, takenOverError } from './reconnect.js';
import type { Slots } from './slots.js';
import { Hooks } from './hooks.js';
import { loadWorkload, type WorkloadContext } from './workload.js';
import type { HookWatch } from './hook-watch.js';
import { threadId } from 'node:worker_threads';
import type { ShardStats } from './shard-stats.js';

/** What a session needs from the shard it runs in. */
export interface SessionHost {
  readonly stats: ShardStats;
  status(event: StatusEvent): void;
  /** Resolves with the publish start time once the start barrier opens. */
  waitForGo(): Promise<number>;
  /** Bounds this shard's connection attempts in flight. */
  readonly connectSlots: Slots;
  /** A workload's log line, for the main thread's logger. */
  log(client: number, message: string): void;
  /** ShardStart.runStart: messages of this run's id sent earlier are an earlier run's. */
  readonly runStart: number;
  /** Which workload hook runs, for a watcher outside this thread. */
  readonly watch: HookWatch;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

const ACK_PACKETS = new Set(['puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback']);

type Attempt = { ok: true; sessionPresent: boolean; receiveMaximum: number | undefined } | { ok: false; error: unknown };

/**
 * One MQTT client's whole life, identical in every thread mode: connect with a bounded number
 * of attempts, subscribe, wait for the start barrier, publish its plan, keep receiving until
 * told to stop, then DISCONNECT. A dropped connection starts a fresh round of attempts, unless
 * it dropped right after its CONNACK, which counts against the round it came from (AttemptBudget);
 * when a round fails, or the session is taken over, the client gives up and the others carry on.
 */
export class Session {
  private client!: MqttClient;
  private readonly connection: { url: string; options: IClientOptions };
  private readonly publisher: Publisher | null;
  private readonly receiver: Receiver | null;
  private stopping = false;
  private online = false;
  private everReady = false;
  /** The publish plan has started (the start barrier was passed): ticks run whenever online. */
  private publishing = false;
  private lastError: unknown = undefined;
  private wakeDelay: (() => void) | null = null;
  private closed: Promise<void> = Promise.resolve();
  private finalState: ClientState = 'done';
  private hooks: Hooks | null = null;
  private closing: Promise<void> | null = null;
  private readonly budget: AttemptBudget;
  /** Ends the connection attempt in flight, if any (stop must not wait out --connect-timeout). */
  private abortAttempt: (() => void) | null = null;
  /** MQTT 5: the broker said another connection took this client id (DISCONNECT 0x8E). */
  private takenOver = false;
  /** When the last established connection closed (epoch ms). */
  private droppedAt = 0;

  constructor(
    private readonly spec: SessionSpec,
    private readonly settings: SessionSettings,
    private readonly host: SessionHost,
    /** Epoch ms of the first connection attempt (--connect-rate spreads them out). */
    private readonly connectAt: number,
  ) {
    this.connection = clientOptions(spec, settings);
    // A connection must outlast the wait allowed for its CONNACK before its round counts as won.
    this.budget = new AttemptBudget(settings.reconnectAttempts, settings.reconnectDelayMs, settings.connectTimeoutMs);
    const stats = host.stats;
    this.receiver =
      spec.subscriptions.length === 0
        ? null
        : new Receiver(spec.index, spec.receiverKey, spec.clientId, spec.latencyGroup, settings.runTag, stats, settings.printMessages, spec.workMs, spec.hears, host.runStart);
    const pubTopic = spec.pubTopic;
    // One options object for every plain publish: none allocated per message on the hot path.
    const publishOptions = { qos: settings.qos, retain: settings.retain };
    // Likewise one for the group's fixed MQTT 5 properties; only a header carried in a property
    // (a new properties object per message) needs options of its own.
    let lastProperties: Encoder['properties'] = undefined;
    let withProperties: IClientPublishOptions = publishOptions;
    this.publisher =
      pubTopic === null
        ? null
        : new Publisher(
            spec.index,
            makeEncoder(settings, spec),
            {
              publish: (payload, properties, done) => {
                if (properties !== lastProperties) {
                  lastProperties = properties;
                  withProperties = properties ? { ...publishOptions, properties } : publishOptions;
                }
                const opts = withProperties;
                if (done) this.client.publish(pubTopic, payload, opts, done as never);
                else this.client.publish(pubTopic, payload, opts);
              },
              congested: () => this.client.stream?.writableNeedDrain === true,
              onDrain: (resume) => this.client.stream.once('drain', resume),
            },
            settings,
            stats,
            (published) => this.status('published', { published }),
            spec.phaseMs,
          );
  }

  /** Runs until stopped, given up, or failed. Never rejects: failures become a `failed` status. */
  async run(): Promise<void> {
    try {
      this.client = await createClient(this.connection.url, this.connection.options, this.settings.maxPacketSize, this.spec.localAddress);
      this.client.on('error', (err) => {
        this.lastError = err;
        // MQTT.js reports a protocol error on an established connection (bytes that are not MQTT,
        // an oversize packet) and reads on; later packets would then go missing without a word.
        // End the connection with that error instead: `disconnected`, then a reconnect round.
        if (this.client.connected && !this.stopping && !this.client.stream?.destroyed) this.client.stream?.destroy();
      });
      // MQTT 5 acknowledgements carry reason codes; MQTT.js passes on only the failures, and not
      // 0x10 (no matching subscribers), which is worth showing.
      if (this.settings.protocolVersion === 5) {
        this.client.on('packetreceive', (packet) => {
          const code = (packet as { reasonCode?: number }).reasonCode;
          if (code && ACK_PACKETS.has(packet.cmd)) this.host.stats.reasonCode(packet.cmd, code);
        });
      }
      // MQTT 5: the broker says why it is closing the connection.
      this.client.on('disconnect', (packet) => {
        const code = packet.reasonCode ?? 0;
        if (code === 0) return;
        this.host.stats.reasonCode('disconnect', code);
        if (code === SESSION_TAKEN_OVER) {
          this.takenOver = true;
          this.lastError = takenOverError(this.spec.clientId);
          // The broker closes the connection after its DISCONNECT [MQTT-3.14.4-1]; do not wait on it.
          this.client.stream?.destroy();
          return;
        }
        this.lastError = Object.assign(new Error(`broker sent DISCONNECT: ${reasonText(code)}`), { code: `DISCONNECT_${code}` });
      });
      if (this.receiver) this.client.on('message', this.receiver.onMessage);
      if (this.settings.workload !== null) {
        const path = this.settings.workload;
        const workload = await this.host.watch.during('import', this.spec.index, () => loadWorkload(path));
        this.hooks = new Hooks(workload, this.workloadContext(), this.settings.hookTimeoutMs, (err) => this.fail(err), this.host.watch);
        if (workload.onMessage) this.client.on('message', this.hooks.message);
        await this.hooks.setup();
      }
      if (!this.stopping) await this.live();
    } catch (err) {
      this.finalState = 'failed';
      this.lastError = err;
    }
    this.publisher?.stop();
    if (this.hooks) await this.hooks.teardown();
    if (this.client) await this.disconnect();
    const error = this.finalState === 'done' ? undefined : this.lastError;
    const received = this.receiver?.uniqueReceived ?? 0;
    this.status(this.finalState, error === undefined ? { received } : { received, error: serializeError(error) });
  }

  /** This client failed (a workload hook threw or hung): report it, and end its session. */
  private fail(err: Error): void {
    if (this.finalState === 'failed') return;
    this.finalState = 'failed';
    this.lastError = err;
    this.stop();
  }

  private workloadContext(): WorkloadContext {
    const { spec, settings } = this;
    return {
      index: spec.index,
      clientId: spec.clientId,
      threadId,
      state: {},
      options: { qos: settings.qos, size: settings.size, rate: settings.rate, topic: spec.pubTopic, subscriptions: spec.subscriptions.map((s) => s.filter) },
      publish: (topic, payload, options = {}) =>
        new Promise<void>((resolve, reject) => {
          if (!this.online) return reject(new Error(`${spec.clientId} is offline`));
          const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
          this.host.stats.onPublish(now(), body.length);
          this.client.publish(topic, body, { qos: options.qos ?? settings.qos, retain: options.retain ?? false }, (err) => {
            if (err) {
              this.host.stats.counters.sendFailed++;
              return reject(err);
            }
            this.host.stats.counters.acked++;
            resolve();
          });
        }),
      log: (message) => this.host.log(spec.index, String(message)),
    };
  }

  /** Stop publishing and disconnect cleanly; `run()` then resolves. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.hooks?.stopTicks();
    this.publisher?.stop();
    this.wakeDelay?.();
    this.abortAttempt?.();
    if (this.online) void this.closeGracefully();
  }

  finals(): { publisher: PublisherFinal | null; streams: StreamFinal[]; subscriber: SubscriberFinal | null } {
    return { publisher: this.publisher?.final() ?? null, streams: this.receiver?.finals() ?? [], subscriber: this.receiver?.subscriberFinal(now()) ?? null };
  }

  private async live(): Promise<void> {
    const wait = this.connectAt - now();
    if (wait > 0) await this.delay(wait);
    let firstRound = true;
    while (!this.stopping) {
      const sessionPresent = await this.connectRound(firstRound);
      firstRound = false;
      if (sessionPresent === null) {
        if (!this.stopping) this.finalState = 'gave-up';
        return;
      }
      this.online = true;
      this.status('connected');
      if (this.stopping) {
        this.client.end(false);
      } else if (await this.subscribe(sessionPresent)) {
        // From here the broker delivers to this client; a resumed persistent session queued meanwhile.
        this.receiver?.windows.subscribed(now(), sessionPresent && !this.settings.clean);
        await this.onUp(sessionPresent);
      }
      await this.closed;
      this.receiver?.windows.closedAt(now());
      if (this.stopping) return;
      this.publisher?.pause();
      // Ticks run only while online: one awaiting ctx.publish now would fail the client.
      this.hooks?.stopTicks();
      const drop = this.budget.dropped(this.droppedAt);
      // Closed without a word soon after the CONNACK: say so, rather than nothing.
      if (drop.early && this.lastError === undefined) this.lastError = earlyCloseError(drop.upMs, drop.inARow, this.spec.clientId);
      this.status('disconnected', this.lastError === undefined ? {} : { error: serializeError(this.lastError) });
      // Reconnecting would take the client id back from the other connection, which would take
      // it back in turn: a storm. The broker said so plainly, so this client ends here.
      if (this.takenOver) {
        this.finalState = 'gave-up';
        return;
      }
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
      const wait = this.budget.delayBefore(attempt);
      if (wait > 0) await this.delay(wait);
      if (this.stopping) return null;
      // After a failed attempt, say why: `reconnecting 2/3` alone would leave users guessing.
      const why = attempt > 1 && this.lastError !== undefined ? { error: serializeError(this.lastError) } : {};
      this.status(firstRound && attempt === 1 ? 'connecting' : 'reconnecting', { attempt, of, ...why });
      const release = await this.host.connectSlots.acquire();
      if (this.stopping) {
        release();
        return null;
      }
      const result = await this.attempt().finally(release);
      if (result.ok) {
        this.publisher?.limitWindow(result.receiveMaximum);
        return result.sessionPresent;
      }
      const refusal = refusalOf(result.error, this.settings.protocolVersion);
      this.lastError = refusal ? refusalError(refusal, this.settings.retryRefused) : result.error;
      if (refusal?.permanent && !this.settings.retryRefused) return null;
    }
    return null;
  }

  private attempt(): Promise<Attempt> {
    return new Promise((resolve) => {
      const client = this.client;
      let error: unknown;
      const onError = (err: Error): void => {
        // The first error is the cause (a later 'connack timeout' only says nothing came after it).
        error ??= err;
        // MQTT.js reports a parser error (bytes that are not MQTT) but keeps the socket open until
        // the CONNACK timeout: end the attempt now, with that error.
        if (!client.stream?.destroyed) client.stream?.destroy();
      };
      const onConnect = (connack: { sessionPresent: boolean; properties?: { receiveMaximum?: number } }): void => {
        cleanup();
        this.budget.connected(now());
        // A later drop without an error of its own must not be blamed on this round's failures.
        this.lastError = undefined;
        // Listen for the drop right away: a close queued behind this CONNACK must not be missed.
        // Offline from the moment the socket closes, even while onUp awaits a hook: nothing may
        // be published into a closed client meanwhile.
        this.closed = new Promise((done) =>
          client.once('close', () => {
            this.online = false;
            this.droppedAt = now();
            done();
          }),
        );
        resolve({ ok: true, sessionPresent: connack.sessionPresent, receiveMaximum: connack.properties?.receiveMaximum });
      };
      const onClose = (): void => {
        cleanup();
        resolve({ ok: false, error: error ?? new Error('connection closed before CONNACK') });
      };
      const cleanup = (): void => {
        this.abortAttempt = null;
        client.off('error', onError);
        client.off('connect', onConnect);
        client.off('close', onClose);
      };
      client.on('error', onError);
      client.once('connect', onConnect);
      client.once('close', onClose);
      client.connect();
      // Stopped meanwhile: end the attempt now rather than wait out its CONNACK.
      this.abortAttempt = () => client.stream?.destroy();
    });
  }

  /** True when subscribed (or nothing to subscribe); false when the connection went away meanwhile. */
  private async subscribe(sessionPresent: boolean): Promise<boolean> {
    const subscriptions = this.spec.subscriptions;
    // A resumed persistent session still holds the subscriptions [MQTT-3.2.2-2].
    if (subscriptions.length === 0 || (sessionPresent && !this.settings.clean)) return true;
    try {
      const granted = await this.client.subscribeAsync(Object.fromEntries(subscriptions.map((s) => [s.filter, { qos: s.qos }])));
      // SUBACK return code 0x80 (3.1.1) or a reason code >= 0x80 (5): that subscription failed.
      const refused = granted.find((g) => g.qos >= 0x80);
      if (refused) {
        this.host.stats.reasonCode('suback', refused.qos);
        throw Object.assign(new Error(`broker refused the subscription to ${refused.topic}: ${reasonText(refused.qos)}`), { code: 'SUBACK_FAILURE' });
      }
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
    if (reconnect) {
      if (this.publishing) this.hooks?.startTicks();
      this.publisher?.resume();
      return;
    }
    this.status('ready');
    const start = (at: number): void => {
      if (this.stopping) return;
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
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wakeDelay = null;
        resolve();
      }
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
      const outstanding = (): string[] => Object.keys(client.outgoing);
      if (outstanding().length > 0) {
        await Promise.race([new Promise<void>((resolve) => client.once('outgoingEmpty', () => resolve())), this.closed, sleep(this.settings.drainTimeoutMs)]);
      }
      // end(false) would wait for these forever if the broker never answers: let them go.
      for (const id of outstanding()) client.removeOutgoingMessage(Number(id));
      if (this.online) client.end(false);
      await Promise.race([this.closed, sleep(this.settings.connectTimeoutMs)]);
    })();
    return this.closing;
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
