/**
 * One mode of `mqtt-fleet compare`, in a fresh process: its peak RSS and CPU are its own, and no
 * mode inherits another's heap or JIT state. Receives its options over IPC, resolved by the parent,
 * and sends back stats and the summary.
 */
import { serializeError } from '../errors.js';
import type { CompareChildMessage, CompareParentMessage } from './compare.js';
import { runResolved } from './run.js';

const send = (message: CompareChildMessage): void => {
  process.send?.(message);
};

process.once('message', (message: CompareParentMessage) => void runMode(message));

async function runMode(message: CompareParentMessage): Promise<void> {
  const controller = new AbortController();
  // Ctrl-C reaches the whole process group; stop cleanly and report what we have.
  const onSignal = (signal: NodeJS.Signals): void => controller.abort(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    const summary = await runResolved(message.options, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'stats') send({ type: 'stats', event });
      },
    });
    send({ type: 'summary', summary });
  } catch (err) {
    send({ type: 'error', error: serializeError(err) });
  }
  process.disconnect?.();
}
