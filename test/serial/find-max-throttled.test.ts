import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMax, type FindMaxResult, type FindMaxStep } from '../../src/index.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { ThrottleProxy } from '../helpers/throttle-proxy.js';

// Alone (test/serial/): the search judges p99 against 50 ms, which other test files running beside it would disturb.

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
