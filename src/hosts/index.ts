import type { LaneStart } from '../protocol.js';
import type { Host, LaneHandle } from './host.js';
import { LocalHost } from './local-host.js';
import { WorkerHost } from './worker-host.js';

export type { Host, LaneHandle } from './host.js';

/**
 * Where a run's lanes go: worker threads sized to the lanes that need them (one pool per
 * mode, so thread-per-client threads keep their lean settings), the rest on this thread.
 */
export class Hosts {
  private readonly hosts = new Map<LaneStart['mode'], Host>();

  constructor(lanes: readonly LaneStart[]) {
    const count = (mode: LaneStart['mode']): number => lanes.filter((s) => s.mode === mode).length;
    for (const mode of ['thread-per-client', 'pool'] as const)
      if (count(mode) > 0) this.hosts.set(mode, new WorkerHost(mode, count(mode)));
    if (count('single-loop') > 0) this.hosts.set('single-loop', new LocalHost());
  }

  launch(start: LaneStart): LaneHandle {
    return this.hosts.get(start.mode)!.launch(start);
  }

  async close(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.close()));
  }
}
