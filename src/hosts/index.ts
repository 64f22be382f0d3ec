import type { LaneStart } from '../protocol.js';
import type { Host, LaneHandle } from './host.js';

export type { Host, LaneHandle } from './host.js';

/**
 * Where a run's lanes go: worker threads sized to the lanes that need them (one pool per
 * mode, so thread-per-client threads keep their lean settings), the rest on this thread.
 */
export class Hosts {
  private constructor(private readonly hosts: ReadonlyMap<LaneStart['mode'], Host>) {}

  /**
   * Each kind of host is loaded only when a lane needs it: MQTT.js on this thread only for
   * single-loop lanes (worker threads load their own bundle), Piscina only for worker threads.
   */
  static async open(lanes: readonly LaneStart[]): Promise<Hosts> {
    const hosts = new Map<LaneStart['mode'], Host>();
    const count = (mode: LaneStart['mode']): number => lanes.filter((s) => s.mode === mode).length;
    for (const mode of ['thread-per-client', 'pool'] as const) {
      if (count(mode) === 0) continue;
      const { WorkerHost } = await import('./worker-host.js');
      hosts.set(mode, new WorkerHost(mode, count(mode)));
    }
    if (count('single-loop') > 0) {
      const { LocalHost } = await import('./local-host.js');
      hosts.set('single-loop', new LocalHost());
    }
    return new Hosts(hosts);
  }

  launch(start: LaneStart): LaneHandle {
    return this.hosts.get(start.mode)!.launch(start);
  }

  async close(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.close()));
  }
}
