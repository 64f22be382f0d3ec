import mqttPacket from 'mqtt-packet';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import {
  assertNever,
  type MainMessage,
  type PublisherFinal,
  type LaneMessage,
  type LaneStart,
  type StatusEvent,
  type StreamFinal,
  type SubscriberFinal,
} from '../protocol.js';
import { Session, type SessionHost } from './session.js';
import { HookWatch } from './hook-watch.js';
import { LaneStats } from './lane-stats.js';
import { Slots } from './slots.js';
import { Launcher } from './launcher.js';
import { laneCredentials } from './credentials.js';

// mqtt-packet fills a table of 65,536 two-byte Buffers, one per 16-bit number, the first time it
// writes a packet: 6 MB of heap in every thread that runs sessions, half of a thread per client's
// heap (12.2 -> 5.6 MB per thread, README "Memory per idle connection"). Without the table each
// number written is a 2-byte Buffer from Node's pool: no CPU cost measured (W1, pool and thread per client).
mqttPacket.writeToStream.cacheNumbers = false;

/**
 * Runs a lane's sessions concurrently on the current event loop and reports over `port`:
 * status events coalesced per tick, counters and latency in batches on a timer, finals at the end.
 * The same function runs in a worker thread (thread-per-client, pool) and on the main thread
 * (single loop), so every mode does identical work.
 */
/** Sessions made ahead of their connect slot at least (launcher.ts): the adaptive window starts at 8. */
const MIN_AHEAD = 64;

export async function runLane(start: LaneStart, port: MessagePort): Promise<void> {
  const stats = new LaneStats(start.latencyGroups.length, start.settings.warmupMs);
  // The histogram holds whole timer intervals (ns); the delay is what exceeds the resolution.
  const delayMs = (ns: number): number => Math.max(0, Math.round(ns / 1e3 - start.loopResolutionMs * 1e3) / 1e3);
  const post = (message: LaneMessage): void => port.postMessage(message);

  let pending: StatusEvent[] = [];
  let flushQueued = false;
  const flushStatus = (): void => {
    flushQueued = false;
    if (pending.length === 0) return;
    post({ type: 'status', events: pending });
    pending = [];
  };
  const watch = new HookWatch(start.watch);
  const flushBatch = (): void => {
    watch.beat();
    const batch = stats.takeBatch(
      measuredLoop && intervalDelay.count > 0
        ? { p99: delayMs(intervalDelay.percentile(99)), max: delayMs(intervalDelay.max) }
        : null,
    );
    intervalDelay.reset();
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
    connectSlots: new Slots(start.connectSlots),
    log: (client, message) => post({ type: 'log', client, message }),
    runStart: start.runStart,
    watch,
    willTopics: start.willTopics.length === 0 ? null : new Map(start.willTopics),
    // Read here, in the lane's own thread, keeping only its clients' rows.
    credentials: start.settings.credentials ? laneCredentials(start.settings.credentials, start.sessions) : null,
  };

  // Responsiveness while publishing: how late this thread's event loop ran its callbacks.
  const loopDelay = monitorEventLoopDelay({ resolution: start.loopResolutionMs });
  // The same, per batch interval: stats lines show responsiveness over time (soak runs).
  const intervalDelay = monitorEventLoopDelay({ resolution: start.loopResolutionMs });
  let measuredLoop = false;
  const slots = host.connectSlots;
  const launcher = new Launcher(
    start.sessions.length,
    (i) => {
      const spec = start.sessions[i]!;
      return new Session(spec, start.settings, host, start.launchedAt + spec.connectDelayMs);
    },
    // At least a window's worth waiting, so that a slot never waits for a session to be made.
    () => Math.max(MIN_AHEAD, slots.window),
  );
  slots.onGrant = () => launcher.granted();
  port.on('message', (message: MainMessage) => {
    switch (message.type) {
      case 'go':
        loopDelay.enable();
        intervalDelay.enable();
        measuredLoop = true;
        stats.go(message.at);
        openGate(message.at);
        break;
      case 'stop':
        loopDelay.disable();
        intervalDelay.disable();
        // Those not made yet are made to end at once, so each reports its end as before.
        launcher.all();
        for (const session of launcher.sessions) session.stop();
        break;
      default:
        assertNever(message);
    }
  });

  const timer = setInterval(flushBatch, start.batchIntervalMs);
  // A plan's clients all wait for the start barrier, which opens once every one of them says so.
  if (start.settings.comings.clientStages !== null) launcher.all();
  else launcher.fill();
  try {
    await launcher.done;
  } finally {
    clearInterval(timer);
  }
  flushBatch();
  flushStatus();
  const publishers: PublisherFinal[] = [];
  const streams: StreamFinal[] = [];
  const subscribers: SubscriberFinal[] = [];
  for (const session of launcher.sessions) {
    const finals = session.finals();
    publishers.push(...finals.publishers);
    if (finals.subscriber) subscribers.push(finals.subscriber);
    streams.push(...finals.streams);
  }
  post({ type: 'final', publishers, streams, subscribers });
  loopDelay.disable();
  intervalDelay.disable();
  const ms = delayMs;
  const delay =
    measuredLoop && loopDelay.count > 0
      ? {
          p50: ms(loopDelay.percentile(50)),
          p99: ms(loopDelay.percentile(99)),
          max: ms(loopDelay.max),
          mean: ms(loopDelay.mean),
        }
      : null;
  post({ type: 'lane-done', lane: start.lane, loopDelay: delay });
  port.close();
}
