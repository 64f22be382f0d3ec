import type { ShardStart } from '../protocol.js';
import type { Host, ShardHandle } from './host.js';
import { LocalHost } from './local-host.js';
import { WorkerHost } from './worker-host.js';

export type { Host, ShardHandle } from './host.js';

/**
 * Where a run's shards go: worker threads sized to the shards that need them (one pool per
 * mode, so thread-per-client threads keep their lean settings), the rest on this thread.
 */
export class Hosts {
  private readonly hosts = new Map<ShardStart['mode'], Host>();

  constructor(shards: readonly ShardStart[]) {
    const count = (mode: ShardStart['mode']): number => shards.filter((s) => s.mode === mode).length;
    for (const mode of ['thread-per-client', 'pool'] as const) if (count(mode) > 0) this.hosts.set(mode, new WorkerHost(mode, count(mode)));
    if (count('single-loop') > 0) this.hosts.set('single-loop', new LocalHost());
  }

  launch(start: ShardStart): ShardHandle {
    return this.hosts.get(start.mode)!.launch(start);
  }

  async close(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.close()));
  }
}
