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
  const push = socket.push;
  /** Body bytes of the current packet still to come: skipped. */
  let skip = 0;
  /** Reading a fixed header: -1 = its first byte next; 0..3 = remaining-length bytes read so far. */
  let lengthBytes = -1;
  let length = 0;
  let multiplier = 1;
  /** Past a malformed length: mqtt-packet reports it, with its own error; stop looking. */
  let lost = false;
  /** An oversize packet was refused: nothing more goes through. */
  let refused = false;

  function scan(chunk: Uint8Array): number {
    const end = chunk.length;
    let i = 0;
    while (i < end) {
      if (skip > 0) {
        const step = skip < end - i ? skip : end - i;
        skip -= step;
        i += step;
        continue;
      }
      if (lengthBytes < 0) {
        // The packet type byte; its remaining length follows.
        lengthBytes = 0;
        length = 0;
        multiplier = 1;
        i++;
        continue;
      }
      // Checked here rather than through at(): this runs per packet, and a shared accessor would see every element kind.
      const byte = chunk[i++];
      if (byte === undefined) throw new InternalError(`packet scan read past a chunk of ${end} bytes`);
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      lengthBytes++;
      if (byte & 0x80) {
        if (lengthBytes === 4) lost = true;
        if (lost) return -1;
        continue;
      }
      const total = 1 + lengthBytes + length;
      if (total > maxBytes) return total;
      skip = length;
      lengthBytes = -1;
    }
    return -1;
  }

  socket.push = function (this: T, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (refused) return false;
    if (!lost && chunk instanceof Uint8Array) {
      const oversize = scan(chunk);
      if (oversize >= 0) {
        refused = true;
        socket.destroy(packetTooLarge(oversize, maxBytes));
        return false;
      }
    }
    return push.call(this, chunk, encoding);
  } as T['push'];
  return socket;
}

export function packetTooLarge(bytes: number, maxBytes: number): Error {
  return Object.assign(
    new Error(
      `the broker sent a packet of ${bytes.toLocaleString('en-US')} bytes, over the maximum packet size of ${maxBytes.toLocaleString('en-US')} (--max-packet-size)`,
    ),
    { code: 'PACKET_TOO_LARGE' },
  );
}
