import hdr from 'hdr-histogram-js';
import { addCounts, newHistogram, type Histogram } from '../metrics/histogram.js';
import { STEPS } from '../metrics/steps.js';

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** A histogram's tag in the log: `latency` (or `latency.others`, `latency.working` with --work), `step.connack`, ... */
export function hdrTags(latencyGroups: readonly string[]): { latency: string[]; steps: string[] } {
  return {
    latency: latencyGroups.length === 1 ? ['latency'] : latencyGroups.map((g) => `latency.${g}`),
    steps: STEPS.map((s) => `step.${s}`),
  };
}

/**
 * `--out hdr=FILE`: every histogram of the run in HdrHistogram's interval log format (`.hlog`, log
 * format 1.3), one line per tag and stats interval, as HdrHistogram's own tools read it
 * (HistogramLogProcessor, HistogramLogAnalyzer, hdr-histogram-js's HistogramLogReader). Values are
 * microseconds, so the interval max column (in ms, maxValueUnitRatio 1000) reads as latency does
 * elsewhere; tools that assume nanoseconds need an output ratio of 1000. Counts come from the same
 * batches as the summary's histograms, so the intervals of a tag add up to the summary's figure.
 */
export class HdrLog {
  private readonly writer: InstanceType<typeof hdr.HistogramLogWriter>;
  /** Each tag's counts since the last cut. */
  private readonly pending = new Map<string, Histogram>();
  private intervalStart: number;

  constructor(
    write: (text: string) => void,
    /** Epoch ms the run started: the log's StartTime and BaseTime, so intervals start at 0. */
    private readonly startedAt: number,
    private readonly tags: { latency: string[]; steps: string[] },
  ) {
    this.intervalStart = startedAt;
    this.writer = new hdr.HistogramLogWriter(write);
    this.writer.outputLogFormatVersion();
    this.writer.outputComment(
      `[StartTime: ${seconds(startedAt)} (seconds since epoch), ${new Date(startedAt).toISOString()}]`,
    );
    this.writer.outputComment(`[BaseTime: ${seconds(startedAt)} (seconds since epoch)]`);
    this.writer.outputComment('[mqtt-fleet: values in microseconds; tags latency(.group) and step.NAME]');
    this.writer.outputLegend();
  }

  /** A batch's [index, count] pairs for one histogram. */
  add(histogram: { kind: 'latency' | 'step'; index: number }, pairs: readonly number[]): void {
    const tag = histogram.kind === 'latency' ? this.tags.latency[histogram.index] : this.tags.steps[histogram.index];
    if (tag === undefined || pairs.length === 0) return;
    let h = this.pending.get(tag);
    if (!h) {
      h = newHistogram();
      this.pending.set(tag, h);
    }
    addCounts(h, pairs);
  }

  /** End the interval at `at` (epoch ms): one line per tag that recorded anything in it. */
  cut(at: number): void {
    const start = this.intervalStart - this.startedAt;
    const end = Math.max(at, this.intervalStart) - this.startedAt;
    for (const tag of [...this.tags.latency, ...this.tags.steps]) {
      const h = this.pending.get(tag);
      if (!h || h.totalCount === 0) continue;
      // reset() clears the tag along with the counts.
      h.tag = tag;
      this.writer.outputIntervalHistogram(h, start / 1000, end / 1000, 1000);
      h.reset();
    }
    this.intervalStart = Math.max(at, this.intervalStart);
  }

  close(): void {
    for (const h of this.pending.values()) h.destroy();
    this.pending.clear();
  }
}
