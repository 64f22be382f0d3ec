import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { aedesForTest } from './helpers/aedes.js';
import { bars, renderedDom } from './helpers/chromium.js';
import { verdictOf } from '../src/report/verdict.js';
import type { ComparisonRow, Verdict } from '../src/report/events.js';
import { spawnCli } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';
import { at } from '../src/mqtt/checked.js';
import { checkOutputFile } from '../src/options/files.js';
import { planCompare } from '../src/run/compare.js';
import { throwsUsage } from './helpers/usage.js';

test('compare runs each mode on identical work, prints one summary per mode and a comparison, and writes an HTML report that renders', async (t) => {
  const broker = await aedesForTest(t);
  const dir = tempDir(t, 'compare');
  const report = join(dir, 'compare.html');
  const cli = spawnCli(
    t,
    [
      'compare',
      '-b',
      broker.url,
      '-c',
      '4',
      '--count',
      '50',
      '--rate',
      '100',
      '--qos',
      '1',
      '--threads',
      '0,2,per-client',
      '--work',
      '2ms',
      '--work-clients',
      '0',
      '--json',
      '--report',
      report,
    ],
    { json: true },
  );
  const { code } = await withTimeout(cli.exit, 90_000, 'compare to finish');
  assert.equal(code, 0, cli.stderr());
  const summaries = cli.lines.filter((l) => l.type === 'summary');
  assert.deepEqual(
    summaries.map((s) => [s.mode, s.threads]),
    [
      ['single-loop', 0],
      ['pool', 2],
      ['thread-per-client', 4],
    ],
  );
  for (const s of summaries) {
    assert.equal(s.received, 200);
    assert.equal(s.lost, 0);
    assert.equal((s.latencyMs as { working: { count: number } }).working.count, 50);
  }
  const comparison = cli.lines.at(-1)! as unknown as {
    type: string;
    rows: { mode: string; receivedPerSec: number; latencyMs: { p99: number }; workingMs: { p99: number } }[];
    verdict: Verdict;
  };
  assert.equal(comparison.type, 'comparison');
  // The verdict is computed from the rows themselves, printed after the table and on the page.
  const clean = comparison.rows as unknown as ComparisonRow[];
  assert.deepEqual(comparison.verdict, verdictOf(clean, 2));
  assert.ok(comparison.verdict.choice !== null, 'every mode ran cleanly: a choice is made');
  assert.match(comparison.verdict.text, /For this workload, (single loop|pool|thread per client): /);
  assert.ok(cli.stderr().replace(/\s+/g, ' ').includes(comparison.verdict.text), 'the verdict follows the table');
  assert.deepEqual(
    comparison.rows.map((r) => r.receivedPerSec),
    summaries.map((s) => s.receivedPerSec),
  );
  assert.match(
    cli.stderr(),
    /mode\s+threads\s+connect\s+out msg\/s\s+in msg\/s\s+ratio\s+p50\s+p99\s+others p50\s+others p99\s+working p50\s+working p99\s+loop p99\s+peak RSS\s+CPU/,
  );
  assert.match(cli.stderr(), /thread per client\s+4\s/);

  const html = readFileSync(report, 'utf8');
  assert.doesNotMatch(
    html,
    /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/,
    'self-contained: no external resources',
  );
  const dom = await renderedDom(report);
  assert.match(dom, /<body[^>]*data-rendered="true"/, 'the page script ran to the end');
  assert.ok(
    dom.includes(`<p id="verdict">${comparison.verdict.text.replace(/&/g, '&amp;')}</p>`),
    'the verdict is on the page',
  );
  // Where working clients look faster, the page says why; where they do not, it says nothing.
  const faster = (comparison.rows as unknown as ComparisonRow[]).some(
    (r) => r.workingMs && r.othersMs && r.workingMs.p50 < r.othersMs.p50,
  );
  assert.equal(/<p class="note" id="working-note">Where the working clients look faster/.test(dom), faster);
  // `report` on compare's --json output draws the comparison, not its last mode alone.
  const saved = join(dir, 'compare.ndjson');
  writeFileSync(saved, cli.stdout());
  const again = join(dir, 'again.html');
  const rendered = spawnCli(t, ['report', saved, '-o', again]);
  assert.equal((await withTimeout(rendered.exit, 30_000, 'the report')).code, 0, rendered.stderr());
  // The very page compare wrote, byte for byte (a page is drawn from its data alone): what Chromium
  // draws of it is checked below, once (a Chromium costs more than a second of CPU).
  assert.equal(readFileSync(again, 'utf8'), html, "report's page of compare's --json is compare's own page");
  const drawn = bars(dom);
  for (const [n, row] of comparison.rows.entries()) {
    const bar = (chart: string, series: string): number | undefined =>
      drawn.find(
        (b) =>
          b.chart === chart && b.series === series && b.mode === row.mode && b.threads === at(summaries, n).threads,
      )?.value;
    assert.equal(bar('throughput', 'received/s'), row.receivedPerSec, `${row.mode} throughput bar`);
    assert.equal(bar('latency', 'p99'), row.latencyMs.p99, `${row.mode} p99 bar`);
    assert.equal(bar('work', 'working p99'), row.workingMs.p99, `${row.mode} working p99 bar`);
  }
  assert.equal(drawn.filter((b) => b.chart === 'latency').length, 3 * 4);
  // Latency by percentile: a line per mode, a point per percentile.
  const points = [
    ...dom.matchAll(/<circle [^>]*data-chart="percentiles"[^>]*data-percentile="([\d.]+)"[^>]*data-value="([\d.]+)"/g),
  ].map((m) => ({ p: Number(m[1]), value: Number(m[2]) }));
  assert.equal(points.length, 3 * 5);
  const valuesAt = (p: number): number[] =>
    points
      .filter((x) => x.p === p)
      .map((x) => x.value)
      .sort((a, b) => a - b);
  const rows = comparison.rows as unknown as { latencyMs: { p50: number; p99: number } }[];
  assert.deepEqual(
    valuesAt(99),
    rows.map((r) => r.latencyMs.p99).sort((a, b) => a - b),
  );
  assert.deepEqual(
    valuesAt(50),
    rows.map((r) => r.latencyMs.p50).sort((a, b) => a - b),
  );
});

