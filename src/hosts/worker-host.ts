import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { ThreadMode } from '../group.js';
import type { LaneStart } from '../protocol.js';
import { bundleCode } from './code-cache.js';
import { channel, type Host, type LaneHandle } from './host.js';

const BUNDLE = new URL('../../workers/client-worker.bundle.cjs', import.meta.url);
/** Loads the bundle from the main thread's code cache (code-cache.ts). */
const LOADER = fileURLToPath(new URL('../../workers/client-loader.cjs', import.meta.url));
/** Without a fresh bundle (no `npm run build` since `tsc`), the plain module: slower to start, the same code. */
const UNBUNDLED = new URL('../../workers/client-worker.js', import.meta.url);

/** Per-thread young generation in thread-per-client mode; measured in README "Lean threads". */
const YOUNG_GENERATION_MB = 4;

/** Long enough never to retire a thread during a run: a task owns its thread for the clients' whole life. */
const IDLE_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Lanes on worker threads: one thread per lane, all started up front. A piscina task lasts as
 * long as its lane's clients, so `atomics: 'disabled'` keeps piscina from parking an idle
 * thread's event loop, and no thread is shared between two lanes.
 */
export class WorkerHost implements Host {
  private readonly pool: Piscina;

  constructor(mode: ThreadMode, threads: number) {
    const bundle = bundleCode(BUNDLE, UNBUNDLED);
    this.pool = new Piscina({
      ...(bundle ? { filename: LOADER, workerData: { bundle } } : { filename: UNBUNDLED.href }),
      minThreads: threads,
      maxThreads: threads,
      maxQueue: threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: IDLE_TIMEOUT_MS,
      atomics: 'disabled',
      // Many threads (thread per client) each keep a young generation of their own: keep it small.
      ...(mode === 'thread-per-client' ? { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } } : {}),
    });
  }

  launch(start: LaneStart): LaneHandle {
    const { ours, theirs } = channel();
    // piscina terminates the thread of a running task whose signal aborts.
    const abort = new AbortController();
    const done = this.pool
      .run({ start, port: theirs }, { transferList: [theirs], signal: abort.signal })
      .then(() => undefined);
    return { start, port: ours, done, kill: () => abort.abort() };
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
