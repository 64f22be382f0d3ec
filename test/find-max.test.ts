import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FindMaxResult, FindMaxStep } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { renderedDom } from './helpers/chromium.js';
import { spawnCli } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';
import { planFindMax } from '../src/run/find-max.js';
import { throwsUsage } from './helpers/usage.js';

test('the find-max CLI: NDJSON steps and result, the table, an HTML report; bad input exits 2', async (t) => {
  const dir = tempDir(t, 'find-max');
  const report = join(dir, 'find-max.html');
  // A broker in this process, not an embedded one's process.
  const broker = await aedesForTest(t);
  const cli = spawnCli(
    t,
    [
      'find-max',
      '-b',
      broker.url,
      '--json',
      '-c',
      '2',
      '--threads',
      '0',
      '--start-rate',
      '10',
      '--max-rate',
      '20',
      '--step-duration',
      '2s',
      '--report',
      report,
      '--threshold',
      'latency.p99<10s',
    ],
    { json: true },
  );
  const { code } = await withTimeout(cli.exit, 120_000, 'find-max');
  assert.equal(code, 0, cli.stderr());
  const steps = cli.lines.filter((l) => l.type === 'find-max-step') as unknown as FindMaxStep[];
  const result = cli.lines.find((l) => l.type === 'find-max') as unknown as FindMaxResult;
  assert.deepEqual(
    steps.map((s) => [s.step, s.phase, s.rate, s.offeredPerSec, s.pass]),
    [
      [1, 'ramp', 10, 20, true],
      [2, 'ramp', 20, 40, true],
    ],
  );
  assert.equal(result.rate, 20);
  assert.equal(result.limit, 'max-rate');
  assert.deepEqual(result.thresholds, ['latency.p99<10s']);
  assert.match(cli.stderr(), /rate\/client +offered\/s +received\/s +p50 +p99 +lost +result/);
  assert.match(cli.stderr(), /result: highest sustained rate 20 msg\/s per client \(40 msg\/s offered/);
  assert.ok(existsSync(report));
  assert.ok(readFileSync(report, 'utf8').includes('"type":"find-max"'), 'the result is embedded');
  // As Chromium draws it: a p99 and a lost point per step, at the rate it offered.
  const dom = await renderedDom(report);
  // p99 in decades, with labelled ticks, as on every report.
  assert.match(dom, /<svg [^>]*data-chart="rate" data-scale="log"/);
  assert.match(dom, /class="axis-title" data-axis="x">messages per second offered, all clients</);
  const points = [...dom.matchAll(/data-chart="rate" data-series="(p99|lost)" data-rate="(\d+)"/g)].map(
    (m) => `${m[1]}@${m[2]}`,
  );
  assert.deepEqual(points.sort(), ['lost@20', 'lost@40', 'p99@20', 'p99@40']);

  const bad = spawnCli(t, ['find-max', '--rate', '10']);
  assert.equal((await withTimeout(bad.exit, 30_000, 'refused find-max')).code, 2);
  assert.match(bad.stderr(), /^mqtt-fleet: Unknown argument: rate/);
  // The plan's own refusal: what the CLI's find-max calls, in this process.
  throwsUsage(() => planFindMax({ resolution: '90%' }), /--resolution must be from 0\.1% to 50%/);
});
