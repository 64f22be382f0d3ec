import type { ResolvedOptions } from '../options.js';
import type { Host } from './host.js';
import { LocalHost } from './local-host.js';
import { WorkerHost } from './worker-host.js';

export type { Host, ShardHandle } from './host.js';

export function createHost(options: ResolvedOptions): Host {
  return options.mode === 'single-loop' ? new LocalHost() : new WorkerHost(options.mode, options.threads);
}
