/**
 * The CLI's stop signals, handled from the moment the process runs our code (src/bin.ts installs
 * this before anything else loads): SIGINT, SIGTERM and SIGHUP never kill the process outright,
 * so an early Ctrl-C still ends with a summary and its own exit code. Imports nothing heavy.
 */
import { stopExitCode, type StopReason } from '../report/exit-codes.js';

export type StopSignal = Extract<StopReason, 'SIGINT' | 'SIGTERM' | 'SIGHUP'>;
const SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

let handler: ((signal: StopSignal) => void) | null = null;
/** A signal that came while no command was in charge (loading, parsing). */
let pending: StopSignal | null = null;
let installed = false;

function dispatch(signal: StopSignal): void {
  if (handler) return handler(signal);
  // A second signal before any command took charge: quit at once, as a second Ctrl-C always does.
  if (pending) process.exit(stopExitCode(signal));
  pending = signal;
}

export function installSignals(): void {
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) process.on(signal, dispatch);
}

/** A command takes charge of stop signals until the returned function is called; one that came earlier is handed over now. */
function onStopSignal(take: (signal: StopSignal) => void): () => void {
  installSignals();
  handler = take;
  if (pending) {
    const early = pending;
    pending = null;
    take(early);
  }
  return () => {
    if (handler === take) handler = null;
  };
}

/**
 * How every command takes stop signals, until the returned function is called: the first
 * (Ctrl-C, SIGTERM, SIGHUP) calls `onStop` and aborts `controller`, the signal its reason; one that
 * comes once `controller` is aborted (by a signal, or by anything else) exits at once with its code.
 */
export function abortOnStopSignal(controller: AbortController, onStop?: (signal: StopSignal) => void): () => void {
  return onStopSignal((signal) => {
    if (controller.signal.aborted) process.exit(stopExitCode(signal));
    onStop?.(signal);
    controller.abort(signal);
  });
}

/** A signal that came while no command was in charge of it (e.g. during the summary): it still sets the exit code. */
export function unhandledSignal(): StopSignal | null {
  return pending;
}
