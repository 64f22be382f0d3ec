import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { ShardStart } from '../protocol.js';

/** A running shard, seen from the main thread. */
export interface ShardHandle {
  readonly start: ShardStart;
  /** Our end of the channel: shard messages arrive here, control messages leave here. */
  readonly port: MessagePort;
  /** Settles when the shard's task ends; rejects if its thread dies. */
  readonly done: Promise<void>;
  /**
   * End the shard's thread now, whatever it is doing (a hook that never yields, a stop that never
   * finishes); `done` then rejects. The main thread's own shard cannot be ended: a no-op there.
   */
  kill(): void;
}

/** Where shards run: worker threads from a piscina pool, or this thread's own event loop. */
export interface Host {
  launch(start: ShardStart): ShardHandle;
  close(): Promise<void>;
}

export function channel(): { ours: MessagePort; theirs: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  return { ours: port1, theirs: port2 };
}
