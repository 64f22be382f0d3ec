import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEADER_SIZE, PayloadWriter, readHeader, runTag, type Header } from '../../src/mqtt/payload.js';

test('a payload carries publisher, sequence number, send time and scheduled send time, padded to the size', () => {
  const tag = runTag('run-a');
  const writer = new PayloadWriter(64, tag, 42);
  const sentAt = 1_795_000_000_123.456;
  const scheduledAt = 1_795_000_000_100.25;
  const payload = writer.write(7, sentAt, scheduledAt);
  assert.equal(payload.length, 64);
  assert.equal(HEADER_SIZE, 32);
  assert.equal(payload.readUInt8(2), 2, 'header version 2');
  const out: Header = { publisher: 0, seq: 0, sentAt: 0, scheduledAt: 0 };
  assert.ok(readHeader(payload, tag, out));
  assert.deepEqual(out, { publisher: 42, seq: 7, sentAt, scheduledAt });
  // Unpaced: no schedule, 0.
  assert.ok(readHeader(writer.write(8, sentAt, 0), tag, out));
  assert.equal(out.scheduledAt, 0);
});

test("a version 1 header (24 bytes, no scheduled time) is not read as this run's", () => {
  const tag = runTag('run-a');
  const v1 = new PayloadWriter(64, tag, 1).write(0, 1, 1);
  v1.writeUInt8(1, 2);
  assert.ok(!readHeader(v1, tag, { publisher: 0, seq: 0, sentAt: 0, scheduledAt: 0 }));
});

test('each payload is its own buffer: later writes do not change earlier ones', () => {
  const tag = runTag('r');
  const writer = new PayloadWriter(HEADER_SIZE, tag, 1);
  const first = writer.write(1, 1, 1);
  writer.write(2, 2, 2);
  const out: Header = { publisher: 0, seq: 0, sentAt: 0, scheduledAt: 0 };
  assert.ok(readHeader(first, tag, out));
  assert.equal(out.seq, 1);
});

test('foreign payloads are rejected: other runs, other traffic, short messages', () => {
  const out: Header = { publisher: 0, seq: 0, sentAt: 0, scheduledAt: 0 };
  const payload = new PayloadWriter(32, runTag('run-a'), 1).write(0, 0, 0);
  assert.ok(!readHeader(payload, runTag('run-b'), out));
  assert.ok(!readHeader(Buffer.from('hello world, this is not ours at all'), runTag('run-a'), out));
  assert.ok(!readHeader(payload.subarray(0, HEADER_SIZE - 1), runTag('run-a'), out));
});

test('filler bytes are fixed, never leftover memory', () => {
  const payload = new PayloadWriter(200, 1, 1).write(0, 0, 0);
  assert.ok(payload.subarray(HEADER_SIZE).every((b) => b === 0x2e));
});
