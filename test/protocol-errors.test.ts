import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent, StatusLine } from '../src/index.js';
import { HostileBroker } from './helpers/hostile.js';
import { runForTest } from './helpers/run.js';
import { withTimeout } from './helpers/wait.js';

const collect = (into: StatusLine[]) => (e: RunEvent) => e.type === 'status' && into.push(e);
const trail = (statuses: StatusLine[], client: number): string[] =>
  statuses.filter((s) => s.client === client && s.state !== 'ready' && s.state !== 'published').map((s) => `${s.state}${s.attempt ? ` ${s.attempt}/${s.of}` : ''}`);

test('bytes that are not MQTT after CONNACK and SUBACK end the connection with the parser\'s error: disconnected, then the reconnect round', async (t) => {
  const broker = await HostileBroker.garbageAfterSuback();
  t.after(() => broker.close());
  const statuses: StatusLine[] = [];
  // A connect timeout far longer than the test's: nothing may wait for a timeout to notice.
  const summary = await withTimeout(
    runForTest(t, { brokers: [broker.url], clients: 1, count: 5, rate: 50, reconnectDelay: '50ms', connectTimeout: '5m', threads: 0, runId: 'junk', onEvent: collect(statuses) }),
    20_000,
    'the run to end',
  );
  const drops = statuses.filter((s) => s.state === 'disconnected');
  assert.ok(drops.length > 0, `the connection was ended: ${JSON.stringify(trail(statuses, 0))}`);
  t.diagnostic(`disconnected: ${drops[0]!.error?.message}`);
  // mqtt-packet's own words for 'H', the first byte of "HTTP/1.1 400 ...".
  for (const drop of drops) assert.match(drop.error!.message, /Invalid header flag bits, must be 0x0 for puback packet/);
  // Every connection got the same garbage right after its CONNACK: each cost an attempt of the round.
  assert.deepEqual(trail(statuses, 0), ['connecting 1/3', 'connected', 'disconnected', 'reconnecting 2/3', 'connected', 'disconnected', 'reconnecting 3/3', 'connected', 'disconnected', 'gave-up']);
  assert.equal(broker.connections, 3);
  assert.match(statuses.at(-1)!.error!.message, /Invalid header flag bits/);
  assert.equal(summary.exitCode, 1);
});
