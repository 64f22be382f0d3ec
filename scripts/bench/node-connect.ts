/**
 * Node's floor for connect time (bench W5-connect): what the C poll loop (c/connect-poll.c) does,
 * written in Node with nothing but `net.Socket` and hand-made packets, so that the gap between
 * mqtt-fleet and the C loop splits into what Node costs and what we add. N clients on one event
 * loop, at most WINDOW attempts between the TCP connect and CONNACK at a time (the C loop's
 * window), each sending an MQTT 3.1.1 CONNECT (clean session, keepalive 60, as libmosquitto's)
 * once its socket is connected and a SUBSCRIBE to its own topic (QoS 0) after its CONNACK. Prints
 * one JSON line like the C loop's: milliseconds from the first connect until all N were connected
 * and subscribed, and the CPU time used over that span.
 *
 *   node dist/scripts/bench/node-connect.js HOST PORT CLIENTS WINDOW
 *
 * Bounded: gives up after 120 s and reports how many got through.
 */
import { connect, type Socket } from 'node:net';

const LIMIT_MS = 120_000;

const [host = '', portArg, clientsArg, windowArg] = process.argv.slice(2);
const port = Number(portArg);
const n = Number(clientsArg);
const window = Number(windowArg);
if (!host || !(port > 0) || !(n > 0) || !(window > 0)) {
  process.stderr.write('usage: node-connect.js HOST PORT CLIENTS WINDOW (all positive)\n');
  process.exit(2);
}

/** A UTF-8 string with MQTT's two-byte length before it. */
function mqttString(text: string): Buffer {
  const bytes = Buffer.from(text);
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

/** A packet whose remaining length fits one byte (< 128): all that this script sends. */
function packet(first: number, body: Buffer): Buffer {
  if (body.length > 127) throw new RangeError('packet too long for a one-byte remaining length');
  return Buffer.concat([Buffer.from([first, body.length]), body]);
}

/** [MQTT-3.1] protocol name, level 4 (3.1.1), clean session, keepalive 60 s, then the client id. */
function connectPacket(id: string): Buffer {
  const header = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60]);
  return packet(0x10, Buffer.concat([header, mqttString(id)]));
}

/** [MQTT-3.8] packet id 1, one filter at QoS 0; the fixed header's flags must be 0b0010. */
function subscribePacket(topic: string): Buffer {
  return packet(0x82, Buffer.concat([Buffer.from([0, 1]), mqttString(topic), Buffer.from([0])]));
}

const DISCONNECT = Buffer.from([0xe0, 0]);
const CONNACK = 0x20;
const SUBACK = 0x90;

let inFlight = 0;
let next = 0;
let subscribed = 0;
let failed = 0;
const sockets: Socket[] = [];
let resolveDone!: () => void;
const done = new Promise<void>((resolve) => (resolveDone = resolve));
const settle = (): void => {
  if (subscribed + failed === n) resolveDone();
};

/** Starts attempts while the window has room, as the C loop does before each poll(). */
function fill(): void {
  while (next < n && inFlight < window) start(next++);
}

function start(index: number): void {
  inFlight++;
  let phase: 'connecting' | 'subscribing' | 'done' | 'failed' = 'connecting';
  let pending: Buffer | null = null;
  const fail = (): void => {
    if (phase === 'connecting') inFlight--;
    if (phase === 'connecting' || phase === 'subscribing') {
      phase = 'failed';
      failed++;
      fill();
      settle();
    }
  };
  const socket = connect({ host, port });
  sockets.push(socket);
  socket.on('connect', () => socket.write(connectPacket(`nodefloor-${process.pid}-${index}`)));
  socket.on('data', (chunk: Buffer) => {
    // CONNACK (4 bytes) and SUBACK (5 bytes) each come whole on loopback, but TCP does not promise it.
    let data = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = null;
    while (data.length >= 2) {
      const size = 2 + data[1]!;
      if (data.length < size) break;
      const type = data[0]! & 0xf0;
      if (type === CONNACK && phase === 'connecting') {
        inFlight--;
        if (data[3] !== 0) {
          phase = 'failed';
          failed++;
        } else {
          phase = 'subscribing';
          socket.write(subscribePacket(`nodefloor/${process.pid}/${index}`));
        }
        fill();
        settle();
      } else if (type === SUBACK && phase === 'subscribing') {
        phase = data[4]! < 0x80 ? 'done' : 'failed';
        if (phase === 'done') subscribed++;
        else failed++;
        settle();
      }
      data = data.subarray(size);
    }
    if (data.length) pending = data;
  });
  socket.on('error', fail);
  socket.on('close', fail);
}

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const limit = setTimeout(resolveDone, LIMIT_MS);
fill();
await done;
clearTimeout(limit);
const connectMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const timedOut = subscribed + failed < n;

for (const socket of sockets) {
  if (!socket.destroyed) socket.end(DISCONNECT);
}
process.stdout.write(
  `${JSON.stringify({
    type: 'node-connect',
    clients: n,
    window,
    subscribed,
    failed,
    connectMs: Math.round(connectMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    timedOut,
  })}\n`,
);
process.exitCode = subscribed === n ? 0 : 1;
if (timedOut) for (const socket of sockets) socket.destroy();
