/**
 * Piscina task: one lane of client sessions (one client in thread-per-client mode) for its
 * whole life. Imports only the session code: no CLI, logging or reporting in worker threads.
 */
import type { MessagePort } from 'node:worker_threads';
import type { LaneStart } from '../src/protocol.js';
import { runLane } from '../src/session/lane.js';

export interface ClientTask {
  start: LaneStart;
  port: MessagePort;
}

export default async function clientTask({ start, port }: ClientTask): Promise<null> {
  await runLane(start, port);
  return null;
}

/** For workers/client-loader.cts: the thread's own import(), which code compiled from a code cache lacks. */
export { useModuleLoader } from '../src/session/module-loader.js';
