/**
 * Loads a --workload module once, in a short-lived thread, before anything connects: a module
 * that throws, does not parse or exports something that is not a hook is refused with its own
 * error, and one whose loading never ends is refused when the main thread's timer runs out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadWorkload } from '../src/session/workload.js';
import type { WorkloadCheckResult } from '../src/protocol.js';

const send = (result: WorkloadCheckResult): void => parentPort!.postMessage(result);

try {
  const workload = await loadWorkload(workerData as string);
  send({ ok: true, hooks: Object.keys(workload) });
} catch (err) {
  const error = err instanceof Error ? err : new Error(String(err));
  // A syntax error's stack starts with the file and line: `file:///.../client.mjs:3`.
  const where = /^(file:\/\/\S+:\d+)\n/.exec(error.stack ?? '')?.[1] ?? null;
  send({ ok: false, name: error.name, message: error.message, where });
}
