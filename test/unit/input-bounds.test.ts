import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { resolveOptions, type RunOptions } from '../../src/index.js';
import { tempDir, tempFile } from '../helpers/temp.js';
import { at } from '../../src/mqtt/checked.js';

/** The one message, exactly, naming `option`. */
function refuses(input: RunOptions, option: string, message: string, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => resolveOptions(input, env),
    (err: unknown) => {
      assert.ok(err instanceof UsageError, `a UsageError, not ${String(err)}`);
      assert.equal(err.message, message);
      assert.equal(err.option, option);
      return true;
    },
    `${JSON.stringify(input).slice(0, 200)} should be refused`,
  );
}

const scenario = (t: TestContext, text: string): string => tempFile(t, 'fleet.yaml', text, 'bounds');

/** A scenario refused with `message` (file:line:col: path ...), exactly. */
function scenarioRefuses(
  t: TestContext,
  text: string,
  message: (file: string) => string,
  input: RunOptions = {},
): void {
  const file = scenario(t, text);
  refuses({ ...input, scenario: file }, '--scenario', message(file));
}

test('a duration in text needs its unit; bare numbers are seconds only where MQTT counts in seconds', () => {
  for (const [key, flag] of [
    ['duration', '--duration'],
    ['connectTimeout', '--connect-timeout'],
    ['reconnectDelay', '--reconnect-delay'],
    ['drainTimeout', '--drain-timeout'],
    ['hookTimeout', '--hook-timeout'],
    ['statsInterval', '--stats-interval'],
    ['work', '--work'],
  ] as const) {
    refuses({ [key]: '10' }, flag, `${flag} needs a unit: 10s, 500ms or 2m (got "10")`);
  }
  assert.equal(resolveOptions({ duration: '10s' }, {}).durationMs, 10_000);
  assert.equal(resolveOptions({ duration: '1d' }, {}).durationMs, 86_400_000);
  // MQTT's own seconds: keepalive and session expiry.
  assert.equal(resolveOptions({ keepalive: '30' }, {}).keepaliveSec, 30);
  assert.equal(resolveOptions({ mqttVersion: 5, sessionExpiry: '300' }, {}).sessionExpirySec, 300);
});

test('library callers: a JS number is milliseconds (seconds for keepalive and session expiry); NaN, Infinity and negatives are refused', () => {
  const o = resolveOptions(
    {
      duration: 5000,
      connectTimeout: 300,
      reconnectDelay: 0,
      drainTimeout: 250,
      hookTimeout: 1000,
      statsInterval: 200,
      work: 0.5,
      keepalive: 30,
    },
    {},
  );
  assert.deepEqual(
    [
      o.durationMs,
      o.connectTimeoutMs,
      o.reconnectDelayMs,
      o.drainTimeoutMs,
      o.hookTimeoutMs,
      o.statsIntervalMs,
      o.workMs,
      o.keepaliveSec,
    ],
    [5000, 300, 0, 250, 1000, 200, 0.5, 30],
  );
  refuses({ duration: Number.NaN }, '--duration', '--duration must be a duration like 500ms, 10s or 2m (got NaN)');
  refuses(
    { connectTimeout: Number.POSITIVE_INFINITY },
    '--connect-timeout',
    '--connect-timeout must be a duration like 500ms, 10s or 2m (got Infinity)',
  );
  refuses({ drainTimeout: -5 }, '--drain-timeout', '--drain-timeout must be a duration like 500ms, 10s or 2m (got -5)');
  refuses({ clients: Number.NaN }, '--clients', '--clients must be a whole number like 1000, 10k or 1m (got "NaN")');
  refuses({ count: -1 }, '--count', '--count must be a whole number like 1000, 10k or 1m (got "-1")');
  refuses({ rate: Number.POSITIVE_INFINITY }, '--rate', '--rate must be a number (got "Infinity")');
  refuses({ qos: Number.NaN }, '--qos', '--qos must be a number (got "NaN")');
});