test('compare rejects a bad mode, refuses --out, and checks --report, before running anything', async (t) => {
  // Spawned: --report, checked by the CLI's compare before anything runs, and given twice (the
  // CLI's own check); each exits 2 with its one line.
  for (const [args, message] of [
    [['--report', join(tmpdir(), 'no-such-dir', 'compare.html')], /^mqtt-fleet: --report: no such directory/],
    [['--report', 'a.html', '--report', 'b.html'], /^mqtt-fleet: --report was given more than once/],
  ] as const) {
    const cli = spawnCli(t, ['compare', '-c', '2', '--count', '5', ...args]);
    const { code } = await withTimeout(cli.exit, 15_000, `compare ${args.join(' ')} to refuse`);
    assert.equal(code, 2, cli.stderr());
    assert.match(cli.stderr(), message);
    assert.equal(cli.stderr().trim().split('\n').length, 1, cli.stderr());
  }
  // The plan's own refusals (a bad mode, --out) and a directory as --report: the library's
  // checks the CLI calls, in this process.
  throwsUsage(
    () => planCompare({ clients: '2', count: '5', threads: '0,lots' }),
    /^--threads must be per-client, 0 \(one event loop\) or a pool size K >= 1 \(got "lots"\)/,
  );
  throwsUsage(
    () => planCompare({ clients: '2', count: '5', out: 'csv=run.csv' }),
    /^--out does not go with compare: every mode would write the same file/,
  );
  throwsUsage(() => checkOutputFile('--report', tmpdir()), /^--report: ".*" is a directory; name a file/);
});
