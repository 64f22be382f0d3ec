import { at, InternalError } from '../mqtt/checked.js';

/** Sequence numbers per chunk: 1024 bits, 128 bytes. Small, so sparse input costs little per number. */
const CHUNK_SHIFT = 10;
const CHUNK_BITS = 1 << CHUNK_SHIFT;
const CHUNK_BYTES = CHUNK_BITS >>> 3;

/**
 * One stream's sequence numbers as a receiver sees them: exact duplicate and reordering counts,
 * and at the end the numbers never seen. A bit per sequence number, in 1024-bit chunks created
 * on demand: memory follows what arrived (one bit per number when dense, one chunk per number at
 * worst when sparse), never the size of the largest number, so a forged number near 2^32 costs
 * one chunk, not half a gigabyte. The chunk last written is cached: a stream in order touches
 * the map once per 1024 messages. Until a number breaks the run [lowest, highest] (a gap, a number
 * below it) there are no chunks at all: every number of the run was seen once, so the run says
 * it all, and a subscriber whose messages come in order (most of an idle fleet) keeps none.
 */
export class SeqTracker {
  received = 0;
  duplicates = 0;
  outOfOrder = 0;
  lowest = -1;
  highest = -1;
  /** The first chunk made; the map holds the others, made only when a second one is needed (most streams of an idle fleet never do). */
  private firstIndex = -1;
  private first: Uint8Array | null = null;
  private chunks: Map<number, Uint8Array> | null = null;
  private lastIndex = -1;
  private last: Uint8Array | null = null;

  /** Returns true the first time `seq` (an integer in [0, 2^32)) is seen. */
  record(seq: number): boolean {
    if (this.first === null) {
      // One unbroken run so far, no chunks: extend it, or spot a duplicate inside it.
      if (this.received === 0 || seq === this.highest + 1) {
        if (this.received === 0) this.lowest = seq;
        this.highest = seq;
        this.received++;
        return true;
      }
      if (seq >= this.lowest && seq <= this.highest) {
        this.duplicates++;
        return false;
      }
      this.chunkRun();
    }
    const index = seq >>> CHUNK_SHIFT;
    let chunk = this.last;
    if (index !== this.lastIndex || chunk === null) {
      chunk = this.chunkAt(index) ?? null;
      if (chunk === null) {
        chunk = new Uint8Array(CHUNK_BYTES);
        if (this.first === null) {
          this.first = chunk;
          this.firstIndex = index;
        } else (this.chunks ??= new Map()).set(index, chunk);
      }
      this.last = chunk;
      this.lastIndex = index;
    }
    const byte = (seq & (CHUNK_BITS - 1)) >>> 3;
    const mask = 1 << (seq & 7);
    // Checked here rather than through at(): this runs per message, and a shared accessor would see every element kind.
    const bits = chunk[byte];
    if (bits === undefined) throw new InternalError(`sequence chunk byte ${byte} out of range`);
    if ((bits & mask) !== 0) {
      this.duplicates++;
      return false;
    }
    chunk[byte] = bits | mask;
    this.received++;
    if (seq < this.highest) this.outOfOrder++;
    else this.highest = seq;
    if (this.lowest === -1 || seq < this.lowest) this.lowest = seq;
    return true;
  }

  /** The run so far as chunks, its every bit set: from here on the chunks say what was seen. */
  private chunkRun(): void {
    for (let index = this.lowest >>> CHUNK_SHIFT; index <= this.highest >>> CHUNK_SHIFT; index++) {
      const chunk = new Uint8Array(CHUNK_BYTES);
      const base = index * CHUNK_BITS;
      const from = Math.max(this.lowest, base) - base;
      const to = Math.min(this.highest, base + CHUNK_BITS - 1) - base;
      for (let bit = from; bit <= to; bit++) chunk[bit >>> 3] = (chunk[bit >>> 3] ?? 0) | (1 << (bit & 7));
      if (this.first === null) {
        this.first = chunk;
        this.firstIndex = index;
      } else (this.chunks ??= new Map()).set(index, chunk);
    }
  }

  private chunkAt(index: number): Uint8Array | undefined {
    if (index === this.firstIndex && this.first !== null) return this.first;
    return this.chunks?.get(index);
  }

  has(seq: number): boolean {
    if (this.first === null) return this.received > 0 && seq >= this.lowest && seq <= this.highest;
    const chunk = this.chunkAt(seq >>> CHUNK_SHIFT);
    return chunk !== undefined && (at(chunk, (seq & (CHUNK_BITS - 1)) >>> 3) & (1 << (seq & 7))) !== 0;
  }

  /**
   * Unseen numbers in [0, highest], as flattened [start, end) pairs. Range-aware: the space
   * between chunks is one range each, so the time follows the chunks held, not `highest`.
   */
  missingRanges(): number[] {
    const out: number[] = [];
    if (this.highest < 0) return out;
    // One run: only what came before it is missing.
    if (this.first === null) return this.lowest > 0 ? [0, this.lowest] : out;
    let start = -1; // start of the open missing range, or -1
    let next = 0; // the first number not yet classified
    const seen = (seq: number): void => {
      if (start !== -1) {
        out.push(start, seq);
        start = -1;
      }
    };
    const all: [number, Uint8Array][] = this.first === null ? [] : [[this.firstIndex, this.first]];
    for (const [index, chunk] of [...all, ...(this.chunks ?? [])].sort((a, b) => a[0] - b[0])) {
      const base = index * CHUNK_BITS;
      if (base > next && start === -1) start = next;
      let byte = 0;
      for (const bits of chunk) {
        const first = base + 8 * byte++;
        if (bits === 0) {
          if (start === -1) start = first;
          continue;
        }
        if (bits === 0xff) {
          seen(first);
          continue;
        }
        for (let bit = 0; bit < 8; bit++) {
          if ((bits & (1 << bit)) !== 0) seen(first + bit);
          else if (start === -1) start = first + bit;
        }
      }
      next = base + CHUNK_BITS;
    }
    // Nothing is missing past the highest number seen: the last chunk's tail is not a gap.
    if (start !== -1 && start <= this.highest) out.push(start, this.highest + 1);
    return out;
  }
}
