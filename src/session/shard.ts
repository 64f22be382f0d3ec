import { threadId, type MessagePort } from 'node:worker_threads';
import { assertNever, type MainMessage, type PublisherFinal, type ShardMessage, type ShardStart, type StatusEvent, type StreamFinal } from '../protocol.js';
import { Session, type SessionHost } from './session.js';
import { ShardStats } from './shard-stats.js';

/**
 * Runs a shard's sessions concurrently on the current event loop and reports over `port`:
 * status events coalesced per tick, counters and latency in batches on a timer, finals at the end.
 * The same function runs in a worker thread (thread-per-client, pool) and on the main thread
 * (single loop), so every mode does identical work.
 */
export async function runShard(start: ShardStart, port: MessagePort): Promise<void> {
  const stats = new ShardStats(start.shard, start.latencyGroups.length);
  const post = (message: ShardMessage): void => port.postMessage(message);

  let pending: StatusEvent[] = [];
  let flushQueued = false;
  const flushStatus = (): void => {
    flushQueued = false;
    if (pending.length === 0) return;
    post({ type: 'status', events: pending });
    pending = [];
  };
  const flushBatch = (): void => {
    const batch = stats.takeBatch();
    if (batch) post(batch);
  };

  let openGate!: (at: number) => void;
  const gate = new Promise<number>((resolve) => (openGate = resolve));
  const host: SessionHost = {
    stats,
    status(event) {
      pending.push(event);
      if (!flushQueued) {
        flushQueued = true;
        setImmediate(flushStatus);
      }
    },
    waitForGo: () => gate,
  };

  const sessions = start.sessions.map((spec) => new Session(spec, start.settings, host));
  port.on('message', (message: MainMessage) => {
    switch (message.type) {
      case 'go':
        openGate(message.at);
        break;
      case 'stop':
        for (const session of sessions) session.stop();
        break;
      default:
        assertNever(message);
    }
  });

  const timer = setInterval(flushBatch, start.batchIntervalMs);
  try {
    await Promise.all(sessions.map((session) => session.run()));
  } finally {
    clearInterval(timer);
  }
  flushBatch();
  flushStatus();
  const publishers: PublisherFinal[] = [];
  const streams: StreamFinal[] = [];
  for (const session of sessions) {
    const finals = session.finals();
    if (finals.publisher) publishers.push(finals.publisher);
    streams.push(...finals.streams);
  }
  post({ type: 'final', publishers, streams });
  post({ type: 'shard-done', shard: start.shard, threadId });
  port.close();
}
