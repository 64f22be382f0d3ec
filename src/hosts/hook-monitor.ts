import { HookWatchReader, WATCH_GRACE_MS, WATCH_POLL_MS, type BlockedHook } from '../session/hook-watch.js';
import type { LaneHandle } from './host.js';

/**
 * Worker modes: watches, from the main thread, every lane thread that runs workload hooks, and
 * reports one whose hook has held its event loop past --hook-timeout + WATCH_GRACE_MS (a
 * synchronous loop: no timer of that thread can fire to time it out). The single loop cannot be
 * watched from itself: it has a watchdog thread instead (hosts/local-host.ts).
 */
export class HookMonitor {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    handles: readonly LaneHandle[],
    hookTimeoutMs: number,
    /** Still worth watching (not ended)? */
    live: (handle: LaneHandle) => boolean,
    onBlocked: (handle: LaneHandle, blocked: BlockedHook) => void,
  ) {
    const watched = handles
      .filter((h) => h.start.watch !== undefined && h.start.mode !== 'single-loop')
      // A healthy thread beats at least once a batch interval (longer with many threads: plan.ts laneTimers).
      .map((handle) => ({
        handle,
        reader: new HookWatchReader(handle.start.watch!, hookTimeoutMs + WATCH_GRACE_MS + handle.start.batchIntervalMs),
      }));
    if (watched.length === 0) return;
    this.timer = setInterval(() => {
      const t = performance.now();
      for (const { handle, reader } of watched) {
        if (!live(handle)) continue;
        const blocked = reader.check(t);
        if (blocked) onBlocked(handle, blocked);
      }
    }, WATCH_POLL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
