import type { Duplex } from 'node:stream';
import mqttPacket, { type IConnackPacket, type IPublishPacket, type ISubackPacket, type Packet } from 'mqtt-packet';
import type { IClientOptions, IClientPublishOptions, ISubscriptionGrant, ISubscriptionMap } from 'mqtt';
import type { ClientDone, ClientEvents, SessionClient } from './session-client.js';
import { packetTooLarge } from './packet-guard.js';

/** What a lean client is told: the part of MQTT.js's options the session sets (session/client-options.ts). */
export type LeanOptions = Pick<
  IClientOptions,
  'clientId' | 'clean' | 'keepalive' | 'connectTimeout' | 'protocolVersion' | 'username' | 'password' | 'properties'
> & { will?: IClientOptions['will'] };

type Done = ClientDone;

/** A packet sent and not yet acknowledged: resent, as MQTT.js resends its store, after a reconnect. */
interface Pending {
  cmd: 'publish' | 'pubrel' | 'subscribe';
  packet: Packet | null;
  cb: Done | undefined;
}

/** Shared by every client that has nothing outstanding: replaced by an object of its own at the first QoS 1/2 publish. */
const NONE: Readonly<Record<number, Pending>> = Object.freeze({});

const OWNER = Symbol('leanClient');
type Owned = Duplex & { [OWNER]: LeanClient };

/**
 * An MQTT 3.1.1 / 5 client of exactly the MqttClient surface the session uses, for fleets of
 * idle connections: MQTT.js holds ~13 KB of heap per client (a dictionary-mode object, a
 * Writable and a parser per connection, two stores, a keepalive timer and its closures). Here a
 * connection keeps its own fields, and shares the rest per thread: one parser per protocol
 * version (fed only whole packets, framed here, so it carries nothing from one client to the
 * next), one keepalive scan for every client, option objects built once. Packets are written
 * with mqtt-packet's generate: one buffer, one write each. What happens is told to `events` (the
 * session) by direct calls: no emitter, no listener table or closures per connection.
 *
 * Not here (the session picks MQTT.js for these, session/transport.ts): topic aliases, automatic
 * reconnection, the offline queue of QoS 0 messages, enhanced authentication (AUTH).
 */
export class LeanClient implements SessionClient {
  stream: Duplex | undefined = undefined;
  connected = false;
  /** Unacknowledged packets by message id (MQTT.js's name and shape: the session reads the keys). */
  outgoing: Record<number, Pending> = NONE;
  /** QoS 2 messages received and acknowledged with PUBREC, awaiting PUBREL; null until the first. */
  private incoming: Map<number, IPublishPacket> | null = null;
  private disconnecting = false;
  private connackReceived = false;
  private connackTimer: NodeJS.Timeout | null = null;
  private lastId = 0;
  /** An incoming packet that has not all arrived: its header so far, or a buffer of its full size being filled. */
  private rest: Buffer | null = null;
  /** With `rest` a whole packet's buffer: how much of it is filled. */
  private filled = -1;
  /** Readings of the keepalive scan's coarse clock: when something last went out, and came in. */
  lastSent = 0;
  lastReceived = 0;
  /** When the outstanding PINGREQ left (tick clock); 0: none outstanding. */
  pingAt = 0;
  readonly keepaliveMs: number;
  readonly v5: boolean;
  /** What CONNECT says: only the options it uses, in one shape for every client (MQTT.js's options object has a dozen more). */
  readonly options: LeanOptions;
  /** end(): called once nothing is outstanding. */
  private whenEmpty: (() => void) | null = null;

  constructor(
    private readonly build: (client: LeanClient) => Duplex,
    options: LeanOptions,
    readonly events: ClientEvents,
    /**
     * --max-packet-size: a packet announced larger is refused from its fixed header, before any
     * of its body is kept (packet-guard.ts does this for MQTT.js; here the framing already reads
     * every header, so the socket needs no guard of its own).
     */
    private readonly maxPacketSize = Infinity,
  ) {
    this.options = {
      clientId: options.clientId,
      clean: options.clean,
      keepalive: options.keepalive,
      connectTimeout: options.connectTimeout,
      protocolVersion: options.protocolVersion,
      username: options.username,
      password: options.password,
      properties: options.properties,
      will: options.will,
    };
    this.keepaliveMs = (options.keepalive ?? 60) * 1000;
    this.v5 = options.protocolVersion === 5;
  }

