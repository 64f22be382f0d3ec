import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, type StatusLine } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { makeCerts } from './helpers/certs.js';
import { HostileBroker } from './helpers/hostile.js';
import { silentLogger } from '../src/report/log.js';
import { formatSummary } from '../src/report/summary-table.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { freePort } from './helpers/ports.js';
import { runForTest } from './helpers/run.js';
import { withTimeout } from './helpers/wait.js';

const collect = (into: StatusLine[]) => (e: { type: string }) => e.type === 'status' && into.push(e as StatusLine);

test('a broker that accepts TCP but never sends CONNACK: each --connect-timeout is an attempt; the client gives up', async (t) => {
  const broker = await HostileBroker.silent();
  t.after(() => broker.close());
  const statuses: StatusLine[] = [];
  const summary = await run({
    brokers: [broker.url],
    clients: 2,
    count: 5,
    connectTimeout: '300ms',
    reconnectDelay: '50ms',
    threads: 0,
    onEvent: collect(statuses),
  });
  assert.equal(broker.connections, 6, 'exactly 3 attempts per client, counted by the server');
  assert.equal(summary.gaveUp, 2);
  // The start barrier fell when both had given up: the summary must not claim they connected.
  assert.match(formatSummary(summary), /connect\s+\S+ \S+ until every client had connected and subscribed or given up/);
  // The summary's count is of clients that ever connected, and says so.
  assert.match(formatSummary(summary), /clients\s+0\/2 connected at least once · 2 gave up/);
  t.diagnostic(`gave up: ${statuses.find((s) => s.state === 'gave-up')!.error!.message}`);
  assert.match(statuses.find((s) => s.state === 'gave-up')!.error!.message, /connack timeout/);
});

test('a broker that answers with garbage: a clear error per attempt, then the client gives up', async (t) => {
  const broker = await HostileBroker.garbage();
  t.after(() => broker.close());
  const statuses: StatusLine[] = [];
  // A connect timeout far longer than the test's: each attempt must end at the bad bytes.
  const summary = await withTimeout(
    runForTest(t, {
      brokers: [broker.url],
      clients: 2,
      count: 5,
      reconnectDelay: '50ms',
      connectTimeout: '5m',
      threads: 0,
      onEvent: collect(statuses),
    }),
    20_000,
    'the garbage to end every attempt at once',
  );
  assert.equal(broker.connections, 6);
  assert.equal(summary.gaveUp, 2);
  const reason = statuses.find((s) => s.state === 'gave-up')!.error!.message;
  t.diagnostic(`gave up: ${reason}`);
  assert.doesNotMatch(reason, /connack timeout/, 'the parser error itself, not the timeout that would follow it');
  // mqtt-packet's own words for the bytes HostileBroker.garbage() sends (a remaining length longer than MQTT's four bytes).
  assert.match(reason, /Invalid variable byte integer/);
  const retries = statuses.filter((s) => s.state === 'reconnecting');
  assert.equal(retries.length, 4, 'attempts 2 and 3 of each client');
  assert.ok(
    retries.every((s) => s.error?.message === reason),
    'each retry says why the attempt before it failed',
  );
});

test('bad credentials: one attempt and a clear reason by default; exactly --reconnect-attempts with --retry-refused', async (t) => {
  const calls = new Map<string, number>();
  const broker = await aedesForTest(t);
  broker.broker.authenticate = (client, _username, password, done) => {
    calls.set(client.id, (calls.get(client.id) ?? 0) + 1);
    const ok = password?.toString() === 'right';
    done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
  };
  const statuses: StatusLine[] = [];
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (_: object, msg?: string) => warnings.push(msg ?? '') };
  const summary = await run({
    brokers: [broker.url],
    clients: 2,
    count: 5,
    username: 'alice',
    password: 'wrong',
    runId: 'refused',
    onEvent: collect(statuses),
    logger,
  });
  assert.deepEqual([...calls.values()], [1, 1], 'no pointless retries');
  // What the user reads says what happened: one attempt, not the budget of three.
  assert.deepEqual(
    statuses.filter((s) => s.state === 'gave-up').map((s) => s.attempts),
    [1, 1],
  );
  assert.equal(warnings.filter((w) => / gave up after 1 failed connection attempt: broker refused/.test(w)).length, 2);
  assert.equal(summary.gaveUp, 2);
  t.diagnostic(`gave up: ${statuses.find((s) => s.state === 'gave-up')!.error!.message}`);
  assert.match(
    statuses.find((s) => s.state === 'gave-up')!.error!.message,
    /broker refused the connection: bad user name or password, CONNACK code 4; not retried/,
  );
  calls.clear();
  const retried = await run({
    brokers: [broker.url],
    clients: 2,
    count: 5,
    username: 'alice',
    password: 'wrong',
    retryRefused: true,
    reconnectDelay: '20ms',
    logger,
  });
  assert.deepEqual([...calls.values()], [3, 3]);
  assert.equal(warnings.filter((w) => / gave up after 3 failed connection attempts: broker refused/.test(w)).length, 2);
  assert.equal(retried.gaveUp, 2);
});

test('a name that does not resolve: a DNS error per client, no crash', async (t) => {
  const statuses: StatusLine[] = [];
  const summary = await run({
    brokers: ['mqtt://no-such-broker.invalid:1883'],
    clients: 2,
    count: 5,
    reconnectDelay: '20ms',
    threads: 0,
    onEvent: collect(statuses),
  });
  assert.equal(summary.gaveUp, 2);
  t.diagnostic(`gave up: ${statuses.find((s) => s.state === 'gave-up')!.error!.message}`);
  assert.match(statuses.find((s) => s.state === 'gave-up')!.error!.message, /ENOTFOUND|EAI_AGAIN|getaddrinfo/);
});

test('TLS: an untrusted certificate is refused by default; --ca trusts it; --insecure skips verification', async (t) => {
  const certs = makeCerts();
  t.after(() => certs.remove());
  const tlsPort = await freePort();
  const mosquitto = await Mosquitto.start(
    `listener ${tlsPort} 127.0.0.1\ncafile ${certs.ca}\ncertfile ${certs.cert}\nkeyfile ${certs.key}\n`,
    { verbose: false },
  );
  t.after(() => mosquitto.stop());
  const url = `mqtts://localhost:${tlsPort}`;
  const statuses: StatusLine[] = [];
  const refused = await run({
    brokers: [url],
    clients: 1,
    count: 3,
    reconnectDelay: '20ms',
    threads: 0,
    onEvent: collect(statuses),
  });
  assert.equal(refused.gaveUp, 1);
  t.diagnostic(`gave up: ${statuses.find((s) => s.state === 'gave-up')!.error!.message}`);
  assert.match(
    statuses.find((s) => s.state === 'gave-up')!.error!.message,
    /self[- ]signed|unable to verify|certificate/i,
  );
  const trusted = await run({ brokers: [url], clients: 2, count: 10, rate: 100, ca: certs.ca, threads: 'per-client' });
  assert.equal(trusted.received, 20);
  assert.equal(trusted.exitCode, 0);
  const insecure = await run({ brokers: [url], clients: 2, count: 10, rate: 100, insecure: true, threads: 0 });
  assert.equal(insecure.received, 20);
});
