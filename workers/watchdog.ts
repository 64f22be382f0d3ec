/**
 * Single-loop mode's watchdog thread. A workload hook that never yields (a synchronous loop)
 * blocks the main event loop for good: no timer, signal handler or Ctrl-C can run there again.
 * Seen from here, through the lane's shared cells, once it has lasted --hook-timeout and a
 * grace: one line on stderr, then the process ends (SIGKILL: the only end a blocked loop cannot
 * delay; exit status 137). Clients get no DISCONNECT, so their wills fire.
 */
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { HookWatchReader, WATCH_GRACE_MS, WATCH_POLL_MS } from '../src/session/hook-watch.js';
import type { WatchdogData } from '../src/protocol.js';

const data = workerData as WatchdogData;
const ids = new Map(data.clientIds);
const reader = new HookWatchReader(data.buffer, data.hookTimeoutMs + WATCH_GRACE_MS);

setInterval(() => {
  const blocked = reader.check(performance.now());
  if (!blocked) return;
  const id = ids.get(blocked.client) ?? `client ${blocked.client}`;
  const line =
    `mqtt-fleet: workload ${blocked.hook} of ${id} did not finish within ${data.hookTimeoutMs} ms and has blocked the main event loop ` +
    `for ${blocked.blockedMs} ms; with --threads 0 nothing can interrupt it, so the process ends now (exit 137, no summary). ` +
    `Run such workloads with --threads per-client or a pool: a blocked hook then costs only its thread.\n`;
  try {
    writeSync(2, line);
  } catch {
    // stderr is gone: end anyway.
  }
  process.kill(process.pid, 'SIGKILL');
}, WATCH_POLL_MS);