test('every duration is bounded: publishing at most 24d, waits at most 1h, stats at least 100ms, --work at most 10s', () => {
  refuses({ duration: '600h' }, '--duration', '--duration must be at most 24d (got "600h")');
  refuses({ duration: 2 ** 31 }, '--duration', '--duration must be at most 24d (got 2147483648)');
  assert.equal(resolveOptions({ duration: '24d' }, {}).durationMs, 24 * 86_400_000);
  refuses({ statsInterval: '1000h' }, '--stats-interval', '--stats-interval must be at most 1h (got "1000h")');
  refuses({ statsInterval: '99ms' }, '--stats-interval', '--stats-interval must be at least 100ms (got "99ms")');
  refuses({ connectTimeout: '2h' }, '--connect-timeout', '--connect-timeout must be at most 1h (got "2h")');
  refuses({ connectTimeout: '0s' }, '--connect-timeout', '--connect-timeout must be at least 1ms (got "0s")');
  refuses({ reconnectDelay: '61m' }, '--reconnect-delay', '--reconnect-delay must be at most 1h (got "61m")');
  refuses({ drainTimeout: '2h' }, '--drain-timeout', '--drain-timeout must be at most 1h (got "2h")');
  refuses({ hookTimeout: '1d' }, '--hook-timeout', '--hook-timeout must be at most 1h (got "1d")');
  refuses({ work: '11s' }, '--work', '--work must be at most 10s (got "11s")');
});

test('--start-at: at most 24h ahead, at most 1h ago', () => {
  const at = (ms: number): string => new Date(Date.now() + ms).toISOString();
  const soon = at(60_000);
  assert.equal(resolveOptions({ startAt: soon }, {}).startAt, Date.parse(soon));
  assert.ok(resolveOptions({ startAt: at(-30 * 60_000) }, {}).startAt !== null, 'a shard may start half an hour late');
  refuses(
    { startAt: '2099-01-01T00:00:00Z' },
    '--start-at',
    '--start-at must be at most 24h ahead (got "2099-01-01T00:00:00Z")',
  );
  const stale = at(-2 * 3_600_000);
  refuses({ startAt: stale }, '--start-at', `--start-at must be at most 1h ago (got "${stale}")`);
});

test('rates and counts are bounded so every plan can be tracked and timed', () => {
  refuses({ clients: '2m' }, '--clients', '--clients must be at most 1000000 (1m) (got 2000000)');
  refuses({ count: '2000m' }, '--count', '--count must be at most 1000000000 (1000m) (got 2000000000)');
  refuses({ rate: 2_000_000 }, '--rate', '--rate must be at most 1000000 msg/s (got 2000000 msg/s)');
  refuses({ rate: '0.00001' }, '--rate', '--rate must be 0 (unpaced) or at least 0.0001 msg/s (got 0.00001 msg/s)');
  refuses(
    { rate: 100_000, duration: '24d' },
    '--rate',
    '--rate 100000 msg/s for 24 days plans 207360000000 messages per client; at most 1000000000 (1000m) (sequence numbers are 32-bit): lower the rate or the duration, or give a count',
  );
  // A count bounds the plan instead.
  assert.equal(resolveOptions({ rate: 100_000, duration: '24d', count: '1m' }, {}).count, 1_000_000);
  refuses(
    { rate: '0.0001', count: 1000 },
    '--rate',
    '--rate 0.0001 msg/s for 1000 messages takes 115.7 days; a run publishes for at most 24d: raise the rate or lower the count',
  );
  refuses(
    { connectRate: '0.0001', clients: 300 },
    '--connect-rate',
    '--connect-rate 0.0001/s takes 34.6 days to connect 300 clients; pacing may take at most 24d',
  );
  refuses({ maxInflight: 65_536 }, '--max-inflight', '--max-inflight must be at most 65535 (got 65536)');
  refuses(
    { reconnectAttempts: '1e9' },
    '--reconnect-attempts',
    '--reconnect-attempts must be a whole number like 1000, 10k or 1m (got "1e9")',
  );
  refuses({ reconnectAttempts: 1001 }, '--reconnect-attempts', '--reconnect-attempts must be at most 1000 (got 1001)');
  assert.equal(resolveOptions({ reconnectAttempts: '1k' }, {}).reconnectAttempts, 1000);
  refuses({ connectConcurrency: 0 }, '--connect-concurrency', '--connect-concurrency must be at least 1 (got 0)');
  refuses(
    { shard: '0/21', runId: 'r' },
    '--shard',
    '--shard: 21 shards for 20 clients would leave shards without a client; use at most 20',
  );
});