  /** ErrorSink (session/transport.ts): a TLS socket's errors, told as MQTT.js's client is told them. */
  emit(_event: 'error', err: Error): boolean {
    this.events.clientError(err);
    return true;
  }

  connect(): this {
    this.connackReceived = false;
    this.rest = null;
    this.filled = -1;
    this.pingAt = 0;
    this.incoming = this.options.clean ? null : this.incoming;
    const stream = this.build(this) as Owned;
    stream[OWNER] = this;
    this.stream = stream;
    stream.on('data', onData);
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    const o = this.options;
    this.send({
      cmd: 'connect',
      protocolId: o.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: o.protocolVersion ?? 4,
      clean: o.clean ?? true,
      clientId: o.clientId ?? '',
      keepalive: o.keepalive ?? 60,
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: Buffer.from(o.password) }),
      ...(o.will ? { will: o.will } : {}),
      ...(this.v5 && o.properties ? { properties: o.properties } : {}),
    });
    this.connackTimer = setTimeout(connackTimeout, o.connectTimeout ?? 30_000, this);
    return this;
  }

  publish(topic: string, payload: string | Buffer, opts: IClientPublishOptions, cb?: Done): this {
    if (this.disconnecting) {
      cb?.(new Error('client disconnecting'));
      return this;
    }
    const qos = opts.qos ?? 0;
    const packet = {
      cmd: 'publish',
      topic,
      payload,
      qos,
      retain: opts.retain ?? false,
      dup: false,
      ...(this.v5 && opts.properties ? { properties: opts.properties } : {}),
    } as IPublishPacket;
    if (qos === 0) {
      // MQTT.js would queue it until connected; the session publishes only while connected.
      if (!this.connected) cb?.(new Error('client disconnected'));
      else {
        this.send(packet);
        cb?.();
      }
      return this;
    }
    const id = this.nextId();
    if (id === 0) {
      cb?.(new Error('no free message id: 65535 messages awaiting acknowledgement'));
      return this;
    }
    packet.messageId = id;
    this.store(id, { cmd: 'publish', packet, cb });
    // Offline: sent once connected, as MQTT.js sends its store.
    if (this.connected) this.send(packet);
    return this;
  }

  subscribeAsync(filters: ISubscriptionMap, opts?: { properties?: object }): Promise<ISubscriptionGrant[]> {
    return new Promise((resolve, reject) => {
      if (!this.connected || this.disconnecting) return reject(new Error('client disconnected'));
      const topics = Object.keys(filters);
      const subscriptions = topics.map((topic) => ({ topic, ...filters[topic] }));
      const id = this.nextId();
      if (id === 0) return reject(new Error('no free message id'));
      this.store(id, {
        cmd: 'subscribe',
        packet: null,
        cb: (err, ack) => {
          if (err) return reject(err);
          const granted = (ack as ISubackPacket).granted as number[];
          if (granted.length !== topics.length) {
            this.stream?.destroy();
            return reject(new Error(`Protocol error: suback granted ${granted.length} for ${topics.length}`));
          }
          // Refusals (>= 0x80) are resolved too: the session names each refused filter.
          resolve(subscriptions.map((s, i) => ({ ...s, qos: granted[i] as ISubscriptionGrant['qos'] })));
        },
      });
      this.send({
        cmd: 'subscribe',
        messageId: id,
        subscriptions,
        ...(this.v5 && opts?.properties ? { properties: opts.properties } : {}),
      } as Packet);
    });
  }

  removeOutgoingMessage(id: number): this {
    const pending = this.outgoing[id];
    if (pending) {
      this.release(id);
      pending.cb?.(new Error('Message removed'));
    }
    return this;
  }

  /**
   * As MQTT.js: `force` destroys the socket; otherwise, once nothing is outstanding, DISCONNECT
   * and end it. `cb` once the connection has closed, after which connect() may start afresh.
   */
  end(force = false, cb?: () => void): this {
    if (this.disconnecting) {
      cb?.();
      return this;
    }
    this.disconnecting = true;
    const finish = (): void => {
      const stream = this.stream;
      const done = (): void => {
        this.disconnecting = false;
        if (cb) process.nextTick(cb);
      };
      if (!stream || !this.connected || stream.destroyed) {
        if (force && this.options.clean) this.flush(false);
        stream?.destroy();
        return done();
      }
      stream.once('close', done);
      if (force) {
        if (this.options.clean) this.flush(false);
        stream.destroy();
      } else {
        // Half-closed, as MQTT.js does: the broker closes once it has read the DISCONNECT. Destroying
        // here could reset the connection before it has [RFC 793: a close with unread data sends RST].
        this.send({ cmd: 'disconnect' });
        setImmediate(() => stream.end());
      }
    };
    if (!force && !isEmpty(this.outgoing)) this.whenEmpty = () => setTimeout(finish, 10);
    else finish();
    return this;
  }

  /** One whole packet from mqtt-packet's parser. */
  handle(packet: Packet): void {
    this.events.clientPacket(packet);
    switch (packet.cmd) {
      case 'connack':
        return this.onConnack(packet);
      case 'publish':
        return this.onPublish(packet);
      case 'pubrel': {
        const id = packet.messageId ?? 0;
        const pub = this.incoming?.get(id);
        if (pub) {
          this.incoming?.delete(id);
          this.events.clientMessage(pub.topic, pub.payload as Buffer, pub);
        }
        return this.send({ cmd: 'pubcomp', messageId: id });
      }
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
      case 'suback':
      case 'unsuback':
        return this.onAck(packet);
      case 'pingresp':
        this.pingAt = 0;
        return;
      case 'disconnect':
        this.events.clientDisconnect(packet);
        return;
      default:
        return;
    }
  }

  private onConnack(packet: IConnackPacket): void {
    if (this.connackReceived)
      return this.protocolError('Protocol error: duplicate CONNACK on the same network connection');
    this.connackReceived = true;
    if (this.connackTimer) clearTimeout(this.connackTimer);
    this.connackTimer = null;
    const rc = (this.v5 ? packet.reasonCode : packet.returnCode) ?? 0;
    if (rc !== 0) {
      this.stream?.destroy();
      this.events.clientError(Object.assign(new Error(`Connection refused: code ${rc}`), { code: rc }));
      return;
    }
    const resumed = !this.options.clean && packet.sessionPresent;
    if (!resumed) this.incoming = null;
    this.connected = true;
    if (this.keepaliveMs > 0) keepalive.add(this);
    // Unacknowledged packets of the last connection go again [MQTT-4.4.0-1]; MQTT.js resends them whatever the session.
    for (const key of Object.keys(this.outgoing)) {
      const pending = this.outgoing[Number(key)];
      if (pending?.packet) {
        if (pending.cmd === 'publish') (pending.packet as IPublishPacket).dup = true;
        this.send(pending.packet);
      } else if (pending) {
        this.release(Number(key));
        pending.cb?.(new Error('Connection closed'));
      }
    }
    this.events.clientConnect(packet);
  }

  private onPublish(packet: IPublishPacket): void {
    if (packet.properties?.topicAlias !== undefined)
      // No Topic Alias Maximum was sent, so the broker may not use one [MQTT-3.3.2-8].
      return this.protocolError('Received a PUBLISH Topic Alias but no Topic Alias Maximum was advertised');
    const messageId = packet.messageId ?? 0;
    switch (packet.qos) {
      case 0:
        this.events.clientMessage(packet.topic, packet.payload as Buffer, packet);
        return;
      case 1:
        this.events.clientMessage(packet.topic, packet.payload as Buffer, packet);
        return this.send({ cmd: 'puback', messageId });
      case 2:
        // Delivered at its PUBREL, once (as MQTT.js): a resent PUBLISH before then only gets its PUBREC again.
        this.incoming ??= new Map();
        if (!this.incoming.has(messageId)) this.incoming.set(messageId, packet);
        return this.send({ cmd: 'pubrec', messageId });
    }
  }

  private onAck(packet: Packet & { messageId?: number; reasonCode?: number }): void {
    const id = packet.messageId ?? 0;
    const pending = this.outgoing[id];
    if (!pending) return;
    const answers =
      pending.cmd === 'publish'
        ? packet.cmd === 'puback' || packet.cmd === 'pubrec' || packet.cmd === 'pubcomp'
        : pending.cmd === 'pubrel'
          ? packet.cmd === 'pubcomp'
          : packet.cmd === 'suback';
    if (!answers) {
      this.events.clientError(
        new Error(`Protocol error: ${packet.cmd} does not answer the ${pending.cmd} pending on message id ${id}`),
      );
      return;
    }
    const rc = packet.reasonCode ?? 0;
    const failed = rc >= 0x80 && packet.cmd !== 'suback';
    if (packet.cmd === 'pubrec' && !failed) {
      // The message is the broker's now: what remains is its release [MQTT-4.3.3].
      const rel = { cmd: 'pubrel', messageId: id } as Packet;
      pending.cmd = 'pubrel';
      pending.packet = rel;
      this.send(rel);
      return;
    }
    this.release(id);
    pending.cb?.(
      failed ? Object.assign(new Error(`Publish error: reason code ${rc}`), { code: rc }) : undefined,
      packet,
    );
  }

  private store(id: number, pending: Pending): void {
    if (this.outgoing === NONE) this.outgoing = {};
    this.outgoing[id] = pending;
  }

  private release(id: number): void {
    delete this.outgoing[id];
    if (!isEmpty(this.outgoing)) return;
    // Nothing outstanding: back to the shared empty store, so an idle client does not keep the
    // emptied object and the element store its message ids grew.
    this.outgoing = NONE;
    const whenEmpty = this.whenEmpty;
    this.whenEmpty = null;
    if (this.disconnecting) whenEmpty?.();
  }

  /** A free message id, 1..65535 in turn; 0 when every one is outstanding. */
  private nextId(): number {
    for (let n = 0; n < 65535; n++) {
      this.lastId = (this.lastId % 65535) + 1;
      if (this.outgoing[this.lastId] === undefined) return this.lastId;
    }
    return 0;
  }

  /** Fails what is outstanding: subscriptions only (`volatile`, at a close), or everything (a forced clean end). */
  private flush(volatileOnly: boolean): void {
    for (const key of Object.keys(this.outgoing)) {
      const pending = this.outgoing[Number(key)];
      if (!pending || (volatileOnly && pending.cmd !== 'subscribe')) continue;
      delete this.outgoing[Number(key)];
      pending.cb?.(new Error('Connection closed'));
    }
    if (this.outgoing !== NONE && isEmpty(this.outgoing)) this.outgoing = NONE;
  }

  send(packet: Packet): void {
    const stream = this.stream;
    if (!stream || stream.destroyed) return;
    this.lastSent = keepalive.clock;
    stream.write(mqttPacket.generate(packet, this.v5 ? V5 : V4));
  }

  protocolError(message: string): void {
    this.stream?.destroy();
    this.events.clientError(new Error(message));
  }

  /** Incoming bytes: whole packets to the thread's parser, only an incomplete one kept. */
  receive(chunk: Buffer): void {
    this.lastReceived = keepalive.clock;
    const stream = this.stream;
    let data = chunk;
    if (this.rest !== null) {
      if (this.filled >= 0) {
        const whole = this.rest;
        const n = Math.min(data.length, whole.length - this.filled);
        data.copy(whole, this.filled, 0, n);
        this.filled += n;
        if (this.filled < whole.length) return;
        this.rest = null;
        this.filled = -1;
        parse(this, whole);
        if (this.stream !== stream || stream?.destroyed) return;
        data = data.subarray(n);
      } else {
        data = Buffer.concat([this.rest, data]);
        this.rest = null;
      }
    }
    let i = 0;
    while (i < data.length) {
      // Bytes that cannot start a packet go to the parser at once, for its own error, rather than wait for a length.
      if (badFirstByte(data[i] as number)) return parse(this, data.subarray(i));
      // Fixed header: a type byte, then 1-4 bytes of remaining length [MQTT-2.2.3].
      let length = 0;
      let multiplier = 1;
      let j = i + 1;
      let complete = false;
      while (j < data.length && j < i + 5) {
        const byte = data[j++] as number;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        // Five length bytes: malformed; the parser says so in its own words.
        if (j === i + 5) return parse(this, data.subarray(i));
        this.rest = Buffer.from(data.subarray(i));
        return;
      }
      const end = j + length;
      if (end - i > this.maxPacketSize) {
        stream?.destroy(packetTooLarge(end - i, this.maxPacketSize));
        return;
      }
      if (end > data.length) {
        this.rest = Buffer.allocUnsafe(end - i);
        this.filled = data.copy(this.rest, 0, i);
        return;
      }
      parse(this, data.subarray(i, end));
      if (this.stream !== stream || stream?.destroyed) return;
      i = end;
    }
  }

  closed(): void {
    if (this.connackTimer) clearTimeout(this.connackTimer);
    this.connackTimer = null;
    this.connected = false;
    this.rest = null;
    keepalive.delete(this);
    this.flush(true);
    this.events.clientClose();
  }
}

