import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeCerts } from './helpers/certs.js';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { freePort } from './helpers/ports.js';
import { withTimeout } from './helpers/wait.js';

/** The shipped examples, run as a user would, against brokers of the test's own. */

test('examples/plant-and-cloud.yaml: two brokers (one TLS), three groups, a workload module', async (t) => {
  const certs = makeCerts();
  t.after(() => certs.remove());
  const tlsPort = await freePort();
  const plant = await Mosquitto.start('', { verbose: false });
  t.after(() => plant.stop());
  const cloud = await Mosquitto.start(`listener ${tlsPort} 127.0.0.1\ncafile ${certs.ca}\ncertfile ${certs.cert}\nkeyfile ${certs.key}\n`, { verbose: false });
  t.after(() => cloud.stop());
  const env = { PLANT_BROKER: plant.url, CLOUD_BROKER: `mqtts://localhost:${tlsPort}`, CLOUD_CA: certs.ca };
  const cli = spawnCli(t, ['run', '--scenario', 'examples/plant-and-cloud.yaml', '--duration', '3s', '--json'], { json: true, env });
  const { code } = await withTimeout(cli.exit, 60_000, 'the example run');
  assert.equal(code, 0, cli.stderr());
  const s = cli.lines.at(-1)!;
  assert.deepEqual((s.groups as { name: string }[]).map((g) => g.name), ['sensors', 'dashboards', 'gateways']);
  assert.deepEqual(s.brokers, [plant.url, `mqtts://localhost:${tlsPort}`]);
  // sensors 10 x 5/s -> 3 dashboards each; gateways 4 x 20/s -> their shared subscription, once each.
  assert.equal(s.expected, 10 * 5 * 3 * 3 + 4 * 20 * 3);
  assert.equal(s.lost, 0);
  assert.equal(s.failed, 0);
  assert.match(cli.stderr(), /mqtt-fleet-[^:]+-gateways-\d: received \d+ messages/, 'the workload logged from its teardown');
});

test('examples/work-queue.yaml: each job reaches exactly one worker of the shared subscription', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const cli = spawnCli(t, ['run', '--scenario', 'examples/work-queue.yaml', '--duration', '3s', '--json'], { json: true, env: { BROKER: mosquitto.url } });
  const { code } = await withTimeout(cli.exit, 60_000, 'the example run');
  assert.equal(code, 0, cli.stderr());
  const s = cli.lines.at(-1)!;
  assert.equal(s.published, 4 * 50 * 3);
  assert.equal(s.expected, s.published, 'one delivery per job across the six workers');
  assert.equal(s.received, s.published);
  assert.equal(s.duplicates, 0);
  assert.equal(s.lost, 0);
});
