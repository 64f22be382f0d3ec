/**
 * The header every payload starts with, so a receiver can tell which publisher sent it,
 * in what order, and when, without any shared state between threads or processes.
 *
 *   0  u16  magic 0x6d66 ("mf")
 *   2  u8   version (2)
 *   3  u8   reserved
 *   4  u32  run tag: messages from another run (retained, or someone else's traffic) are "foreign"
 *   8  u32  publisher's client index
 *  12  u32  sequence number, from 0 per publisher
 *  16  f64  send time, ms since the epoch with sub-microsecond fraction
 *  24  f64  scheduled send time, the same clock; 0 for an unpaced message (--rate 0: no schedule)
 *  32       filler up to --size
 * All little-endian. Version 1 (24 bytes, no scheduled time) is not read: its messages are foreign.
 */
export const HEADER_SIZE = 32;
const MAGIC = 0x6d66;
const VERSION = 2;

/**
 * The header's publisher field names a source: a client's only (or first) stream is the client's
 * fleet index; its stream k > 0 is the index plus k strides, so one-stream runs read as before and
 * every stream has a sequence of its own. The stride is above the fleet's largest size
 * (options/bounds.ts MAX_CLIENTS), and MAX_STREAMS strides stay within the field's 32 bits.
 */
export const STREAM_STRIDE = 2 ** 24;
export const MAX_STREAMS = 16;

export function sourceId(client: number, stream: number): number {
  return client + stream * STREAM_STRIDE;
}

export function clientOfSource(source: number): number {
  return source % STREAM_STRIDE;
}

export function streamOfSource(source: number): number {
  return Math.floor(source / STREAM_STRIDE);
}

export function runTag(runId: string): number {
  // FNV-1a: stable across processes and shards of one run.
  let h = 0x811c9dc5;
  for (let n = 0; n < runId.length; n++) {
    h ^= runId.charCodeAt(n);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Builds payloads for one publisher: one copy of a prepared template, then the header fields.
 * Publishers of one size and run share the template (an idle fleet would otherwise hold one
 * buffer per client); the publisher's index is written into each payload instead.
 */
export class PayloadWriter {
  private readonly template: Buffer;

  constructor(
    size: number,
    tag: number,
    private readonly publisher: number,
  ) {
    this.template = sharedTemplate(size, tag);
  }

  /** `scheduledAt`: when the schedule had this message due; 0 when unpaced. */
  write(seq: number, sentAt: number, scheduledAt: number): Buffer {
    const buf = Buffer.allocUnsafe(this.template.length);
    this.template.copy(buf);
    buf.writeUInt32LE(this.publisher, 8);
    buf.writeUInt32LE(seq, 12);
    buf.writeDoubleLE(sentAt, 16);
    buf.writeDoubleLE(scheduledAt, 24);
    return buf;
  }
}

/** The last template made, held weakly: its writers keep it alive, and it goes with them. */
let lastTemplate: { size: number; tag: number; buffer: WeakRef<Buffer> } | null = null;

function sharedTemplate(size: number, tag: number): Buffer {
  const cached = lastTemplate !== null && lastTemplate.size === size && lastTemplate.tag === tag;
  const reused = cached ? lastTemplate?.buffer.deref() : undefined;
  if (reused !== undefined) return reused;
  // Filler is fixed, never uninitialised memory: allocUnsafe could leak process memory onto the wire.
  const template = Buffer.alloc(size, 0x2e);
  template.writeUInt16LE(MAGIC, 0);
  template.writeUInt8(VERSION, 2);
  template.writeUInt8(0, 3);
  template.writeUInt32LE(tag, 4);
  lastTemplate = { size, tag, buffer: new WeakRef(template) };
  return template;
}

/** Header fields, read into a reused object so the receive path does not allocate. */
export interface Header {
  publisher: number;
  seq: number;
  sentAt: number;
  /** 0: unpaced, no schedule. */
  scheduledAt: number;
}

/** The same bytes as a Buffer, without a copy (a string: its UTF-8): what user code hands back may be either. */
export function toBuffer(data: string | Uint8Array): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Fills `out` and returns true when `payload` carries this run's header. */
export function readHeader(payload: Uint8Array, tag: number, out: Header): boolean {
  if (payload.length < HEADER_SIZE) return false;
  const buf = toBuffer(payload);
  if (buf.readUInt16LE(0) !== MAGIC || buf.readUInt8(2) !== VERSION || buf.readUInt32LE(4) !== tag) return false;
  out.publisher = buf.readUInt32LE(8);
  out.seq = buf.readUInt32LE(12);
  out.sentAt = buf.readDoubleLE(16);
  out.scheduledAt = buf.readDoubleLE(24);
  return true;
}
