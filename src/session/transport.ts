import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import type { ConnectionOptions, SecureVersion, TLSSocket } from 'node:tls';
import { appendFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import clientModule, { type IClientOptions } from 'mqtt/lib/client';
import { loadModule } from './module-loader.js';
import { guardPacketSize } from './packet-guard.js';
import { now } from './clock.js';
import { LeanClient } from './lean-client.js';
import { MqttJsClient } from './mqttjs-client.js';
import type { ClientEvents, SessionClient } from './session-client.js';

/** MQTT.js's options and how TLS is spoken beyond them. */
export type TransportOptions = IClientOptions & {
  minVersion?: SecureVersion;
  /** ALPN protocols offered on mqtts:// connections. */
  alpn?: string[];
  /** A file every TLS session's secrets are appended to (SSLKEYLOGFILE), in NSS key log format. */
  keylog?: string;
};

/** How a connection's set-up went, as it happens. */
export interface TransportTimer {
  /** The TCP connect, or the TLS handshake after it, took `ms`. */
  step(step: 'tcpConnect' | 'tlsHandshake', ms: number): void;
  /** The socket is ready for MQTT (connected, TLS handshake done): the CONNECT leaves now. */
  ready(at: number): void;
}

// node:tls, with the crypto modules it loads, costs a thread about 8 ms of CPU to load, and most
// runs speak plain TCP: it is loaded on the first mqtts:// or wss:// connection.
const tlsConnect = (options: ConnectionOptions): TLSSocket => process.getBuiltinModule('node:tls').connect(options);

// A CommonJS module: its class is the `default` property of what ESM imports.
const MqttClient = clientModule.default;
type MqttClient = InstanceType<typeof MqttClient>;

/** Who a stream builder tells of a TLS socket's errors: either client. */
type ErrorSink = { emit(event: 'error', err: Error): boolean };

/**
 * An MQTT client for `url` without `mqtt.connect()`: that entry point loads every transport
 * (WebSocket, SOCKS, ...) into each worker thread. Here TCP and TLS cost nothing extra and the
 * WebSocket transport is loaded only when a ws:// or wss:// broker is used. `lean`: a LeanClient
 * (session/lean-client.ts) over the same streams, else MQTT.js's own. Either tells `events` what happens.
 */
export async function createClient(
  url: string,
  options: TransportOptions,
  maxPacketSize: number,
  events: ClientEvents,
  localAddress?: string,
  timer?: TransportTimer,
  lean = false,
): Promise<SessionClient> {
  const parsed = new URL(url);
  const scheme = parsed.protocol.slice(0, -1);
  const hostname = hostOf(url, parsed);
  const { minVersion, alpn, keylog, ...mqttOptions } = options;
  const opts: IClientOptions = { ...mqttOptions };
  // Credentials in the URL, as mqtt.connect() would take them, unless given as options.
  if (parsed.username && opts.username === undefined) opts.username = decodeURIComponent(parsed.username);
  if (parsed.password && opts.password === undefined) opts.password = decodeURIComponent(parsed.password);
  // The lean client refuses oversize packets in its own framing: only MQTT.js's sockets need the guard.
  const guardMax = lean ? Infinity : maxPacketSize;
  let builder: (client: ErrorSink) => Duplex;
  switch (scheme) {
    case 'mqtt':
    case 'tcp':
      builder = tcpBuilder(hostname, Number(parsed.port || 1883), localAddress, timer, guardMax);
      break;
    case 'mqtts':
    case 'ssl':
    case 'tls': {
      const tls: ConnectionOptions = {
        host: hostname,
        port: Number(parsed.port || 8883),
        servername: opts.servername ?? (isIpAddress(hostname) ? undefined : hostname),
        rejectUnauthorized: opts.rejectUnauthorized !== false,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        ...(alpn === undefined ? {} : { ALPNProtocols: alpn }),
        ...(minVersion === undefined ? {} : { minVersion }),
        ...(localAddress ? { localAddress } : {}),
      };
      builder = tlsBuilder(tls, keylog, timer, guardMax);
      break;
    }
    case 'ws':
    case 'wss': {
      const { streamBuilder } = (await loadModule('mqtt/lib/connect/ws')) as typeof import('mqtt/lib/connect/ws');
      const port = Number(parsed.port || (scheme === 'wss' ? 443 : 80));
      const path = parsed.pathname === '/' && !url.endsWith('/') ? '/mqtt' : parsed.pathname + parsed.search;
      // ws opens its socket through createConnection (as its own netConnect/tlsConnect would), so it can be timed too.
      const secure = scheme === 'wss';
      const createConnection = (o: ConnectionOptions & { socketPath?: string }): Socket => {
        const socket = secure
          ? logKeys(
              tlsConnect({
                ...o,
                path: undefined,
                servername: opts.servername ?? o.servername ?? (isIP(o.host ?? '') ? '' : o.host),
                ...(minVersion === undefined ? {} : { minVersion }),
              }),
              keylog,
            )
          : tcpConnect({ ...o, path: o.socketPath } as never);
        return timeSocket(socket, secure, timer);
      };
      const wsOptions = timer ? { ...opts.wsOptions, createConnection } : opts.wsOptions;
      builder = (client) =>
        guarded(
          streamBuilder(
            client as MqttClient,
            {
              ...opts,
              wsOptions,
              protocol: scheme,
              hostname,
              port,
              path,
            } as IClientOptions,
          ) as unknown as Duplex,
          guardMax,
        );
      break;
    }
    default:
      throw new Error(`unsupported broker URL scheme ${JSON.stringify(scheme)}`);
  }
  if (lean) return new LeanClient(builder, opts, events, maxPacketSize);
  return new MqttJsClient(new MqttClient(builder, opts), events);
}

/** Each broker URL's host, one string for all its clients (a URL's getters make a new string per call, and each client keeps it). */
const hosts = new Map<string, string>();

function hostOf(url: string, parsed: URL): string {
  let host = hosts.get(url);
  if (host === undefined) {
    host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    hosts.set(url, host);
  }
  return host;
}

/**
 * The stream builders a client keeps for its reconnects, each made in a function of its own: a
 * closure keeps its whole scope, and createClient's holds the URL, the options and the rest.
 */
function tcpBuilder(
  host: string,
  port: number,
  localAddress: string | undefined,
  timer: TransportTimer | undefined,
  maxPacketSize: number,
): () => Duplex {
  return () =>
    guarded(
      coalesceWrites(
        timeSocket(tcpConnect({ host, port, noDelay: true, ...(localAddress ? { localAddress } : {}) }), false, timer),
      ),
      maxPacketSize,
    );
}

function tlsBuilder(
  options: ConnectionOptions,
  keylog: string | undefined,
  timer: TransportTimer | undefined,
  maxPacketSize: number,
): (client: ErrorSink) => Duplex {
  return (client) => {
    const socket = logKeys(tlsConnect(options), keylog);
    socket.setNoDelay(true);
    socket.on('error', (err: Error) => client.emit('error', err));
    return guarded(coalesceWrites(timeSocket(socket, true, timer)), maxPacketSize);
  };
}

/** The packet size guard on a stream (packet-guard.ts); none for Infinity. */
function guarded<T extends Duplex>(stream: T, maxPacketSize: number): T {
  return maxPacketSize === Infinity ? stream : guardPacketSize(stream, maxPacketSize);
}

/**
 * SSLKEYLOGFILE: each TLS session's secrets, appended as they come (a few lines per handshake),
 * so Wireshark can decrypt a capture of the run. Appends are whole lines, so threads do not mix.
 */
function logKeys(socket: TLSSocket, file: string | undefined): TLSSocket {
  if (file !== undefined) socket.on('keylog', (line: Buffer) => appendFileSync(file, line));
  return socket;
}

/** Stream writes in a turn (MQTT.js makes 2-4 per packet) above which the next turn is held whole. */
const BUSY_WRITES = 8;

/**
 * Coalesce a socket's writes per event-loop turn. MQTT.js uncorks after every packet it handles,
 * so each PUBACK of a burst would be a TCP segment of its own: with Nagle off (for honest
 * latency) that costs a syscall and a trip through the loopback stack per packet. So writes are
 * held until the turn ends and sent as one. A quiet socket (a paced publisher: one packet a turn)
 * sends its first packet at once, as MQTT.js would, so latency is untouched; a busy one (more
 * than a couple of packets last turn) holds everything from the first write.
 */
export function coalesceWrites<T extends Duplex>(socket: T): T {
  // Called as write.apply(this, ...): the socket's own method, on the socket.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  (socket as unknown as Coalesced)[TURN] = new Turn(socket, socket.write);
  socket.write = coalescedWrite as T['write'];
  return socket;
}

const TURN = Symbol('turn');
type Coalesced = Duplex & { [TURN]: Turn };

/**
 * One socket's writes in this turn. Shared functions take it as their argument, so a connection
 * costs this object, not closures and their context (an idle fleet holds one per client).
 */
class Turn {
  inTurn = false;
  held = false;
  writes = 0;
  busy = false;
  constructor(
    readonly socket: Duplex,
    readonly write: Duplex['write'],
  ) {}
}

function hold(turn: Turn): void {
  if (turn.inTurn && !turn.held) {
    turn.held = true;
    turn.socket.cork();
  }
}

function endTurn(turn: Turn): void {
  turn.inTurn = false;
  turn.busy = turn.writes > BUSY_WRITES;
  turn.writes = 0;
  if (turn.held) {
    turn.held = false;
    turn.socket.uncork();
  }
}

function coalescedWrite(this: Coalesced, ...args: unknown[]): boolean {
  const turn = this[TURN];
  turn.writes++;
  if (!turn.inTurn) {
    turn.inTurn = true;
    setImmediate(endTurn, turn);
    // Quiet: queued after MQTT.js's own uncork of this first packet, so only later writes wait.
    if (turn.busy) hold(turn);
    else process.nextTick(hold, turn);
  }
  return (turn.write as (...a: unknown[]) => boolean).apply(this, args);
}

/**
 * Time a socket's set-up from now: the TCP connect, then (TLS) the handshake. MQTT.js writes its
 * CONNECT at once; the socket holds it until ready, so `ready` is when it really leaves.
 */
function timeSocket<T extends Socket>(socket: T, tls: boolean, timer: TransportTimer | undefined): T {
  if (!timer) return socket;
  const start = now();
  socket.once('connect', () => {
    const connected = now();
    timer.step('tcpConnect', connected - start);
    if (!tls) return timer.ready(connected);
    socket.once('secureConnect', () => {
      const secured = now();
      timer.step('tlsHandshake', secured - connected);
      timer.ready(secured);
    });
  });
  return socket;
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
