import type { Duplex } from 'node:stream';
import { InternalError } from '../mqtt/checked.js';

/**
 * Refuse incoming MQTT packets larger than `maxBytes`, from their fixed header, before their body
 * is read: MQTT.js (mqtt-packet) buffers a whole packet before looking at it, so a broker that
 * announces 200 MB gets 200 MB of our memory, per client. MQTT 5 brokers are told the limit in
 * CONNECT (Maximum Packet Size) and must not send more [MQTT-3.1.2-24]; this guard holds for MQTT
 * 3.1.1 and for brokers that ignore it.
 *
 * It sits on the socket's `push`, where every chunk passes once, and walks only the packet
 * boundaries (the header bytes; bodies are skipped by length): no allocation, a few integer
 * operations per packet. An oversize packet destroys the socket with a PACKET_TOO_LARGE error
 * (which MQTT.js passes on as the connection's error) and its bytes go no further.
 */
export function guardPacketSize<T extends Duplex>(socket: T, maxBytes: number): T {
  // Called as push.call(this, ...): the socket's own method, on the socket.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  (socket as unknown as Guarded)[GUARD] = new PacketGuard(maxBytes, socket.push);
  socket.push = guardedPush as T['push'];
  return socket;
}

const GUARD = Symbol('packetGuard');
type Guarded = Duplex & { [GUARD]: PacketGuard };

/**
 * One `push` for every guarded socket, its state on the socket: per connection an object of a
 * few numbers rather than closures and their context (an idle fleet holds one per client).
 */
function guardedPush(this: Guarded, chunk: unknown, encoding?: BufferEncoding): boolean {
  const guard = this[GUARD];
  if (guard.refused) return false;
  if (!guard.lost && chunk instanceof Uint8Array) {
    const oversize = guard.scan(chunk);
    if (oversize >= 0) {
      guard.refused = true;
      this.destroy(packetTooLarge(oversize, guard.maxBytes));
      return false;
    }
  }
  return guard.push.call(this, chunk, encoding);
}

class PacketGuard {
  /** Body bytes of the current packet still to come: skipped. */
  private skip = 0;
  /** Reading a fixed header: -1 = its first byte next; 0..3 = remaining-length bytes read so far. */
  private lengthBytes = -1;
  private length = 0;
  private multiplier = 1;
  /** Past a malformed length: mqtt-packet reports it, with its own error; stop looking. */
  lost = false;
  /** An oversize packet was refused: nothing more goes through. */
  refused = false;

  constructor(
    readonly maxBytes: number,
    readonly push: Duplex['push'],
  ) {}

  /** The size of an oversize packet whose header is in `chunk`, or -1. */
  scan(chunk: Uint8Array): number {
    const end = chunk.length;
    let i = 0;
    while (i < end) {
      if (this.skip > 0) {
        const step = this.skip < end - i ? this.skip : end - i;
        this.skip -= step;
        i += step;
        continue;
      }
      if (this.lengthBytes < 0) {
        // The packet type byte; its remaining length follows.
        this.lengthBytes = 0;
        this.length = 0;
        this.multiplier = 1;
        i++;
        continue;
      }
      // Checked here rather than through at(): this runs per packet, and a shared accessor would see every element kind.
      const byte = chunk[i++];
      if (byte === undefined) throw new InternalError(`packet scan read past a chunk of ${end} bytes`);
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) this.lost = true;
        if (this.lost) return -1;
        continue;
      }
      const total = 1 + this.lengthBytes + this.length;
      if (total > this.maxBytes) return total;
      this.skip = this.length;
      this.lengthBytes = -1;
    }
    return -1;
  }
}

export function packetTooLarge(bytes: number, maxBytes: number): Error {
  return Object.assign(
    new Error(
      `the broker sent a packet of ${bytes.toLocaleString('en-US')} bytes, over the maximum packet size of ${maxBytes.toLocaleString('en-US')} (--max-packet-size)`,
    ),
    { code: 'PACKET_TOO_LARGE' },
  );
}
