import { at } from '../mqtt/checked.js';

/** Windows kept per subscriber at most: a client that keeps reconnecting has its closest windows joined. */
const MAX_WINDOWS = 256;

/**
 * When one subscriber was subscribed, as [from, to) epoch ms windows: what the broker could have
 * delivered to it. A window opens when the subscription is acknowledged (or a persistent
 * session resumes with it) and closes when the connection closes. A persistent session whose
 * next CONNACK says the broker kept it (session present) spans the time away: the broker
 * queued for it. Called on connect and disconnect only, never per message.
 */
export class SubscriptionWindows {
  /** Made at the first window closed for good: most subscribers of a run never have one. */
  private closed: number[] | null = null;
  private openedAt = -1;
  /** When the open window's connection closed; -1 while connected. It stays open until we know whether the session resumes. */
  private leftAt = -1;

  /** Subscribed at `at`; `resumed`: a persistent session came back with the broker's state intact. */
  subscribed(at: number, resumed: boolean): void {
    if (this.openedAt >= 0 && this.leftAt >= 0) {
      if (resumed) {
        this.leftAt = -1;
        return;
      }
      this.commit(this.openedAt, this.leftAt);
    }
    if (this.openedAt >= 0 && this.leftAt < 0) return; // still subscribed: nothing changes
    this.openedAt = at;
    this.leftAt = -1;
  }

  /** The connection closed at `at`. */
  closedAt(at: number): void {
    if (this.openedAt >= 0 && this.leftAt < 0) this.leftAt = at;
  }

  /** Every window, flattened [from, to); one still open ends at `end`. */
  final(end: number): number[] {
    const out = this.closed === null ? [] : [...this.closed];
    if (this.openedAt >= 0) out.push(this.openedAt, this.leftAt >= 0 ? this.leftAt : end);
    return out;
  }

  private commit(from: number, to: number): void {
    const w = (this.closed ??= []);
    w.push(from, to);
    if (w.length <= 2 * MAX_WINDOWS) return;
    // Join the two windows with the shortest gap between them: the gap then counts as subscribed,
    // so a message missing in it is reported lost rather than excused.
    let best = 2;
    const gap = (n: number): number => at(w, n) - at(w, n - 1);
    for (let n = 4; n < w.length; n += 2) if (gap(n) < gap(best)) best = n;
    w.splice(best - 1, 2);
  }
}

/** Several members' windows as one (a shared subscription): sorted, overlaps joined. */
export function unionWindows(lists: readonly (readonly number[])[]): number[] {
  const pairs: [number, number][] = [];
  for (const list of lists) for (let n = 0; n < list.length; n += 2) pairs.push([at(list, n), at(list, n + 1)]);
  pairs.sort((a, b) => a[0] - b[0]);
  const joined: [number, number][] = [];
  for (const [from, to] of pairs) {
    const last = joined.at(-1);
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to);
    else joined.push([from, to]);
  }
  return joined.flat();
}
