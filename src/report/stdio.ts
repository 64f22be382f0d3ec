/**
 * The CLI's stdout and stderr, which may go away under it: `--json | head -1` closes stdout
 * (EPIPE), a closed terminal fails stderr (EIO). A failed stream is never written again, and
 * the first failure is reported once to whoever listens (the run stops cleanly), instead of an
 * 'error' event per write, each an uncaught exception with a stack trace.
 */
export type StdStream = 'stdout' | 'stderr';

const failed = new Set<StdStream>();
const listeners = new Set<(stream: StdStream, err: Error) => void>();
let watching = false;

/** Call once at start-up: from then on, a failing stdout or stderr is noted, never thrown. */
export function watchStdio(): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (err: Error) => stdioFailed('stdout', err));
  process.stderr.on('error', (err: Error) => stdioFailed('stderr', err));
}

/** A write to `stream` failed (also from writers of their own on fd 1 or 2, such as the logger's). */
export function stdioFailed(stream: StdStream, err: Error): void {
  if (failed.has(stream)) return;
  failed.add(stream);
  for (const listener of listeners) listener(stream, err);
}

export function stdioOpen(stream: StdStream): boolean {
  return !failed.has(stream);
}

/** Called once per stream that fails; returns a function that stops listening. */
export function onStdioFailed(listener: (stream: StdStream, err: Error) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * stdout's lines are gathered and written once per event-loop turn: with --json a client's
 * every state change is a line, and on a pipe or a file each write is a system call of its own
 * (15,000 of them connecting 5,000 clients). Written at once past 64 KB, and on exit.
 */
const FLUSH_BYTES = 64 * 1024;
let pendingOut: string[] = [];
let pendingBytes = 0;
let flushQueued = false;
let flushOnExit = false;

export function writeOut(text: string): void {
  if (failed.has('stdout')) return;
  pendingOut.push(text);
  pendingBytes += text.length;
  if (pendingBytes >= FLUSH_BYTES) return flushOut();
  if (!flushQueued) {
    flushQueued = true;
    setImmediate(flushOut);
  }
  if (!flushOnExit) {
    flushOnExit = true;
    process.once('exit', flushOut);
  }
}

/** What writeOut gathered, written now. */
export function flushOut(): void {
  flushQueued = false;
  if (pendingOut.length === 0) return;
  const text = pendingOut.length === 1 ? pendingOut[0]! : pendingOut.join('');
  pendingOut = [];
  pendingBytes = 0;
  if (!failed.has('stdout')) process.stdout.write(text);
}

export function writeErr(text: string): void {
  if (!failed.has('stderr')) process.stderr.write(text);
}
