import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { guardPacketSize } from '../../src/session/packet-guard.js';
import { at } from '../../src/mqtt/checked.js';

const publish = (payloadBytes: number): Buffer =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 't',
    payload: Buffer.alloc(payloadBytes, 1),
    qos: 0,
    dup: false,
    retain: false,
  });

/** Feed `bytes` through a guarded stream in chunks of the given sizes (cycled); what came out, and the error if any. */
async function feed(
  bytes: Buffer,
  max: number,
  sizes: number[],
): Promise<{ out: Buffer; error: (Error & { code?: string }) | undefined }> {
  const stream = guardPacketSize(new PassThrough(), max);
  const out: Buffer[] = [];
  let error: (Error & { code?: string }) | undefined;
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  stream.on('error', (err) => (error = err));
  let sent = 0;
  for (let i = 0; sent < bytes.length && !stream.destroyed; i++) {
    const n = at(sizes, i % sizes.length);
    stream.write(bytes.subarray(sent, sent + n));
    sent += n;
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { out: Buffer.concat(out), error };
}

test('the packet size guard passes every packet up to the limit, however the stream is cut', async () => {
  // Remaining lengths of one, two, three and four bytes, and an empty packet (PINGRESP).
  const packets = [
    publish(10),
    mqttPacket.generate({ cmd: 'pingresp' }),
    publish(200),
    publish(20_000),
    publish(2_100_000),
    publish(0),
  ];
  const stream = Buffer.concat(packets);
  const largest = Math.max(...packets.map((p) => p.length));
  // The 2 MB body byte by byte would be two million writes that test nothing the 20 kB one does not:
  // the finest cuts go through the stream without it, and through the whole stream byte by byte
  // around every packet boundary (where the headers are read), in one piece in between.
  const withoutLargest = Buffer.concat(packets.filter((p) => p.length < 2_000_000));
  const atBoundaries = packets.flatMap((p) =>
    p.length <= 16
      ? Array<number>(p.length).fill(1)
      : [...Array<number>(8).fill(1), p.length - 16, ...Array<number>(8).fill(1)],
  );
  const cuts: [Buffer, number[], string][] = [
    [withoutLargest, [1], '1-byte chunks, without the 2 MB packet'],
    [withoutLargest, [2, 3], '2,3-byte chunks, without the 2 MB packet'],
    [stream, atBoundaries, '1-byte chunks at every packet boundary'],
    ...[[7, 1, 64], [65_536], [stream.length]].map((sizes): [Buffer, number[], string] => [
      stream,
      sizes,
      `${sizes.join(',')}-byte chunks`,
    ]),
  ];
  for (const [bytes, sizes, how] of cuts) {
    const { out, error } = await feed(bytes, largest, sizes);
    assert.equal(error, undefined, `cut in ${how}`);
    assert.ok(out.equals(bytes), `every byte passed, cut in ${how}`);
  }
});

test('the packet size guard refuses a packet one byte over the limit from its header, and passes nothing more', async () => {
  const small = publish(100);
  const big = publish(5000);
  for (const sizes of [[1], [3], [small.length + 2], [65_536]]) {
    const { out, error } = await feed(Buffer.concat([small, big, small]), big.length - 1, sizes);
    assert.equal(error?.code, 'PACKET_TOO_LARGE', `cut in ${sizes.join(',')}-byte chunks`);
    assert.match(
      error.message,
      new RegExp(
        `packet of ${big.length.toLocaleString('en-US')} bytes, over the maximum packet size of ${(big.length - 1).toLocaleString('en-US')}`,
      ),
    );
    // What came before it, and at most the first bytes of its header (until the length is known): none of its body.
    assert.ok(out.length < small.length + 5, `only what came before the oversize packet passed (${out.length} bytes)`);
  }
});