/** Whether `store` has no key, without making the array of keys (this runs per acknowledgement). */
function isEmpty(store: object): boolean {
  for (const key in store) if (Object.hasOwn(store, key)) return false;
  return true;
}

/** Flag bits each packet type must carry [MQTT-2.2.2-1] (PUBLISH's are its own: only QoS 3 is wrong); type 0 is reserved. */
const FLAGS = [-1, 0, 0, -2, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0];

function badFirstByte(byte: number): boolean {
  const flags = FLAGS[byte >> 4] as number;
  return flags === -1 || (flags === -2 ? (byte & 0x06) === 0x06 : (byte & 0x0f) !== flags);
}

const V4 = Object.freeze({ protocolVersion: 4 });
const V5 = Object.freeze({ protocolVersion: 5 });

/** The client whose packet the shared parser is reading: set around each (synchronous) parse. */
let reading: LeanClient | null = null;

function makeParser(protocolVersion: 4 | 5): ReturnType<typeof mqttPacket.parser> {
  const parser = mqttPacket.parser({ protocolVersion });
  parser.on('packet', (packet: Packet) => reading?.handle(packet));
  parser.on('error', (err: Error) => reading?.protocolError(err.message));
  return parser;
}
const parsers = { 4: makeParser(4), 5: makeParser(5) };

