/**
 * One stream's sequence numbers as a receiver sees them: exact duplicate and reordering counts,
 * and at the end the numbers never seen. A bit per sequence number, grown on demand.
 */
export class SeqTracker {
  received = 0;
  duplicates = 0;
  outOfOrder = 0;
  lowest = -1;
  highest = -1;
  private bits = new Uint8Array(64);

  /** Returns true the first time `seq` is seen. */
  record(seq: number): boolean {
    const byte = seq >>> 3;
    if (byte >= this.bits.length) this.grow(byte);
    const mask = 1 << (seq & 7);
    if ((this.bits[byte]! & mask) !== 0) {
      this.duplicates++;
      return false;
    }
    this.bits[byte]! |= mask;
    this.received++;
    if (seq < this.highest) this.outOfOrder++;
    else this.highest = seq;
    if (this.lowest === -1 || seq < this.lowest) this.lowest = seq;
    return true;
  }

  has(seq: number): boolean {
    const byte = seq >>> 3;
    return byte < this.bits.length && (this.bits[byte]! & (1 << (seq & 7))) !== 0;
  }

  /** Unseen numbers in [0, highest], as flattened [start, end) pairs. */
  missingRanges(): number[] {
    const out: number[] = [];
    let start = -1;
    for (let seq = 0; seq <= this.highest; seq++) {
      const seen = this.has(seq);
      if (!seen && start === -1) start = seq;
      else if (seen && start !== -1) {
        out.push(start, seq);
        start = -1;
      }
    }
    if (start !== -1) out.push(start, this.highest + 1);
    return out;
  }

  private grow(byte: number): void {
    let size = this.bits.length * 2;
    while (size <= byte) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.bits);
    this.bits = bigger;
  }
}
