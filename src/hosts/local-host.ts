import { Worker } from 'node:worker_threads';
import type { LaneStart, WatchdogData } from '../protocol.js';
import { runLane } from '../session/lane.js';
import { channel, type Host, type LaneHandle } from './host.js';

const WATCHDOG = new URL('../../workers/watchdog.js', import.meta.url);

/**
 * Every session on the main thread's event loop (the classic single `loop()` design). The lane
 * still reports through a MessageChannel, so its bookkeeping costs the same as in a worker.
 * With a workload, a watchdog thread ends the process should a hook block this loop for good
 * (nothing on the loop itself could ever run again to stop it).
 */
export class LocalHost implements Host {
  private readonly watchdogs: Worker[] = [];

  launch(start: LaneStart): LaneHandle {
    const { ours, theirs } = channel();
    if (start.watch) this.watch(start, start.watch);
    // The main thread's own lane cannot be ended from here.
    return { start, port: ours, done: runLane(start, theirs), kill: () => {} };
  }

  private watch(start: LaneStart, buffer: SharedArrayBuffer): void {
    const data: WatchdogData = {
      buffer,
      hookTimeoutMs: start.settings.hookTimeoutMs,
      clientIds: start.sessions.map((s) => [s.index, s.clientId]),
    };
    const watchdog = new Worker(WATCHDOG, { workerData: data });
    // It must never be what keeps the process alive.
    watchdog.unref();
    this.watchdogs.push(watchdog);
  }

  async close(): Promise<void> {
    await Promise.all(this.watchdogs.splice(0).map((w) => w.terminate()));
  }
}
