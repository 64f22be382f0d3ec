import { createWriteStream, type WriteStream } from 'node:fs';
import type { RunEvent, StatsLine } from '../events.js';

export type OutputKind = 'csv' | 'ndjson' | 'result';

const CSV_COLUMNS = [
  't_s', 'connected', 'reconnecting', 'gave_up', 'failed', 'published', 'received', 'published_per_sec', 'received_per_sec',
  'latency_p50_ms', 'latency_p99_ms', 'latency_max_ms', 'loop_delay_p99_ms', 'rss_mb',
] as const;

function csvRow(s: StatsLine): string {
  const cells = [
    (s.t / 1000).toFixed(3), s.connected, s.reconnecting, s.gaveUp, s.failed, s.published, s.received, s.publishedPerSec, s.receivedPerSec,
    s.latencyMs?.p50 ?? '', s.latencyMs?.p99 ?? '', s.latencyMs?.max ?? '', s.loopDelayMs?.p99 ?? '', s.rssMb,
  ];
  return `${cells.join(',')}\n`;
}

/** An output file that could not be written to the end, and why. */
export interface OutputFailure {
  kind: OutputKind;
  path: string;
  error: Error;
}

/**
 * `--out csv=FILE`: one row per stats interval (1 s by default), the run's time series.
 * `--out ndjson=FILE`: every event, as `--json` prints them, to a file.
 * A file that fails (disk full, removed volume) stops being written; the run goes on, and
 * close() says which failed, so the summary is never lost to an output.
 */
export class Outputs {
  private readonly streams: { kind: OutputKind; path: string; stream: WriteStream; error: Error | null }[];

  /** `result` files are written once, at the end, by the run itself. */
  constructor(
    outputs: readonly { kind: OutputKind; path: string }[],
    /** Called once per failing file, when it fails. */
    private readonly onError: (failure: OutputFailure) => void = () => {},
  ) {
    this.streams = outputs.filter((o) => o.kind !== 'result').map(({ kind, path }) => {
      const entry = { kind, path, stream: createWriteStream(path), error: null as Error | null };
      entry.stream.on('error', (error) => {
        if (entry.error) return;
        entry.error = error;
        this.onError({ kind, path, error });
      });
      if (kind === 'csv') entry.stream.write(`${CSV_COLUMNS.join(',')}\n`);
      return entry;
    });
  }

  onEvent(event: RunEvent): void {
    for (const { kind, stream, error } of this.streams) {
      if (error) continue;
      if (kind === 'ndjson') stream.write(`${JSON.stringify(event)}\n`);
      else if (kind === 'csv' && event.type === 'stats') stream.write(csvRow(event));
    }
  }

  /** Flush and close every file; never rejects (a failure goes to `onError`). */
  async close(): Promise<void> {
    await Promise.all(
      this.streams
        .filter((s) => !s.error)
        .map(({ stream }) => new Promise<void>((resolve) => {
          stream.once('close', resolve);
          stream.end();
        })),
    );
  }
}
