import { at } from '../mqtt/checked.js';
import { valueAtIndex } from './recorder.js';

/** Prometheus `le` bounds for latency, in seconds. */
const BOUNDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];

/** Latency counts folded into fixed Prometheus buckets, from the same batches as the HDR histograms. */
export class PromBuckets {
  private readonly counts = new Float64Array(BOUNDS.length + 1);
  private sum = 0;
  private total = 0;

  add(pairs: readonly number[]): void {
    for (let n = 0; n < pairs.length; n += 2) {
      const seconds = valueAtIndex(at(pairs, n)) / 1e6;
      const count = at(pairs, n + 1);
      let b = 0;
      while (b < BOUNDS.length && seconds > at(BOUNDS, b)) b++;
      this.counts[b] = at(this.counts, b) + count;
      this.sum += seconds * count;
      this.total += count;
    }
  }

  /** prom-client metric values: cumulative buckets, sum and count. */
  values(
    name: string,
    labels?: Record<string, string>,
  ): { labels?: Record<string, string | number>; value: number; metricName: string }[] {
    const out = [];
    let cumulative = 0;
    for (const [b, count] of this.counts.entries()) {
      cumulative += count;
      out.push({ labels: { ...labels, le: BOUNDS[b] ?? '+Inf' }, value: cumulative, metricName: `${name}_bucket` });
    }
    out.push(
      { ...(labels ? { labels } : {}), value: this.sum, metricName: `${name}_sum` },
      { ...(labels ? { labels } : {}), value: this.total, metricName: `${name}_count` },
    );
    return out;
  }
}
