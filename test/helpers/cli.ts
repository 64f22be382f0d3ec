import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Condition, withTimeout } from './wait.js';

/** The executable users run (package.json bin): the bundle. */
const CLI = fileURLToPath(new URL('../../src/bundle/bin.js', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  /** Parsed stdout lines so far (every line must be JSON when --json is given). */
  lines: Record<string, unknown>[];
  stdout: () => string;
  stderr: () => string;
  /** Notified on every stdout line. */
  changed: Condition;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawn the real CLI; killed in teardown if the test leaves it running. */
export function spawnCli(
  t: TestContext,
  args: string[],
  options: { json?: boolean; env?: NodeJS.ProcessEnv } = {},
): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let out = '';
  let err = '';
  let partial = '';
  const lines: Record<string, unknown>[] = [];
  const changed = new Condition();
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    partial += chunk.toString();
    let newline: number;
    while ((newline = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      if (options.json) lines.push(JSON.parse(line) as Record<string, unknown>);
      changed.notify();
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // The process can exit before its stdout and stderr are read to the end, and a check of its
    // output would then see part of it (once: exit 2 with an empty stderr), so its exit counts
    // once the pipes are closed too; within 2 s, as a child of its that inherited stderr (the
    // embedded broker's process) may outlive a CLI killed with SIGKILL.
    child.once('exit', (code, signal) => {
      const done = (): void => resolve({ code, signal });
      const late = setTimeout(done, 2_000);
      child.once('close', () => {
        clearTimeout(late);
        done();
      });
    });
  });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await withTimeout(exit, 10_000, 'the CLI to exit in teardown');
    }
  });
  return { child, lines, stdout: () => out, stderr: () => err, changed, exit };
}
