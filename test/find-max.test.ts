import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findMax, type FindMaxResult, type FindMaxStep } from '../src/index.js';
import { renderedDom } from './helpers/chromium.js';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { tempDir } from './helpers/temp.js';
import { ThrottleProxy } from './helpers/throttle-proxy.js';
import { withTimeout } from './helpers/wait.js';

/**
 * What the throttled link carries per message: a QoS 0 PUBLISH of MQTT 3.1.1 is a fixed header
 * (1 byte, plus 1 byte of remaining length under 128), the topic (2 bytes of length + `fleet/N`,
 * 7 bytes) and the payload (64 bytes, mqtt-fleet's header included): 75 bytes. Each message
 * crosses the proxy twice, the publisher's PUBLISH up to the broker and the broker's down to its
 * subscriber (each client hears its own topic), through one bucket: 150 bytes per message.
 */
const WIRE_BYTES_PER_MESSAGE = 2 * (1 + 1 + 2 + 'fleet/0'.length + 64);
const BYTES_PER_SEC = 30_000;
const LIMIT_PER_SEC = BYTES_PER_SEC / WIRE_BYTES_PER_MESSAGE; // 200 msg/s: far below what the generator sustains here
const CLIENTS = 4;

test('find-max against a Mosquitto behind a link of fixed byte rate finds that rate within 15%, twice in a row', async (t) => {
  assert.equal(WIRE_BYTES_PER_MESSAGE, 150);
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const proxy = await new ThrottleProxy(mosquitto.port, BYTES_PER_SEC).listen();
  t.after(() => proxy.close());
  const results: FindMaxResult[] = [];
  for (let n = 0; n < 2; n++) {
    const steps: FindMaxStep[] = [];
    const up = proxy.up;
    const down = proxy.down;
    const result = await findMax(
      {
        brokers: [proxy.url],
        clients: CLIENTS,
        // The fleet on a thread of its own: the proxy's pacing has the main thread to itself.
        threads: '1',
        startRate: 10,
        maxRate: 1000,
        stepDuration: '3s',
        warmup: '1s',
      },
      { onStep: (s) => steps.push(s) },
    );
    results.push(result);
    t.diagnostic(
      `search ${n + 1}: ${result.offeredPerSec} msg/s offered held (${result.rate}/client), ${result.breakingRate}/client broke; ` +
        `limit ${LIMIT_PER_SEC} msg/s; generator-limited: ${result.generatorLimited}; ${steps.length} steps in ${result.durationMs} ms; ` +
        `${proxy.up - up} bytes up, ${proxy.down - down} down; ` +
        steps.map((s) => `${s.rate}:${s.pass ? 'ok' : 'FAIL'}:p99=${s.latencyMs.p99}`).join(' '),
    );
    assert.equal(result.limit, 'threshold');
    assert.equal(result.exitCode, 0);
    assert.ok(result.offeredPerSec !== null);
    const error = Math.abs(result.offeredPerSec - LIMIT_PER_SEC) / LIMIT_PER_SEC;
    assert.ok(error <= 0.15, `found ${result.offeredPerSec} msg/s, ${Math.round(error * 100)}% from ${LIMIT_PER_SEC}`);
    // The search: doubling, then bisecting down to the resolution.
    assert.ok(steps.some((s) => s.phase === 'ramp') && steps.some((s) => s.phase === 'bisect'));
    assert.ok((result.breakingRate! - result.rate!) / result.rate! <= 0.05 + 1e-9);
    assert.deepEqual(result.thresholds, ['latency.p99<=50ms', 'lost==0']);
  }
});

test('the find-max CLI: NDJSON steps and result, the table, an HTML report; bad input exits 2', async (t) => {
  const dir = tempDir(t, 'find-max');
  const report = join(dir, 'find-max.html');
  const cli = spawnCli(
    t,
    [
      'find-max',
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
  const points = [...dom.matchAll(/data-chart="rate" data-series="(p99|lost)" data-rate="(\d+)"/g)].map(
    (m) => `${m[1]}@${m[2]}`,
  );
  assert.deepEqual(points.sort(), ['lost@20', 'lost@40', 'p99@20', 'p99@40']);

  const bad = spawnCli(t, ['find-max', '--rate', '10']);
  assert.equal((await withTimeout(bad.exit, 30_000, 'refused find-max')).code, 2);
  assert.match(bad.stderr(), /^mqtt-fleet: Unknown argument: rate/);
  const badResolution = spawnCli(t, ['find-max', '--resolution', '90%']);
  assert.equal((await withTimeout(badResolution.exit, 30_000, 'refused find-max')).code, 2);
  assert.match(badResolution.stderr(), /--resolution must be from 0\.1% to 50%/);
});
