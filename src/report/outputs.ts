import { STEPS } from '../metrics/steps.js';
import { constants, createWriteStream, openSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import type { RunEvent } from './events.js';
import type { StatsLine } from '../metrics/stats-line.js';

export type OutputKind = 'csv' | 'ndjson' | 'result' | 'hdr';

/** `tlsHandshake` -> `tls_handshake`. */
const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const CSV_COLUMNS = [
  't_s',
  'connected',
  'reconnecting',
  'gave_up',
  'failed',
  'published',
  'received',
  'published_per_sec',
  'received_per_sec',
  'latency_p50_ms',
  'latency_p99_ms',
  'latency_max_ms',
  'loop_delay_p99_ms',
  'rss_mb',
  'scheduled_latency_p50_ms',
  'scheduled_latency_p99_ms',
  'scheduled_latency_max_ms',
  'send_lag_p50_ms',
  'send_lag_p99_ms',
  'send_lag_max_ms',
  'late_sends',
  'connects_per_sec',
  ...STEPS.flatMap((step) => [`${snake(step)}_p50_ms`, `${snake(step)}_p99_ms`, `${snake(step)}_max_ms`]),
  'offered',
  'offered_per_sec',
];

function csvRow(s: StatsLine): string {
  const cells = [
    (s.t / 1000).toFixed(3),
    s.connected,
    s.reconnecting,
    s.gaveUp,
    s.failed,
    s.published,
    s.received,
    s.publishedPerSec,
    s.receivedPerSec,
    s.latencyMs?.p50 ?? '',
    s.latencyMs?.p99 ?? '',
    s.latencyMs?.max ?? '',
    s.loopDelayMs?.p99 ?? '',
    s.rssMb,
    s.scheduledLatencyMs?.p50 ?? '',
    s.scheduledLatencyMs?.p99 ?? '',
    s.scheduledLatencyMs?.max ?? '',
    s.sendLagMs?.p50 ?? '',
    s.sendLagMs?.p99 ?? '',
    s.sendLagMs?.max ?? '',
    s.lateSends,
    s.connectsPerSec,
    ...STEPS.flatMap((step) => {
      const d = s.stepsMs[`${step}Ms`];
      return [d?.p50 ?? '', d?.p99 ?? '', d?.max ?? ''];
    }),
    s.offered ?? '',
    s.offeredPerSec ?? '',
  ];
  return `${cells.join(',')}\n`;
}

/** An output file that could not be written to the end, and why. */
export interface OutputFailure {
  kind: OutputKind;
  path: string;
  error: Error;
}

/** How long a FIFO may go without a reader when the run opens it. */
const FIFO_WAIT_MS = 5_000;
/** How long the files may take to flush and close at the end (a FIFO whose reader stopped reading never does). */
const CLOSE_TIMEOUT_MS = 5_000;
/** Unwritten output held in memory before the file is given up (a reader that does not keep up). */
const MAX_BACKLOG_BYTES = 64 * 2 ** 20;

type Entry = { kind: OutputKind; path: string; stream: Writable; error: Error | null };

/**
 * `--out csv=FILE`: one row per stats interval (1 s by default), the run's time series.
 * `--out ndjson=FILE`: every event, as `--json` prints them, to a file.
 * `--out hdr=FILE`: every histogram, per interval, in HdrHistogram's log format (report/hdr-log.ts).
 * A file that fails (disk full, removed volume, a reader that went away) stops being written;
 * the run goes on, and close() says which failed, so the summary is never lost to an output.
 * A FIFO is opened without blocking (a blocking open with no reader would hang the process
 * beyond any signal) and must have a reader within FIFO_WAIT_MS.
 */
export class Outputs {
  private constructor(
    private readonly streams: Entry[],
    /** Called once per failing file, when it fails. */
    private readonly onError: (failure: OutputFailure) => void,
  ) {
    for (const entry of streams) {
      entry.stream.on('error', (error: Error) => this.fail(entry, error));
      if (entry.kind === 'csv') entry.stream.write(`${CSV_COLUMNS.join(',')}\n`);
    }
  }

  /**
   * Open every file; `result` files are written once, at the end, by the run itself. Throws
   * UsageError for a FIFO nobody reads; once `signal` aborts, a FIFO still waiting is left out.
   */
  static async open(
    outputs: readonly { kind: OutputKind; path: string }[],
    onError: (failure: OutputFailure) => void = () => {},
    signal?: AbortSignal,
  ): Promise<Outputs> {
    const entries: Entry[] = [];
    try {
      for (const { kind, path } of outputs) {
        const fifo = isFifo(path);
        if (kind === 'result') {
          if (fifo)
            throw new UsageError(
              '--out',
              `--out result=${path} is a FIFO: a result is written whole at the end of the run; name a regular file`,
            );
          continue;
        }
        if (!fifo) {
          entries.push({ kind, path, stream: createWriteStream(path), error: null });
          continue;
        }
        const fd = await openFifo(kind, path, signal);
        if (fd !== null)
          entries.push({ kind, path, stream: new Socket({ fd, readable: false, writable: true }), error: null });
      }
    } catch (err) {
      for (const { stream } of entries) stream.destroy();
      throw err;
    }
    return new Outputs(entries, onError);
  }

  onEvent(event: RunEvent): void {
    for (const entry of this.streams) {
      const { kind, stream, error } = entry;
      if (error) continue;
      if (kind === 'ndjson') stream.write(`${JSON.stringify(event)}\n`);
      else if (kind === 'csv' && event.type === 'stats') stream.write(csvRow(event));
      if (stream.writableLength > MAX_BACKLOG_BYTES)
        this.fail(entry, new Error(`${MAX_BACKLOG_BYTES / 2 ** 20} MiB not yet written: its reader does not keep up`));
    }
  }

  /** Text for every file of one kind (the `hdr` log, which its writer formats). */
  write(kind: OutputKind, text: string): void {
    for (const entry of this.streams) {
      if (entry.kind !== kind || entry.error) continue;
      entry.stream.write(text);
      if (entry.stream.writableLength > MAX_BACKLOG_BYTES)
        this.fail(entry, new Error(`${MAX_BACKLOG_BYTES / 2 ** 20} MiB not yet written: its reader does not keep up`));
    }
  }

  /** Flush and close every file, within CLOSE_TIMEOUT_MS; never rejects (a failure goes to `onError`). */
  async close(): Promise<void> {
    await Promise.all(
      this.streams
        .filter((s) => !s.error)
        .map(
          (entry) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                this.fail(
                  entry,
                  new Error(
                    `not written out within ${CLOSE_TIMEOUT_MS / 1000} s of the end (a FIFO whose reader stopped reading?)`,
                  ),
                );
                resolve();
              }, CLOSE_TIMEOUT_MS);
              entry.stream.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
              entry.stream.end();
            }),
        ),
    );
  }

  private fail(entry: Entry, error: Error): void {
    if (entry.error) return;
    entry.error = error;
    entry.stream.destroy();
    this.onError({ kind: entry.kind, path: entry.path, error });
  }
}

function isFifo(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFIFO() ?? false;
}

/** A FIFO's write end, opened without blocking: ENXIO means no reader yet; wait for one, up to FIFO_WAIT_MS (null: stopped meanwhile). */
async function openFifo(kind: OutputKind, path: string, signal?: AbortSignal): Promise<number | null> {
  const deadline = Date.now() + FIFO_WAIT_MS;
  for (;;) {
    if (signal?.aborted) return null;
    try {
      return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO')
        throw new UsageError('--out', `--out ${kind}=${path}: cannot open the FIFO (${(err as Error).message})`);
      if (Date.now() >= deadline) {
        throw new UsageError(
          '--out',
          `--out ${kind}=${path} is a FIFO that nobody opened for reading within ${FIFO_WAIT_MS / 1000} s: start its reader first`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
