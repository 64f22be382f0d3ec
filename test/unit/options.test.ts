import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { parseCount, parseDuration, parseSize, resolveOptions, type RunOptions } from '../../src/options/index.js';
import { at } from '../../src/mqtt/checked.js';
import { checkBooleanValues } from '../../src/options/flags.js';

function rejects(input: RunOptions, option: string, pattern: RegExp): void {
  assert.throws(
    () => resolveOptions(input, {}),
    (err: unknown) =>
      err instanceof UsageError && err.option === option && pattern.test(err.message) && err.message.includes(option),
    `${JSON.stringify(input)} should be rejected naming ${option}`,
  );
}

test('defaults: 20 clients, 10 s at 10 msg/s, QoS 0, thread per client, embedded broker', () => {
  const o = resolveOptions({}, {});
  assert.equal(o.clients, 20);
  assert.equal(o.durationMs, 10_000);
  assert.equal(o.count, undefined);
  assert.equal(o.rate, 10);
  assert.equal(o.qos, 0);
  assert.equal(o.mode, 'thread-per-client');
  assert.equal(o.threads, 20);
  assert.equal(o.embeddedBroker, true);
  assert.equal(o.reconnectAttempts, 3);
  assert.equal(o.reconnectDelayMs, 1000);
  assert.match(o.idPrefix, /^mqtt-fleet-[0-9a-f]{8}-$/);
  assert.equal(o.topic, 'fleet/{i}');
  assert.equal(o.subTopic, 'fleet/{i}');
});

test('durations, counts and sizes parse with units', () => {
  assert.equal(parseDuration('--d', '500ms'), 500);
  assert.equal(parseDuration('--d', '10s'), 10_000);
  assert.equal(parseDuration('--d', '2m'), 120_000);
  assert.equal(parseDuration('--d', '1.5s'), 1500);
  assert.equal(parseDuration('--d', 250), 250);
  assert.equal(parseDuration('--k', '30', 's'), 30_000);
  assert.equal(parseCount('--n', '10k'), 10_000);
  assert.equal(parseCount('--n', '1m'), 1_000_000);
  assert.equal(parseSize('--s', '1kb'), 1000);
  assert.equal(parseSize('--s', '1kib'), 1024);
});

test('every invalid option is rejected with one message naming it', () => {
  rejects({ clients: 'abc' }, '--clients', /whole number/);
  rejects({ clients: '-3' }, '--clients', /whole number/);
  rejects({ clients: 0 }, '--clients', /at least 1/);
  rejects({ clients: '2.5' }, '--clients', /whole number/);
  rejects({ qos: 3 }, '--qos', /0, 1 or 2/);
  rejects({ qos: 'x' }, '--qos', /number/);
  rejects({ count: 0 }, '--count', /at least 1/);
  rejects({ count: '-1' }, '--count', /whole number/);
  rejects({ duration: '5x' }, '--duration', /duration like/);
  rejects({ duration: '0s' }, '--duration', /at least 1/);
  rejects({ rate: '-1' }, '--rate', /number|at least 0/);
  rejects({ rate: 0 }, '--rate', /needs --count/);
  rejects({ size: 10 }, '--size', /at least 32/);
  rejects({ size: 31 }, '--size', /--size must be at least 32 bytes, the payload header \(got 31\)/);
  rejects({ size: 'big' }, '--size', /size in bytes/);
  rejects({ brokers: ['foo://127.0.0.1'] }, '--broker', /unknown scheme "foo"/);
  rejects({ brokers: ['not a url'] }, '--broker', /must be a URL/);
  rejects({ topic: 'a/+/b' }, '--topic', /wildcards/);
  rejects({ topic: 'a/{x}' }, '--topic', /unknown placeholder \{x\}/);
  rejects({ subTopic: 'a/#/b' }, '--sub-topic', /'#' must be a whole level and the last/);
  rejects({ subTopic: 'a/b+' }, '--sub-topic', /'\+' must fill a whole level/);
  rejects({ keepalive: '70000' }, '--keepalive', /at most 65535/);
  rejects({ reconnectAttempts: 0 }, '--reconnect-attempts', /at least 1/);
  rejects({ reconnectDelay: 'soon' }, '--reconnect-delay', /duration/);
  rejects({ threads: 'many' }, '--threads', /per-client, 0/);
  rejects({ maxInflight: 0 }, '--max-inflight', /at least 1/);
  rejects({ password: 'secret' }, '--password', /needs --username/);
  rejects({ metricsHost: '0.0.0.0' }, '--metrics-host', /needs --metrics-port/);
  rejects({ metricsPort: 70000 }, '--metrics-port', /between 0 and 65535/);
  rejects({ shard: '0/2', shards: 2, runId: 'r' }, '--shards', /does not go with --shard/);
});