test('numbers are decimal: no hex, exponents or Infinity that Number() would read', () => {
  refuses({ qos: '0x1' }, '--qos', '--qos must be a number (got "0x1")');
  refuses({ rate: '1e3' }, '--rate', '--rate must be a number (got "1e3")');
  refuses({ metricsPort: '0x50' }, '--metrics-port', '--metrics-port must be a number (got "0x50")');
  refuses({ count: '1e3' }, '--count', '--count must be a whole number like 1000, 10k or 1m (got "1e3")');
  assert.equal(resolveOptions({ rate: ' 2.5 ' }, {}).rate, 2.5);
});

test("scenario files follow the same rules with the same messages, at the value's line", (t) => {
  const group = (publish: string): string =>
    `groups:\n  - name: a\n    count: 2\n    publish: { topic: 't/{n}', ${publish} }\n`;
  scenarioRefuses(
    t,
    group('duration: 10'),
    (f) => `${f}:4:42: groups[0].publish.duration needs a unit: 10s, 500ms or 2m (got "10")`,
  );
  scenarioRefuses(
    t,
    group('duration: 600h'),
    (f) => `${f}:4:42: groups[0].publish.duration must be at most 24d (got "600h")`,
  );
  scenarioRefuses(
    t,
    group('rate: 100000, duration: 24d'),
    (f) =>
      `${f}:4:38: groups[0].publish.rate 100000 msg/s for 24 days plans 207360000000 messages per client; at most 1000000000 (1000m) (sequence numbers are 32-bit): lower the rate or the duration, or give a count`,
  );
  scenarioRefuses(
    t,
    `defaults:\n  duration: 10\n${group('rate: 5')}`,
    (f) => `${f}:2:13: defaults.duration needs a unit: 10s, 500ms or 2m (got "10")`,
  );
  scenarioRefuses(
    t,
    `defaults:\n  connectTimeout: 3\n${group('rate: 5')}`,
    (f) => `${f}:2:19: defaults.connectTimeout needs a unit: 10s, 500ms or 2m (got "3")`,
  );
  scenarioRefuses(
    t,
    `groups:\n  - name: a\n    count: 2000000\n`,
    (f) => `${f}:3:12: groups[0].count must be at most 1000000 (1m) (got 2000000)`,
  );
  scenarioRefuses(
    t,
    `groups:\n  - { name: a, count: 600000 }\n  - { name: b, count: 600000 }\n`,
    (f) => `${f}:3:23: groups[1].count brings the fleet to 1200000 clients; a fleet has at most 1000000 (1m)`,
  );
  // Keepalive stays in seconds, as MQTT has it.
  assert.equal(
    at(resolveOptions({ scenario: scenario(t, `groups:\n  - { name: a, count: 1, keepalive: 30 }\n`) }, {}).groups, 0)
      .keepaliveSec,
    30,
  );
});

test('booleans take true or false only, from flags, scenarios and library callers alike', (t) => {
  refuses({ clean: 'nope' as unknown as boolean }, '--clean', '--clean must be true or false (got "nope")');
  refuses({ retain: 'false' as unknown as boolean }, '--retain', '--retain must be true or false (got "false")');
  refuses({ insecure: 1 as unknown as boolean }, '--insecure', '--insecure must be true or false (got 1)');
  scenarioRefuses(
    t,
    `defaults:\n  retain: 'yes'\ngroups:\n  - { name: a, count: 1 }\n`,
    (f) => `${f}:2:11: defaults.retain must be true or false (got "yes")`,
  );
  scenarioRefuses(
    t,
    `groups:\n  - { name: a, count: 1, clean: 'no' }\n`,
    (f) => `${f}:2:33: groups[0].clean must be true or false (got "no")`,
  );
  assert.equal(resolveOptions({ clean: false }, {}).clean, false);
});

