import { now } from './clock.js';

/** How a heap reads and marks its items: shared functions, so an item costs two numbers, not an object. */
export interface DeadlineKeys<T> {
  /** When the item is due (epoch ms, the session clock). */
  at(item: T): number;
  /** The item's place in the heap; -1: not in it. */
  index(item: T): number;
  setIndex(item: T, index: number): void;
  /** Called once the item is due, after it has left the heap (it may go back in). */
  fire(item: T): void;
}

/**
 * Many deadlines on one timer per thread: a binary heap by due time, and one Node timer for the
 * earliest. A Node timer is a 120-byte Timeout and an arguments array each, which an idle fleet
 * held twice per publisher (its next message, its end) for as long as it lived.
 */
export class Deadlines<T> {
  private readonly items: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** When the Node timer is set to go off (epoch ms); Infinity: not set. */
  private armedAt = Infinity;

  constructor(private readonly keys: DeadlineKeys<T>) {}

  get size(): number {
    return this.items.length;
  }

  /** Adds `item` at its `at()`, or moves it there if it is in already. */
  set(item: T): void {
    const i = this.keys.index(item);
    if (i >= 0) {
      this.up(i);
      this.down(this.keys.index(item));
    } else {
      this.items.push(item);
      this.keys.setIndex(item, this.items.length - 1);
      this.up(this.items.length - 1);
    }
    this.arm();
  }

  delete(item: T): void {
    const i = this.keys.index(item);
    if (i < 0) return;
    this.keys.setIndex(item, -1);
    const last = this.items.pop() as T;
    if (i < this.items.length) {
      this.place(last, i);
      this.up(i);
      this.down(this.keys.index(last));
    }
    if (this.items.length === 0) this.disarm();
  }

  private arm(): void {
    const first = this.items[0];
    if (first === undefined) return this.disarm();
    const at = this.keys.at(first);
    if (at >= this.armedAt) return;
    this.disarm();
    this.armedAt = at;
    // A Node timer may go off a little before its time by this clock: the run below re-arms then.
    this.timer = setTimeout(Deadlines.run, Math.max(1, Math.ceil(at - now())), this);
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = Infinity;
  }

  private static run<T>(this: void, heap: Deadlines<T>): void {
    heap.timer = null;
    heap.armedAt = Infinity;
    const t = now();
    const keys = heap.keys;
    for (let first = heap.items[0]; first !== undefined && keys.at(first) <= t; first = heap.items[0]) {
      heap.delete(first);
      keys.fire(first);
    }
    heap.arm();
  }

  private place(item: T, i: number): void {
    this.items[i] = item;
    this.keys.setIndex(item, i);
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i] as T;
    const at = this.keys.at(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent] as T;
      if (this.keys.at(above) <= at) break;
      this.place(above, i);
      i = parent;
    }
    this.place(item, i);
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i] as T;
    const at = this.keys.at(item);
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.keys.at(items[right] as T) < this.keys.at(items[left] as T) ? right : left;
      const below = items[child] as T;
      if (this.keys.at(below) >= at) break;
      this.place(below, i);
      i = child;
    }
    this.place(item, i);
  }
}
