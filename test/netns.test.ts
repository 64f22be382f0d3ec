import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mergeResults } from '../src/index.js';
import type { ShardResult } from '../src/shard/result.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { NetNamespace } from './helpers/netns.js';
import { freePort } from './helpers/ports.js';
import { tempDir } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';
import { at } from '../src/mqtt/checked.js';

const CLI = fileURLToPath(new URL('../src/bin.js', import.meta.url));

test('shards on separate hosts (network namespaces, own addresses) against one Mosquitto merge into the whole fleet', async (t) => {
  const namespaces = [NetNamespace.create(1), NetNamespace.create(2)];
  t.after(() => namespaces.forEach((ns) => ns.remove()));
  const port = await freePort();
  const mosquitto = await Mosquitto.start(namespaces.map((ns) => `listener ${port} ${ns.gateway}`).join('\n'));
  t.after(() => mosquitto.stop());
  const dir = tempDir(t, 'netns');
  // Both shards must be subscribed before either publishes (every client hears every client), so
  // the common start leaves room for two CLIs to start in their namespaces beside other test
  // files: they took 2.5-3.2 s at a load average of 13 on 2 cores, and one took over 10 s at 26
  // (810 of 1,080 received). The wait costs no CPU.
  const startAt = new Date(Date.now() + 20_000).toISOString();
  const shards = namespaces.map((ns, i) => {
    const [command, ...args] = ns.exec([
      process.execPath,
      CLI,
      'run',
      '-b',
      `mqtt://${ns.gateway}:${port}`,
      '--shard',
      `${i}/2`,
      '--run-id',
      'netns',
      '--start-at',
      startAt,
      '-c',
      '6',
      '--count',
      '30',
      '--rate',
      '30',
      '--qos',
      '1',
      '--sub-topic',
      'fleet/+',
      '--out',
      `result=${join(dir, `shard-${i}.json`)}`,
      '--log-level',
      'warn',
    ]);
    const child = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    return new Promise<number | null>((resolve) => child.on('exit', resolve));
  });
  const codes = await withTimeout(Promise.all(shards), 60_000, 'both shards');
  assert.deepEqual(codes, [0, 0]);
  for (let i = 0; i < 6; i++) {
    const from = i % 2 === 0 ? at(namespaces, 0).hostAddress : at(namespaces, 1).hostAddress;
    assert.ok(
      mosquitto.linesAbout(`mqtt-fleet-netns-${i} `).some((l) => l.includes(`New client connected from ${from}:`)),
      `client ${i} connected from its shard's host ${from}`,
    );
  }
  const results = [0, 1].map((i) => JSON.parse(readFileSync(join(dir, `shard-${i}.json`), 'utf8')) as ShardResult);
  const { summary, missing } = mergeResults(results);
  assert.deepEqual(missing, []);
  assert.equal(summary.clients, 6);
  assert.equal(summary.expected, 6 * 6 * 30, 'every client hears every client, across the two hosts');
  assert.equal(summary.received - summary.duplicates, summary.expected);
  assert.equal(summary.lost, 0);
});
