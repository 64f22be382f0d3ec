import type { VariantResult } from './report.js';
import type { Table } from './workloads.js';

/** The Markdown tables that go into the READMEs: one per workload, then issue 11's overview. */

const DASH = '—';
const num = (n: number | null, digits = 0): string =>
  n === null ? DASH : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number | null): string => (n === null ? DASH : String(n));
const times = (n: number | null): string => (n === null ? DASH : `${n.toFixed(2)}x`);
const pct = (n: number | null): string => (n === null ? DASH : `${(n * 100).toFixed(1)}%`);
const secs = (n: number | null): string => (n === null ? DASH : `${(n / 1000).toFixed(2)} s`);
/** A variant whose every repetition failed says so instead of a row of dashes. */
const failed = (r: VariantResult): boolean => r.reps === 0;
const failedRow = (r: VariantResult, columns: number): string =>
  `| ${r.variant} | failed (${r.failures} of ${r.failures}) |${' |'.repeat(columns - 2)}`;

type Render = { head: string[]; row: (r: VariantResult) => string[] };

const TABLES: Record<Table, Render> = {
  throughput: {
    head: [
      'variant',
      'msg/s received',
      'vs plain MQTT.js',
      'vs single loop',
      'p50 ms',
      'p99 ms',
      'peak RSS MB',
      'lost',
      'client CPU µs/msg',
      'broker CPU µs/msg',
      'cores busy',
    ],
    row: (r) => [
      num(r.receivedPerSec),
      times(r.throughputRatio),
      times(r.throughputVsLoop),
      ms(r.latencyP50Ms),
      ms(r.latencyP99Ms),
      num(r.peakRssMb),
      num(r.lost),
      ms(r.clientCpuUsPerMsg),
      ms(r.brokerCpuUsPerMsg),
      num(r.coresBusy, 2),
    ],
  },
  latency: {
    head: [
      'variant',
      'msg/s received',
      'of offered',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'p99 vs single loop',
      'p99.9 vs single loop',
      'published of planned',
      'peak RSS MB',
      'client CPU µs/msg',
    ],
    row: (r) => [
      num(r.receivedPerSec),
      pct(r.keptPace),
      ms(r.latencyP50Ms),
      ms(r.latencyP99Ms),
      ms(r.latencyP999Ms),
      times(r.p99VsLoop),
      times(r.p999VsLoop),
      `${num(r.published)} of ${num(r.planned)}`,
      num(r.peakRssMb),
      ms(r.clientCpuUsPerMsg),
    ],
  },
  isolation: {
    head: [
      'variant',
      'msg/s received',
      'p50 ms (all)',
      'p99 ms (all)',
      "others' p99 ms",
      'vs own calm p99',
      'vs single loop calm p99',
      'published of planned',
      'process wall',
    ],
    row: (r) => [
      num(r.receivedPerSec),
      ms(r.latencyP50Ms),
      ms(r.latencyP99Ms),
      ms(r.othersP99Ms),
      times(r.othersP99VsCalm),
      times(r.othersP99VsLoop),
      `${num(r.published)} of ${num(r.planned)}`,
      secs(r.wallMs),
    ],
  },
  connections: {
    head: ['variant', 'clients', 'connect ms', 'peak RSS MB', 'RSS per client KB'],
    row: (r) => [num(r.clients), num(r.connectMs), num(r.peakRssMb), num(r.rssPerClientKb)],
  },
  connect: {
    head: [
      'variant',
      'clients',
      'connected + subscribed',
      'vs C poll loop',
      'window peak',
      'ListenOverflows',
      'ListenDrops',
      'client CPU',
      'CPU per client',
    ],
    row: (r) => [
      num(r.clients),
      secs(r.connectMs),
      times(r.connectRatio),
      num(r.connectWindowPeak),
      num(r.listenOverflows),
      num(r.listenDrops),
      secs(r.clientCpuMs),
      r.clientCpuMs === null ? DASH : `${Math.round((r.clientCpuMs * 1000) / r.clients)} µs`,
    ],
  },
  startup: {
    head: [
      'variant',
      'clients',
      'threads',
      'connected + subscribed',
      'to the end of publishing',
      'process wall',
      'peak RSS MB',
      'RSS per thread MB',
      'RSS per added thread MB',
    ],
    row: (r) => [
      num(r.clients),
      num(r.threads),
      secs(r.connectMs),
      secs(r.toEndOfPublishingMs),
      secs(r.wallMs),
      num(r.peakRssMb),
      ms(r.rssPerThreadMb),
      ms(r.rssPerAddedThreadMb),
    ],
  },
};

export function workloadTable(table: Table, rows: VariantResult[]): string[] {
  const t = TABLES[table];
  const out = [`| ${t.head.join(' | ')} |`, `| --- |${' ---: |'.repeat(t.head.length - 1)}`];
  for (const r of rows)
    out.push(failed(r) ? failedRow(r, t.head.length) : `| ${r.variant} | ${t.row(r).join(' | ')} |`);
  return out;
}

