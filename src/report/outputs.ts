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

/**
 * `--out csv=FILE`: one row per stats interval (1 s by default), the run's time series.
 * `--out ndjson=FILE`: every event, as `--json` prints them, to a file.
 */
export class Outputs {
  private readonly streams: { kind: OutputKind; stream: WriteStream }[];

  /** `result` files are written once, at the end, by the run itself. */
  constructor(outputs: readonly { kind: OutputKind; path: string }[]) {
    this.streams = outputs.filter((o) => o.kind !== 'result').map(({ kind, path }) => {
      const stream = createWriteStream(path);
      if (kind === 'csv') stream.write(`${CSV_COLUMNS.join(',')}\n`);
      return { kind, stream };
    });
  }

  onEvent(event: RunEvent): void {
    for (const { kind, stream } of this.streams) {
      if (kind === 'ndjson') stream.write(`${JSON.stringify(event)}\n`);
      else if (kind === 'csv' && event.type === 'stats') stream.write(csvRow(event));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.streams.map(({ stream }) => new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())))));
  }
}
