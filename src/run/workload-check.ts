import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { UsageError } from '../errors.js';
import type { ResolvedOptions } from '../options/index.js';
import type { WorkloadCheckResult } from '../protocol.js';
import { at } from '../mqtt/checked.js';
import { publishStreams } from '../group.js';

const CHECKER = new URL('../../workers/workload-check.js', import.meta.url);

/**
 * Every workload module of the run, loaded once in a thread of its own before anything starts:
 * a module that throws at import, does not parse, exports a hook that is not a function, or
 * whose loading does not finish within --hook-timeout is refused (UsageError, exit 2) with its
 * own error, naming --workload or the scenario groups that use it, instead of failing every client.
 */
export async function checkWorkloads(options: ResolvedOptions, signal?: AbortSignal): Promise<void> {
  const users = new Map<string, string[]>();
  /** Groups with a stream whose payloads come from the module's generator (`payload: '@workload'`). */
  const generated = new Map<string, string[]>();
  for (const group of options.groups) {
    if (group.workload === null) continue;
    users.set(group.workload, [...(users.get(group.workload) ?? []), group.name]);
    if (publishStreams(group).some((s) => s.generator === true))
      generated.set(group.workload, [...(generated.get(group.workload) ?? []), group.name]);
  }
  for (const [path, groups] of users) {
    if (signal?.aborted) return;
    const fromOption = path === options.workload;
    const label = fromOption
      ? `--workload ${shortPath(path)}`
      : `${options.scenario ?? '--scenario'}: the workload ${shortPath(path)} of group${groups.length === 1 ? '' : 's'} ${groups.join(', ')}`;
    let hooks: string[] = [];
    const problem = await loadInThread(path, options.hookTimeoutMs, signal, (names) => (hooks = names));
    if (problem) throw new UsageError(fromOption ? '--workload' : '--scenario', `${label}: ${problem}`);
    const needs = generated.get(path);
    if (needs && !hooks.includes('payload'))
      throw new UsageError(
        '--scenario',
        `${options.scenario ?? '--scenario'}: group${needs.length === 1 ? '' : 's'} ${needs.join(', ')} ${needs.length === 1 ? 'takes' : 'take'} payloads from @workload, and the workload ${shortPath(path)} exports no payload(ctx, seq) function`,
      );
  }
}

/** null when the module loads; otherwise what went wrong, in one line. */
function loadInThread(
  path: string,
  timeoutMs: number,
  signal?: AbortSignal,
  /** Told the hooks the module exports, once it has loaded. */
  onHooks: (hooks: string[]) => void = () => {},
): Promise<string | null> {
  return new Promise((resolve) => {
    const worker = new Worker(CHECKER, { workerData: path, stdout: true, stderr: true });
    let timer: NodeJS.Timeout | undefined;
    const finish = (problem: string | null): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      worker.removeAllListeners();
      worker.on('error', () => {});
      // Whatever the module left running (timers, sockets) goes with its thread.
      void worker.terminate();
      resolve(problem);
    };
    const onAbort = (): void => finish(null);
    signal?.addEventListener('abort', onAbort, { once: true });
    // Counted from the thread's start: starting a thread is not the module's time.
    worker.once('online', () => {
      timer = setTimeout(
        () =>
          finish(
            `loading it did not finish within ${timeoutMs} ms (--hook-timeout): does its top level loop or wait for ever?`,
          ),
        timeoutMs,
      );
    });
    worker.once('message', (result: WorkloadCheckResult) => {
      if (result.ok) {
        onHooks(result.hooks ?? []);
        return finish(null);
      }
      // loadWorkload's own complaints (`setup must be a function`) already say which module.
      const own = `workload ${path}: `;
      if (result.message.startsWith(own)) return finish(result.message.slice(own.length));
      const line = result.where ? /^(.*):(\d+)$/.exec(result.where) : null;
      const where = line
        ? `${shortPath(fileURLToPath(at(line, 1)))}:${line[2]}`
        : result.name === 'SyntaxError'
          ? syntaxErrorAt(path)
          : null;
      finish(`${result.name}: ${result.message}${where ? ` (${where})` : ''}`);
    });
    worker.once('error', (err) => finish(`loading it failed: ${err.message}`));
    worker.once('exit', (code) =>
      finish(code === 13 ? 'its top-level await never settled' : `loading it ended its thread (exit code ${code})`),
    );
  });
}

/**
 * Where a syntax error is: a failed import does not say, but `node --check` does (`FILE:LINE`
 * on its first line). Only on this rare path; null if the file itself parses (the error is in a
 * module it imports) or the check cannot run.
 */
function syntaxErrorAt(path: string): string | null {
  const check = spawnSync(process.execPath, ['--check', path], { encoding: 'utf8', timeout: 10_000 });
  const line = /^(.*):(\d+)$/m.exec(check.stderr ?? '');
  return check.status !== 0 && line && line[1] === path ? `${shortPath(path)}:${line[2]}` : null;
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}
