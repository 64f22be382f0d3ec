import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { aedesForTest } from './helpers/aedes.js';
import { CAUSES, FEATURES as BASIC } from './helpers/interop.js';
import { MQTT5_FEATURES } from './helpers/interop-mqtt5.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { NatsServer } from './helpers/nats.js';

const FEATURES = { ...BASIC, ...MQTT5_FEATURES };

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README's broker table: feature -> [Aedes, Mosquitto, NATS] cells. */
function documented(): Map<string, string[]> {
  const block = /<!-- interop:start -->\n([\s\S]*?)\n<!-- interop:end -->/.exec(README)?.[1];
  assert.ok(block, 'README has the interop table markers');
  const rows = block.split('\n').slice(2);
  return new Map(
    rows
      .map((row) =>
        row
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      )
      .map(([feature, ...cells]) => [feature!, cells]),
  );
}

test('the same feature checks against the embedded Aedes, Mosquitto and NATS give the README table', async (t) => {
  const aedes = await aedesForTest(t);
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const nats = await NatsServer.start();
  t.after(() => nats.stop());
  const brokers = [aedes.url, mosquitto.url, nats.url];
  const table = documented();
  assert.deepEqual([...table.keys()], Object.keys(FEATURES), 'one README row per feature check');
  // The brokers are independent: each goes through the features in turn, the three side by side.
  await Promise.all(
    brokers.map(async (url, n) => {
      for (const [feature, check] of Object.entries(FEATURES)) {
        const cells = table.get(feature)!;
        // A check that throws fails the test: only a measured, recognised cause makes a "no".
        const outcome = await check(url, t);
        assert.equal(
          outcome,
          cells[n],
          `${feature} on ${['Aedes', 'Mosquitto', 'NATS'][n]}: measured "${outcome}", README says "${cells[n]}"`,
        );
      }
    }),
  );
});

test('every "no" cell of the README table names one of the causes the checks detect', () => {
  const causes = new Set(Object.values(CAUSES).map((cause) => `no: ${cause}`));
  for (const [feature, cells] of documented()) {
    for (const cell of cells)
      assert.ok(cell === 'yes' || causes.has(cell), `${feature}: "${cell}" is neither "yes" nor a detected cause`);
  }
});