/** mqtt-packet's parser state that must be empty between two clients' packets. */
type ParserState = { error: Error | null; _list: { length: number }; _stateCounter: number; _resetState(): void };

function parse(client: LeanClient, packet: Buffer): void {
  const previous = reading;
  reading = client;
  const parser = parsers[client.v5 ? 5 : 4];
  try {
    parser.parse(packet);
  } finally {
    reading = previous;
  }
  // A whole packet leaves nothing behind; bytes that are not one might (a reserved type): they
  // must not reach the next client's packet.
  const state = parser as unknown as ParserState;
  if (state._list.length > 0 || state._stateCounter !== 0) {
    const failed = state.error !== null;
    state._resetState();
    if (!failed) client.protocolError('Malformed packet: its bytes are not one MQTT packet');
  }
}

// Stream listeners shared by every connection: the client is found on the stream, not in a closure.
function onData(this: Owned, chunk: Buffer): void {
  if (this[OWNER].stream === this) this[OWNER].receive(chunk);
}

function onStreamError(this: Owned, err: Error & { code?: unknown }): void {
  // As MQTT.js: errors with a code are the connection's (ECONNREFUSED, PACKET_TOO_LARGE); the close follows.
  if (err.code !== undefined && this[OWNER].stream === this) this[OWNER].events.clientError(err);
}