/** Issue 11's table, re-measured: each row from the workload that measures it, the three modes side by side. */
export function issueTable(results: VariantResult[], cores: number): string[] {
  const find = (workload: string, variant: string): VariantResult | undefined =>
    results.find((r) => r.workload === workload && r.variant === variant && !failed(r));
  const pool = `pool of ${cores}`;
  const modes = ['single loop', pool, 'thread per client'];
  const out = [
    '| workload | single loop | ' + pool + ' | thread per client | target for thread per client |',
    '| --- | --- | --- | --- | --- |',
  ];
  const row = (label: string, cells: (string | undefined)[], target: string, met: boolean | undefined): void => {
    if (cells.every((c) => c === undefined)) return;
    out.push(
      `| ${label} | ${cells.map((c) => c ?? DASH).join(' | ')} | ${target}${met === undefined ? '' : met ? ': met' : ': **not met**'} |`,
    );
  };
  const le = (a: number | null | undefined, b: number): boolean | undefined =>
    a === null || a === undefined ? undefined : a <= b;

  for (const [id, broker] of [
    ['W3-nodelay', 'set_tcp_nodelay true'],
    ['W3-nagle', 'Nagle on'],
  ] as const) {
    const cell = (v: string): string | undefined => {
      const r = find(id, v);
      return (
        r &&
        `${num(r.receivedPerSec)}/s (${pct(r.keptPace)}), p99 ${ms(r.latencyP99Ms)} ms, p99.9 ${ms(r.latencyP999Ms)} ms`
      );
    };
    const t = find(id, 'thread per client');
    const met = t && t.keptPace !== null && t.p99VsLoop !== null ? t.keptPace >= 0.99 && t.p99VsLoop <= 2 : undefined;
    row(
      `${id}: 20 × 500 msg/s, QoS 0, 10 s, Mosquitto ${broker}: received (of offered), p99, p99.9`,
      modes.map(cell),
      `received ≥ 99% of offered, p99 ≤ 2× single loop (${times(t?.p99VsLoop ?? null)})`,
      met,
    );
  }
  for (const qos of [0, 1]) {
    const cell = (v: string): string | undefined => {
      const r = find(`W1-qos${qos}`, v);
      return r && `${num(r.receivedPerSec)} (${times(r.throughputVsLoop)})`;
    };
    const t = find(`W1-qos${qos}`, 'thread per client');
    row(
      `W1 QoS ${qos} (20 × 10,000 × 64 B, flat out): received msg/s (vs single loop)`,
      modes.map(cell),
      '≥ 0.8× single loop',
      t && t.throughputVsLoop !== null ? t.throughputVsLoop >= 0.8 : undefined,
    );
  }
  for (const [id, what] of [
    ['W4a', '10 ms of work at 50 msg/s'],
    ['W4b', '20 ms of work at 500 msg/s'],
  ] as const) {
    const cell = (v: string): string | undefined => {
      const r = find(id, `${v} + work`);
      const calm = find(id, v);
      return r && `${ms(r.othersP99Ms)} ms (calm ${ms(calm?.latencyP99Ms ?? null)} ms)`;
    };
    const t = find(id, 'thread per client + work');
    const met =
      t && t.othersP99VsCalm !== null && t.othersP99VsLoop !== null
        ? t.othersP99VsCalm <= 2 && t.othersP99VsLoop <= 3
        : undefined;
    row(
      `${id}: client 0 doing ${what}: the others' p99 (calm p99)`,
      modes.map(cell),
      `≤ 2× own calm (${times(t?.othersP99VsCalm ?? null)}), ≤ 3× single loop calm (${times(t?.othersP99VsLoop ?? null)})`,
      met,
    );
  }
  const startCell = (v: string): string | undefined => {
    const r = find('W6', v);
    return r && `${secs(r.toEndOfPublishingMs)} (wall ${secs(r.wallMs)}, ${num(r.peakRssMb)} MB)`;
  };
  const k = find('W6', 'thread per client x 1,000');
  const perThread = k?.rssPerThreadMb ?? null;
  row(
    '1,000 clients, connected and publishing once: to the end of publishing (process wall, peak RSS)',
    [
      startCell('single loop x 1,000'),
      startCell(`${pool} x 1,000`),
      k &&
        `${startCell('thread per client x 1,000')}, ${ms(perThread)} MB per thread (${ms(k.rssPerAddedThreadMb)} per added thread)`,
    ],
    '≤ 15 s at ≤ 6 MB RSS per thread',
    k && perThread !== null && k.toEndOfPublishingMs !== null
      ? k.toEndOfPublishingMs <= 15_000 && perThread <= 6
      : undefined,
  );
  const twenty = find('W6', 'thread per client x 20');
  row(
    '20 clients with a thread each: connected and subscribed',
    [undefined, undefined, twenty && secs(twenty.connectMs)],
    '≤ 0.5 s',
    le(twenty?.connectMs, 500),
  );
  return out.length > 2 ? out : [];
}

export function markdown(
  results: VariantResult[],
  tables: Map<string, Table>,
  context: { reps: number; cores: number },
): string {
  const out: string[] = [
    `Medians of ${context.reps} interleaved repetitions, ${context.cores} cores, one \`npm run bench\`.`,
    '',
  ];
  for (const [workload, table] of tables) {
    out.push(
      `**${workload}**`,
      '',
      ...workloadTable(
        table,
        results.filter((r) => r.workload === workload),
      ),
      '',
    );
  }
  const issue = issueTable(results, context.cores);
  if (issue.length)
    out.push("**Issue 11's table** (thread per client against one loop and a pool, same run)", '', ...issue, '');
  return out.join('\n');
}
