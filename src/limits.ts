import { readFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { UsageError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/**
 * Measured on a 2-core, 24 GiB machine with the bundled worker: 200 threads took 11.5 MB of RSS
 * each, 500 took 10.4 MB (README, "Lean threads"). Rounded up, plus room for the rest of the process.
 */
export const RSS_PER_THREAD_MB = 12;
const RESERVE_MB = 2048;
/** Per worker thread: its event loop's epoll and wakeup descriptors, and the client's socket. */
const FDS_PER_THREAD = 3;

/** This process's open-files soft limit, from /proc (Linux); undefined where unknown. */
export function openFilesLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match && match[1] !== 'unlimited' ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** How many client threads this machine can hold now, and what bounds it. */
export function threadCapacity(): { threads: number; bound: string } {
  const byMemory = Math.floor((freemem() / 2 ** 20 - RESERVE_MB) / RSS_PER_THREAD_MB);
  const fds = openFilesLimit();
  const byFds = fds === undefined ? Infinity : Math.floor((fds - 64) / FDS_PER_THREAD);
  return byFds < byMemory
    ? { threads: Math.max(0, byFds), bound: `open-files limit ${fds}, ${FDS_PER_THREAD} per thread` }
    : { threads: Math.max(0, byMemory), bound: `${Math.round(freemem() / 2 ** 30)} GB available, about ${RSS_PER_THREAD_MB} MB per thread` };
}

/** Refuse up front a thread-per-client run the machine cannot hold, rather than fail midway. */
export function checkThreadPerClient(options: ResolvedOptions, capacity = threadCapacity()): void {
  const needed = options.groups.reduce((n, g) => n + (g.mode === 'single-loop' ? 0 : g.threads), 0);
  if (options.groups.every((g) => g.mode !== 'thread-per-client') || needed <= capacity.threads) return;
  throw new UsageError(
    '--threads',
    `--threads per-client with ${options.clients} clients needs ${needed} worker threads; this machine holds about ${capacity.threads} (${capacity.bound}): use a pool, --threads ${availableParallelism()}, or one loop, --threads 0`,
  );
}
