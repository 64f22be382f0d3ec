import type { ShardStart } from '../protocol.js';
import { runShard } from '../session/shard.js';
import { channel, type Host, type ShardHandle } from './host.js';

/**
 * Every session on the main thread's event loop (the classic single `loop()` design). The shard
 * still reports through a MessageChannel, so its bookkeeping costs the same as in a worker.
 */
export class LocalHost implements Host {
  launch(start: ShardStart): ShardHandle {
    const { ours, theirs } = channel();
    return { start, port: ours, done: runShard(start, theirs), kill: () => {} };
  }

  async close(): Promise<void> {}
}