test('a broker URL with credentials is never echoed in an error', () => {
  assert.throws(
    () => resolveOptions({ brokers: ['foo://user:hunter2@127.0.0.1'] }, {}),
    (err: unknown) => err instanceof UsageError && !err.message.includes('hunter2'),
  );
  assert.throws(
    () => resolveOptions({ brokers: ['mqtt://user:hunter2@'] }, {}),
    (err: unknown) => err instanceof UsageError && !err.message.includes('hunter2'),
  );
});

test('credentials come from MQTT_USERNAME and MQTT_PASSWORD when not given', () => {
  const o = resolveOptions({}, { MQTT_USERNAME: 'u', MQTT_PASSWORD: 'p' });
  assert.equal(o.username, 'u');
  assert.equal(o.password, 'p');
  assert.equal(resolveOptions({ username: 'v' }, { MQTT_USERNAME: 'u' }).username, 'v');
});

test('thread modes: per-client, a pool of K (at most one per client), one loop', () => {
  assert.deepEqual(pick(resolveOptions({ threads: 'per-client', clients: 7 }, {})), {
    mode: 'thread-per-client',
    threads: 7,
  });
  assert.deepEqual(pick(resolveOptions({ threads: 3, clients: 7 }, {})), { mode: 'pool', threads: 3 });
  assert.deepEqual(pick(resolveOptions({ threads: 9, clients: 7 }, {})), { mode: 'pool', threads: 7 });
  assert.deepEqual(pick(resolveOptions({ threads: '0', clients: 7 }, {})), { mode: 'single-loop', threads: 0 });
  function pick(o: { mode: string; threads: number }): { mode: string; threads: number } {
    return { mode: o.mode, threads: o.threads };
  }
});

test('--work takes fractional milliseconds; --work-clients picks indices and ranges', () => {
  const o = resolveOptions({ clients: 10, work: '0.5ms', workClients: '0,3-5,9' }, {});
  assert.equal(o.workMs, 0.5);
  assert.deepEqual(o.workClients, [0, 3, 4, 5, 9]);
  assert.deepEqual(resolveOptions({ clients: 3, work: '10ms' }, {}).workClients, [0, 1, 2]);
  assert.deepEqual(resolveOptions({ clients: 3 }, {}).workClients, []);
  rejects({ clients: 3, work: '10ms', workClients: '0-7' }, '--work-clients', /client 7 does not exist/);
  rejects({ clients: 3, work: '10ms', workClients: '2-1' }, '--work-clients', /runs backwards/);
  rejects({ clients: 3, work: '10ms', workClients: 'first' }, '--work-clients', /indices and ranges/);
  rejects({ clients: 3, workClients: '0' }, '--work-clients', /needs --work/);
  rejects({ work: 'lots' }, '--work', /duration/);
});