function onStreamClose(this: Owned): void {
  if (this[OWNER].stream === this) this[OWNER].closed();
}

function connackTimeout(client: LeanClient): void {
  client.protocolError('connack timeout');
}

/**
 * One keepalive scan per thread for every connected lean client, rather than a timer each: a
 * PINGREQ when nothing went out, or nothing came in, for the keepalive period (so a broker that
 * went silent is noticed even while we publish), and the connection closed when its PINGRESP
 * has not come half a period later (MQTT.js's bound: noticed within 1.5 periods and a tick).
 */
class Keepalive {
  /** A coarse clock for the clients to stamp their traffic with (no Date.now() per packet). */
  clock = Date.now();
  private readonly clients = new Set<LeanClient>();
  private timer: NodeJS.Timeout | null = null;

  add(client: LeanClient): void {
    client.lastSent = client.lastReceived = this.clock = Date.now();
    client.pingAt = 0;
    this.clients.add(client);
    this.timer ??= setInterval(() => this.scan(), TICK_MS).unref();
  }

  delete(client: LeanClient): void {
    this.clients.delete(client);
    if (this.clients.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private scan(): void {
    const t = (this.clock = Date.now());
    for (const client of this.clients) {
      const period = client.keepaliveMs;
      if (client.pingAt > 0) {
        if (t - client.pingAt >= period / 2) client.protocolError('Keepalive timeout');
      } else if (t - client.lastSent >= period || t - client.lastReceived >= period) {
        client.send({ cmd: 'pingreq' });
        client.pingAt = t;
      }
    }
  }
}

const TICK_MS = 250;
const keepalive = new Keepalive();
