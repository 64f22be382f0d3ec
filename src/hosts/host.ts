import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { LaneStart } from '../protocol.js';

/** A running lane, seen from the main thread. */
export interface LaneHandle {
  readonly start: LaneStart;
  /** Our end of the channel: lane messages arrive here, control messages leave here. */
  readonly port: MessagePort;
  /** Settles when the lane's task ends; rejects if its thread dies. */
  readonly done: Promise<void>;
  /**
   * End the lane's thread now, whatever it is doing (a hook that never yields, a stop that never
   * finishes); `done` then rejects. The main thread's own lane cannot be ended: a no-op there.
   */
  kill(): void;
}

/** Where lanes run: worker threads from a piscina pool, or this thread's own event loop. */
export interface Host {
  launch(start: LaneStart): LaneHandle;
  close(): Promise<void>;
}

export function channel(): { ours: MessagePort; theirs: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  return { ours: port1, theirs: port2 };
}