test('thread-per-client beyond what the machine holds is refused up front, with a pool suggested', async () => {
  const { checkThreadPerClient } = await import('../../src/options/limits.js');
  const options = resolveOptions({ clients: 500 }, {});
  assert.throws(
    () => checkThreadPerClient(options, { threads: 100, bound: 'test' }),
    (err: unknown) =>
      err instanceof UsageError &&
      err.option === '--threads' &&
      /needs 500 worker threads; this machine holds about 100/.test(err.message) &&
      /--threads \d+/.test(err.message),
  );
  checkThreadPerClient(options, { threads: 500, bound: 'test' });
  // Only this shard's clients get threads here.
  checkThreadPerClient(resolveOptions({ clients: 500, brokers: ['mqtt://h:1'], shard: '0/5', runId: 'r' }, {}), {
    threads: 100,
    bound: 'test',
  });
  assert.throws(
    () =>
      checkThreadPerClient(resolveOptions({ clients: 500, brokers: ['mqtt://h:1'], shard: '0/4', runId: 'r' }, {}), {
        threads: 100,
        bound: 'test',
      }),
    /125 clients in this shard needs 125 worker threads/,
  );
  checkThreadPerClient(resolveOptions({ clients: 500, threads: 4 }, {}), { threads: 1, bound: 'test' });
});

test('--connect-rate and --connect-concurrency', () => {
  const o = resolveOptions({ connectRate: 250, connectConcurrency: '1k' }, {});
  assert.equal(o.connectRate, 250);
  assert.equal(o.connectConcurrency, 1000);
  // The adaptive window by default; a number fixes it.
  assert.equal(resolveOptions({}, {}).connectConcurrency, 'auto');
  assert.equal(resolveOptions({ connectConcurrency: 'auto' }, {}).connectConcurrency, 'auto');
  rejects({ connectRate: -1 }, '--connect-rate', /number|at least 0/);
  rejects({ connectConcurrency: 0 }, '--connect-concurrency', /at least 1/);
  rejects({ connectConcurrency: 'fast' }, '--connect-concurrency', /must be auto or a whole number/);
});

