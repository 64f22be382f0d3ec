/** Medians and per-added-client figures of idle-memory.ts, and its Markdown table. */

export interface IdleMeasurement {
  type: 'idle-measurement';
  variant: string;
  rep: number;
  clients: number;
  connectMs: number;
  rssMb: number;
  /** The main thread's heap. */
  heapMb: number;
  externalMb: number;
  /** Worker threads reached, and their heaps together (a pool's or a thread per client's sessions live there). */
  workers: number;
  workersHeapMb: number;
}

export interface IdleResult {
  type: 'idle-result';
  variant: string;
  clients: number;
  reps: number;
  rssMb: number;
  /** Every thread's heap together: the main thread's and its workers'. */
  heapMb: number;
  /** Growth per client added over the variant's smallest count (KB); null for the smallest itself. */
  rssKbPerClient: number | null;
  heapKbPerClient: number | null;
  from: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Per variant and count, medians; each count's growth over the variant's smallest count, per added client. */
export function perAdded(measured: IdleMeasurement[]): IdleResult[] {
  const byVariant = new Map<string, Map<number, IdleMeasurement[]>>();
  for (const m of measured) {
    const counts = byVariant.get(m.variant) ?? new Map<number, IdleMeasurement[]>();
    byVariant.set(m.variant, counts.set(m.clients, [...(counts.get(m.clients) ?? []), m]));
  }
  const results: IdleResult[] = [];
  for (const [variant, counts] of byVariant) {
    const rows = [...counts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([clients, ms]) => ({
        clients,
        reps: ms.length,
        rssMb: median(ms.map((m) => m.rssMb)),
        heapMb: median(ms.map((m) => m.heapMb + m.workersHeapMb)),
      }));
    const base = rows[0]!;
    for (const row of rows) {
      const added = row.clients - base.clients;
      const kb = (mb: number, from: number): number | null =>
        added === 0 ? null : Math.round(((mb - from) * 1024 * 10) / added) / 10;
      results.push({
        type: 'idle-result',
        variant,
        ...row,
        rssKbPerClient: kb(row.rssMb, base.rssMb),
        heapKbPerClient: kb(row.heapMb, base.heapMb),
        from: base.clients,
      });
    }
  }
  return results;
}

const num = (x: number | null, digits = 1): string => (x === null ? '–' : x.toFixed(digits));

export function idleTable(results: IdleResult[], reps: number): string {
  const lines = [
    `Idle clients, settled (connected, subscribed, publishing once a minute; a full GC in every thread), medians of ${reps} repetitions:`,
    '',
    '| variant | clients | RSS MB | heap MB (all threads) | RSS KB per added client | heap KB per added client |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.variant} | ${r.clients.toLocaleString('en-US')} | ${num(r.rssMb)} | ${num(r.heapMb)} | ${num(r.rssKbPerClient)} | ${num(r.heapKbPerClient)} |`,
    );
  }
  lines.push('', `Per added client: over the same variant with ${results[0]?.from ?? 1000} clients.`);
  return lines.join('\n');
}
