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

/**
 * A pool's threads' young generation: V8 grows it to 32 MB in a connect burst, and an idle
 * thread, which allocates too little to collect, never shrinks it again. Capped, 10,000 idle
 * clients in a pool of 2 held 306 MB instead of 348 (no GC, same run; README "Memory per idle
 * connection"), with no CPU cost seen in W1 or in connecting 10,000 clients.
 */
const POOL_YOUNG_GENERATION_MB = 8;

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
      resourceLimits: {
        maxYoungGenerationSizeMb: mode === 'pool' ? POOL_YOUNG_GENERATION_MB : YOUNG_GENERATION_MB,
      },
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