test('MQTT version, session expiry, TLS files, password file, workload module', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-fleet-opts-'));
  try {
    assert.equal(resolveOptions({}, {}).protocolVersion, 4);
    assert.equal(resolveOptions({ mqttVersion: '5' }, {}).protocolVersion, 5);
    assert.equal(resolveOptions({ mqttVersion: '5', sessionExpiry: '1h' }, {}).sessionExpirySec, 3600);
    assert.equal(resolveOptions({ mqttVersion: 5, sessionExpiry: 300 }, {}).sessionExpirySec, 300);
    rejects({ mqttVersion: '3' }, '--mqtt-version', /3\.1\.1 or 5/);
    rejects({ sessionExpiry: '1h' }, '--session-expiry', /needs --mqtt-version 5/);
    const pw = join(dir, 'pw');
    writeFileSync(pw, 's3cret\nignored\n');
    assert.equal(resolveOptions({ username: 'u', passwordFile: pw }, {}).password, 's3cret');
    rejects({ username: 'u', passwordFile: join(dir, 'none') }, '--password-file', /cannot read .* \(ENOENT\)/);
    rejects({ username: 'u', passwordFile: pw, password: 'x' }, '--password-file', /use one/);
    const pem = join(dir, 'c.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n');
    assert.equal(resolveOptions({ ca: pem }, {}).tls.ca, '-----BEGIN CERTIFICATE-----\n');
    assert.equal(resolveOptions({ insecure: true }, {}).tls.rejectUnauthorized, false);
    rejects({ cert: pem }, '--key', /go together/);
    rejects({ ca: join(dir, 'missing.pem') }, '--ca', /cannot read/);
    const mod = join(dir, 'w.mjs');
    writeFileSync(mod, 'export function tick() {}\n');
    assert.equal(resolveOptions({ workload: mod }, {}).workload, mod);
    rejects({ workload: join(dir, 'nope.mjs') }, '--workload', /no such file/);
    rejects({ workload: pem }, '--workload', /\.mjs, \.cjs or \.js/);
    rejects({ hookTimeout: '0ms' }, '--hook-timeout', /at least 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--out files are checked up front: kind, result= only with --shard, not a directory, an existing directory, one file per output', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-fleet-out-'));
  try {
    assert.deepEqual(
      resolveOptions({ out: [`csv=${dir}/a.csv`, `ndjson=${dir}/a.ndjson`] }, {}).outputs.map((o) => o.kind),
      ['csv', 'ndjson'],
    );
    assert.equal(
      at(
        resolveOptions({ out: `result=${dir}/r.json`, shard: '0/2', runId: 'r', brokers: ['mqtt://h:1'] }, {}).outputs,
        0,
      ).kind,
      'result',
    );
    rejects({ out: 'pdf=x.pdf' }, '--out', /kind=path with kind csv or ndjson or result/);
    rejects({ out: `result=${dir}/r.json` }, '--out', /result= needs --shard/);
    rejects({ out: `csv=${dir}/` }, '--out', /--out csv: ".*" is a directory; name a file/);
    rejects({ out: `csv=${dir}/none/a.csv` }, '--out', /--out csv: no such directory/);
    rejects({ out: [`csv=${dir}/a`, `ndjson=${dir}/a`] }, '--out', /--out csv and ndjson both write/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--local-address lists and ranges; open-file and ephemeral-port limits are checked before anything starts', async () => {
  const { checkSocketLimits } = await import('../../src/options/limits.js');
  assert.deepEqual(resolveOptions({ localAddress: '127.0.0.2,127.0.0.3' }, {}).localAddresses, [
    '127.0.0.2',
    '127.0.0.3',
  ]);
  assert.deepEqual(resolveOptions({ localAddress: '127.0.1.0/30' }, {}).localAddresses, ['127.0.1.1', '127.0.1.2']);
  assert.equal(resolveOptions({ localAddress: ['127.0.2.0/24'] }, {}).localAddresses.length, 254);
  rejects({ localAddress: 'localhost' }, '--local-address', /not an IP address or CIDR range/);
  rejects({ localAddress: '10.0.0.0/8' }, '--local-address', /from \/16 to \/32/);
  const big = resolveOptions({ clients: 30_000, threads: 2, brokers: ['mqtt://127.0.0.1:1883'] }, {});
  assert.throws(
    () => checkSocketLimits(big, { openFiles: 20_000, ports: 28_232 }),
    (e: unknown) =>
      e instanceof UsageError &&
      /needs about 30072 open files .* may open 20000: raise the limit \(ulimit -n 30072\), or split the fleet over processes with --shard/.test(
        e.message,
      ),
  );
  assert.throws(
    () => checkSocketLimits(big, { openFiles: 100_000, ports: 28_232 }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.option === '--local-address' &&
      /30000 connections to mqtt:\/\/127\.0\.0\.1:1883 from one source address/.test(e.message),
  );
  checkSocketLimits(
    resolveOptions(
      { clients: 30_000, threads: 2, brokers: ['mqtt://127.0.0.1:1883'], localAddress: '127.0.1.0/30' },
      {},
    ),
    { openFiles: 100_000, ports: 28_232 },
  );
  checkSocketLimits(
    resolveOptions({ clients: 30_000, threads: 2, brokers: ['mqtt://h:1'], shard: '0/2', runId: 'r' }, {}),
    { openFiles: 20_000, ports: 28_232 },
  );
});

test('a boolean flag takes true or false and nothing else, find-max --confirm included', () => {
  const refusesWith = (argv: string[], pattern: RegExp): void =>
    assert.throws(
      () => checkBooleanValues(argv),
      (err: unknown) => err instanceof UsageError && pattern.test(err.message),
    );
  refusesWith(['run', '--clean=nope'], /--clean must be true or false \(got "nope"\)/);
  refusesWith(['find-max', '--confirm=nope'], /--confirm must be true or false \(got "nope"\)/);
  checkBooleanValues(['find-max', '--confirm=false', '--clean=true']);
});