test('an empty broker URL is refused; an empty list is the embedded broker', () => {
  refuses(
    { brokers: [''] },
    '--broker',
    '--broker must not be empty: give a URL like mqtt://127.0.0.1:1883, or leave --broker out for the embedded broker',
  );
  refuses(
    { brokers: ['mqtt://127.0.0.1:1', ' '] },
    '--broker',
    '--broker must not be empty: give a URL like mqtt://127.0.0.1:1883, or leave --broker out for the embedded broker',
  );
  assert.equal(resolveOptions({ brokers: [] }, {}).embeddedBroker, true);
});

test('a YAML alias bomb, an alias inside its own anchor and deep nesting are scenario errors at their line', (t) => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let n = 1; n < 9; n++)
    levels.push(
      `${String.fromCharCode(97 + n)}: &${String.fromCharCode(97 + n)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + n)}`)
        .join(', ')}]`,
    );
  const started = performance.now();
  scenarioRefuses(
    t,
    `${levels.join('\n')}\ngroups:\n  - { name: g, count: 1 }\n`,
    (f) => `${f}:5:36: aliases expand the scenario by more than 100000 values (an alias bomb?)`,
  );
  assert.ok(performance.now() - started < 1000, 'refused without expanding it');
  scenarioRefuses(t, `groups: &g\n  - *g\n`, (f) => `${f}:2:5: alias *g refers to a node that holds it`);
  scenarioRefuses(t, `groups: ${'['.repeat(70)}${']'.repeat(70)}\n`, (f) => `${f}:1:73: nests deeper than 64 levels`);
  // Plain reuse is fine.
  const reuse = `groups:\n  - { name: a, count: 1, publish: &pub { topic: 't/{n}', rate: 5 } }\n  - { name: b, count: 1, publish: *pub }\n`;
  assert.equal(resolveOptions({ scenario: scenario(t, reuse) }, {}).groups.length, 2);
});

test('strings MQTT carries with a two-byte length are checked as the last client renders them, without rendering every client', (t) => {
  const long = (n: number): string => 'a'.repeat(n);
  // fleet/{i} for client 999999 of a million: checked at once, not client by client.
  const started = performance.now();
  refuses(
    { clients: '1m', threads: 0, topic: `${long(65_530)}/{i}` },
    '--topic',
    '--topic renders to 65537 bytes for client 999999; MQTT allows at most 65535 bytes in a topic',
  );
  assert.ok(performance.now() - started < 1000, `refused in ${Math.round(performance.now() - started)} ms`);
  assert.equal(
    resolveOptions({ clients: 10, topic: `${long(65_533)}/{i}` }, {}).topic.length,
    65_537,
    'exactly 65535 bytes for client 9 is fine',
  );
  refuses(
    { clients: 10, topic: `${long(65_534)}/{i}` },
    '--topic',
    '--topic renders to 65536 bytes for client 9; MQTT allows at most 65535 bytes in a topic',
  );
  refuses(
    { clients: 20, subTopic: `x/{id}/${long(65_520)}`, runId: 'r' },
    '--sub-topic',
    '--sub-topic renders to 65538 bytes for client 19; MQTT allows at most 65535 bytes in a topic filter',
  );
  refuses(
    { idPrefix: long(65_534) },
    '--id-prefix',
    '--id-prefix renders to 65536 bytes for client 19; MQTT allows at most 65535 bytes in a client id',
  );
  refuses(
    { username: long(65_536) },
    '--username',
    '--username is 65536 bytes; MQTT allows at most 65535 bytes in a user name',
  );
  refuses(
    { username: 'u', password: 'é'.repeat(32_768) },
    '--password',
    '--password is 65536 bytes; MQTT allows at most 65535 bytes in a password',
  );
  scenarioRefuses(
    t,
    `groups:\n  - name: ${long(65_530)}\n    count: 1\n`,
    (f) =>
      `${f}:2:11: groups[0].name renders to ${65_530 + 'mqtt-fleet-r--0'.length} bytes for client 0; MQTT allows at most 65535 bytes in a client id`,
    { runId: 'r' },
  );
  scenarioRefuses(
    t,
    `groups:\n  - name: a\n    count: 1\n    will: { topic: 'w/${long(65_534)}' }\n`,
    (f) =>
      `${f}:4:20: groups[0].will.topic renders to 65536 bytes for client 0; MQTT allows at most 65535 bytes in a topic`,
  );
  scenarioRefuses(
    t,
    `groups:\n  - name: a\n    count: 1\n    will: { topic: w, payload: '${long(65_536)}' }\n`,
    (f) =>
      `${f}:4:32: groups[0].will.payload renders to 65536 bytes for client 0; MQTT allows at most 65535 bytes in a will payload`,
  );
  scenarioRefuses(
    t,
    `groups:\n  - name: a\n    count: 1\n    subscribe: [ok, 's/${long(65_534)}']\n`,
    (f) =>
      `${f}:4:21: groups[0].subscribe[1] renders to 65536 bytes for client 0; MQTT allows at most 65535 bytes in a topic filter`,
  );
  scenarioRefuses(
    t,
    `groups:\n  - name: a\n    count: 1\n    mqttVersion: 5\n    publish: { topic: t, properties: { userProperties: { k: '${long(65_536)}' } } }\n`,
    (f) =>
      `${f}:5:56: groups[0].publish.properties.userProperties is 65536 bytes; MQTT allows at most 65535 bytes in a user property`,
  );
});

test("--size is bounded by what one PUBLISH can carry: MQTT's remaining length less the topic, packet id and properties", (t) => {
  // 268,435,455 - 2 (topic length) - 8 ("fleet/19") = 268,435,445 at QoS 0; 2 bytes less at QoS 1 (packet id).
  assert.equal(resolveOptions({ size: 268_435_445 }, {}).size, 268_435_445);
  refuses(
    { size: 268_435_446 },
    '--size',
    '--size does not fit in one MQTT packet: at most 268435445 bytes with the topic of client 19 (8 bytes) at QoS 0 (got 268435446)',
  );
  refuses(
    { size: 268_435_444, qos: 1 },
    '--size',
    '--size does not fit in one MQTT packet: at most 268435443 bytes with the topic of client 19 (8 bytes) at QoS 1 (got 268435444)',
  );
  refuses(
    { size: '256mib' },
    '--size',
    "--size must be at most 268435455 bytes, MQTT's largest packet, less its topic (got 268435456)",
  );
  scenarioRefuses(
    t,
    `groups:\n  - name: a\n    count: 1\n    mqttVersion: 5\n    publish: { topic: t, payload: '${'{rand:9999}'.repeat(13_500)}' }\n`,
    (f) =>
      `${f}:5:35: groups[0].publish.payload does not fit in one MQTT packet: at most 268435372 bytes with the topic of client 0 (1 bytes) and its MQTT 5 properties (80 bytes) at QoS 0 (it renders to up to 269973000)`,
  );
});

test("a PUBLISH's MQTT 5 properties count against what it can carry, all of them, as the session sends them", (t) => {
  // 268,435,455 - 2 (topic length) - 8 ("fleet/19") - 1 (an empty property list) = 268,435,444 with MQTT 5.
  assert.equal(resolveOptions({ size: 268_435_444, mqttVersion: '5' }, {}).size, 268_435_444);
  // Content type 3 + 60,000, message expiry 1 + 4, topic alias 1 + 2: 60,011 bytes of properties and a 3-byte length.
  const v5 = { mqttVersion: '5', contentType: 'x'.repeat(60_000), messageExpiry: '1h', topicAlias: true };
  assert.equal(resolveOptions({ ...v5, size: 268_435_444 - 60_013 }, {}).size, 268_435_444 - 60_013);
  refuses(
    { ...v5, size: 268_435_444 - 60_012 },
    '--size',
    '--size does not fit in one MQTT packet: at most 268375431 bytes with the topic of client 19 (8 bytes) and its MQTT 5 properties (60014 bytes) at QoS 0 (got 268375432)',
  );
  // A request carries its response topic (3 + 60,000) and correlation data (3 + 16): 60,022 and a 3-byte length.
  const topic = 'r'.repeat(60_000);
  scenarioRefuses(
    t,
    `groups:\n  - name: a\n    count: 1\n    mqttVersion: 5\n    request: { responseTopic: '${topic}' }\n    publish: { topic: t, size: 268435000 }\n`,
    (f) =>
      `${f}:6:32: groups[0].publish.size does not fit in one MQTT packet: at most 268375427 bytes with the topic of client 0 (1 bytes) and its MQTT 5 properties (60025 bytes) at QoS 0 (got 268435000)`,
  );
});

test('payloads and connections must fit in memory, computed before anything is allocated', async () => {
  const { checkMemory } = await import('../../src/options/limits.js');
  const big = resolveOptions(
    { clients: 20, size: 200_000_000, qos: 1, count: 100, brokers: ['mqtt://127.0.0.1:1'] },
    {},
  );
  // 20 publishers x 200 MB x (payload + 20 unacknowledged) + 20 subscribers x 2 x 200 MB, and 20 threads.
  assert.throws(
    () => checkMemory(big, 64 * 2 ** 30),
    (e: unknown) =>
      e instanceof UsageError &&
      e.option === '--size' &&
      e.message.startsWith(
        '--size: 20 clients need about 85.9 GB of memory, 85.7 GB of it for payloads of up to 200000000 bytes (each publisher holds its payload and its unacknowledged messages, up to --max-inflight at QoS 1/2; each subscriber one being received), and this machine has 62 GB to spare',
      ),
  );
  checkMemory(big, 128 * 2 ** 30);
  checkMemory(resolveOptions({ clients: 20 }, {}), 4 * 2 ** 30);
  const many = resolveOptions({ clients: '1m', threads: 0, brokers: ['mqtt://127.0.0.1:1'] }, {});
  assert.throws(
    () => checkMemory(many, 16 * 2 ** 30),
    (e: unknown) =>
      e instanceof UsageError &&
      e.option === '--clients' &&
      /^--clients: 1000000 clients need about 47\.9 GB of memory, 0\.2 GB of it for payloads/.test(e.message),
  );
});

test('option files: regular files only, each kind within its size limit, refused naming the option and the file', (t) => {
  const dir = tempDir(t, 'files');
  const big = join(dir, 'big.pem');
  writeFileSync(big, '');
  truncateSync(big, 2 * 1024 * 1024); // sparse: 2 MiB without writing them
  refuses({ ca: big }, '--ca', `--ca: "${big}" is 2097152 bytes, over the 1 MiB limit`);
  refuses({ ca: '/dev/zero' }, '--ca', '--ca: "/dev/zero" is not a regular file');
  refuses(
    { username: 'u', passwordFile: '/dev/zero' },
    '--password-file',
    '--password-file: "/dev/zero" is not a regular file',
  );
  refuses({ scenario: '/dev/zero' }, '--scenario', '--scenario: "/dev/zero" is not a regular file');
  const fifo = join(dir, 'pw.fifo');
  execFileSync('mkfifo', [fifo]);
  const started = performance.now();
  refuses({ username: 'u', passwordFile: fifo }, '--password-file', `--password-file: "${fifo}" is not a regular file`);
  assert.ok(performance.now() - started < 1000, 'a FIFO without a writer does not block');
  const yaml = join(dir, 'big.yaml');
  writeFileSync(yaml, '');
  truncateSync(yaml, 5 * 1024 * 1024);
  refuses({ scenario: yaml }, '--scenario', `--scenario: "${yaml}" is 5242880 bytes, over the 4 MiB limit`);
  refuses({ ca: dir }, '--ca', `--ca: cannot read "${dir}" (EISDIR)`);
  const pem = join(dir, 'ok.pem');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n');
  assert.equal(resolveOptions({ ca: pem }, {}).tls.ca, '-----BEGIN CERTIFICATE-----\n');
});
