import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { run } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { infoLogger } from './helpers/logger.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { refused } from './helpers/refused.js';
import { ConnectCounter } from './helpers/tcp.js';
import { tempDir, tempFile } from './helpers/temp.js';
import { rejectsUsage } from './helpers/usage.js';

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * A subscriber hook that logs, per message, the sequence number from the header in the MQTT 5
 * user property and a digest of the payload's bytes exactly as received.
 */
const DIGEST_HOOK = `
import { createHash } from 'node:crypto';
export function onMessage(ctx, m) {
  const hex = m.properties?.userProperties?.['mqtt-fleet'];
  const seq = typeof hex === 'string' ? Buffer.from(hex, 'hex').readUInt32LE(12) : -1;
  ctx.log('got ' + m.topic + ' ' + seq + ' ' + m.payload.length + ' ' + createHash('sha256').update(m.payload).digest('hex'));
}`;

interface Got {
  topic: string;
  seq: number;
  bytes: number;
  sha: string;
}

function digests(): { got: Got[]; lines: string[]; logger: ReturnType<typeof infoLogger> } {
  const got: Got[] = [];
  const lines: string[] = [];
  const logger = infoLogger((line) => {
    const m = / got (\S+) (-?\d+) (\d+) ([0-9a-f]{64})$/.exec(line);
    if (m) got.push({ topic: m[1]!, seq: Number(m[2]), bytes: Number(m[3]), sha: m[4]! });
    else lines.push(line);
  });
  return { got, lines, logger };
}

/** Random bytes with NUL bytes forced in (first, last and every 7th): binary, not text. */
function binary(length: number): Buffer {
  const bytes = randomBytes(length);
  for (let n = 0; n < length; n += 7) bytes[n] = 0;
  bytes[length - 1] = 0;
  return bytes;
}

/** A folder of sample payloads beside a scenario that names them relative to itself. */
function samples(t: TestContext, files: Record<string, Buffer>): string {
  const dir = tempDir(t, 'payloads');
  mkdirSync(join(dir, 'samples'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, 'samples', name), bytes);
  return dir;
}

test('binary payload files round-trip byte for byte, round-robin in name order, tracked in the MQTT 5 property (Mosquitto)', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  // CBOR-like bytes, random bytes with NULs, one byte: three sizes, one order (by name).
  const files = {
    'a.cbor': Buffer.from([0xa2, 0x61, 0x74, 0xfb, 0x40, 0x36, 0x80, 0, 0, 0, 0, 0, 0x61, 0x6e, 0x00]),
    'b.cbor': binary(3000),
    'c.cbor': Buffer.from([0]),
    'skip.json': Buffer.from('{"not":"matched"}'),
  };
  const order = [files['a.cbor'], files['b.cbor'], files['c.cbor']];
  const dir = samples(t, files);
  const hook = tempFile(t, 'digest.mjs', DIGEST_HOOK);
  const scenario = join(dir, 'files.yaml');
  writeFileSync(
    scenario,
    [
      'defaults: { mqttVersion: 5, qos: 1 }',
      'groups:',
      '  - name: devices',
      '    count: 2',
      "    publish: { topic: 'bin/{n}', rate: 50, count: 7, payload: '@file:samples/*.cbor' }",
      '  - name: checker',
      '    count: 1',
      '    threads: 0',
      "    subscribe: ['bin/+']",
      `    workload: ${hook}`,
    ].join('\n'),
  );
  const { got, logger } = digests();
  const summary = await run({ scenario, brokers: [mosquitto.url], logger });
  assert.equal(summary.published, 14);
  assert.equal(summary.expected, 14, 'the header rides in a user property: every message is accounted for');
  assert.equal(summary.received, 14);
  assert.equal(summary.lost, 0);
  assert.equal(got.length, 14);
  for (const g of got) {
    const want = order[g.seq % 3]!;
    assert.equal(g.bytes, want.length, `${g.topic} #${g.seq}`);
    assert.equal(g.sha, sha(want), `${g.topic} #${g.seq}: byte for byte`);
  }
  assert.deepEqual(
    got
      .filter((g) => g.topic === 'bin/0')
      .map((g) => g.seq)
      .sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6],
  );
});

test('payload files at MQTT 3.1.1: the bytes as they are, so untracked (foreign), and one file without a pattern', async (t) => {
  const broker = await aedesForTest(t);
  const one = binary(512);
  const dir = samples(t, { 'one.bin': one });
  const hook = tempFile(t, 'digest.mjs', DIGEST_HOOK);
  const scenario = join(dir, 'v3.yaml');
  writeFileSync(
    scenario,
    [
      'groups:',
      '  - name: devices',
      '    count: 1',
      '    threads: 0',
      "    publish: { topic: 'v3/bin', rate: 50, count: 4, payload: '@file:samples/one.bin' }",
      '  - name: checker',
      '    count: 1',
      '    threads: 0',
      "    subscribe: ['v3/bin']",
      `    workload: ${hook}`,
    ].join('\n'),
  );
  const { got, logger } = digests();
  const summary = await run({ scenario, brokers: [broker.url], logger });
  assert.equal(summary.published, 4);
  assert.equal(summary.expected, 0);
  assert.equal(summary.foreign, 4);
  assert.deepEqual(
    got.map((g) => g.sha),
    [sha(one), sha(one), sha(one), sha(one)],
  );
  // Read per run (per lane), not once per process: a second run in this process sends the file as it is now.
  const changed = binary(300);
  writeFileSync(join(dir, 'samples', 'one.bin'), changed);
  got.length = 0;
  await run({ scenario, brokers: [broker.url], logger });
  assert.deepEqual(
    got.map((g) => g.sha),
    [sha(changed), sha(changed), sha(changed), sha(changed)],
  );
});

test('a payload generator: called with (ctx, seq, stream) per message of each stream, its bytes sent as made, header in the property (Mosquitto)', async (t) => {
  const broker = await Mosquitto.start('', { verbose: false });
  t.after(() => broker.stop());
  const workload = tempFile(
    t,
    'gen.mjs',
    `${DIGEST_HOOK}
export function payload(ctx, seq, stream) {
  ctx.log('made ' + ctx.index + ' ' + stream.index + ' ' + seq);
  if (stream.index === 1) return new Uint8Array([0, seq, 255, 0]);
  return 'gen:' + ctx.clientId + ':' + seq + ':' + stream.topic;
}`,
  );
  const scenario = tempFile(
    t,
    'gen.yaml',
    [
      'defaults: { mqttVersion: 5 }',
      'groups:',
      '  - name: devices',
      '    count: 2',
      '    threads: 1',
      "    clientId: 'gen-{n}'",
      `    workload: ${workload}`,
      '    publish:',
      "      - { topic: 'gen/{n}/text', rate: 50, count: 5, payload: '@workload' }",
      "      - { topic: 'gen/{n}/bin', rate: 20, count: 3, qos: 1, payload: '@workload' }",
      '  - name: checker',
      '    count: 1',
      '    threads: 0',
      "    subscribe: ['gen/#']",
      `    workload: ${workload}`,
    ].join('\n'),
  );
  const { got, lines, logger } = digests();
  const summary = await run({ scenario, brokers: [broker.url], logger });
  assert.equal(summary.published, 2 * 8);
  assert.equal(summary.expected, 16);
  assert.equal(summary.lost, 0);
  const made = lines.flatMap((l) => / made (\d+) (\d+) (\d+)$/.exec(l)?.slice(1).join(' ') ?? []);
  assert.deepEqual(
    made.sort(),
    ['0 0 0', '0 0 1', '0 0 2', '0 0 3', '0 0 4', '0 1 0', '0 1 1', '0 1 2']
      .flatMap((m) => [m, `1${m.slice(1)}`])
      .sort(),
  );
  for (const g of got) {
    const [, n, kind] = g.topic.split('/');
    const want = kind === 'bin' ? Buffer.from([0, g.seq, 255, 0]) : Buffer.from(`gen:gen-${n}:${g.seq}:gen/${n}/text`);
    assert.equal(g.sha, sha(want), `${g.topic} #${g.seq}`);
  }
  assert.equal(got.length, 16);
});

test('a generator that throws fails its client, which stops publishing there; the others carry on', async (t) => {
  const broker = await Mosquitto.start('', { verbose: false });
  t.after(() => broker.stop());
  const workload = tempFile(
    t,
    'bad-gen.mjs',
    `export function payload(ctx, seq) { if (ctx.index === 1 && seq === 2) throw new Error('no more'); return 'ok ' + seq; }`,
  );
  const scenario = tempFile(
    t,
    'bad-gen.yaml',
    [
      'defaults: { mqttVersion: 5 }',
      'groups:',
      '  - name: devices',
      '    count: 2',
      '    threads: 0',
      `    workload: ${workload}`,
      "    publish: { topic: 'bad/{n}', rate: 50, count: 5, payload: '@workload' }",
      '  - name: checker',
      '    count: 1',
      '    threads: 0',
      "    subscribe: ['bad/+']",
    ].join('\n'),
  );
  const summary = await run({ scenario, brokers: [broker.url], logger: infoLogger(() => {}) });
  assert.equal(summary.failed, 1);
  assert.equal(summary.published, 5 + 2, 'the failing client sent what it had made, nothing after');
  assert.equal(summary.received, 7);
  assert.equal(summary.lost, 0);
});

test('bad payload sources and stream lists exit 2 before anything connects, naming the setting', async (t) => {
  const dir = samples(t, { 'a.bin': binary(10) });
  symlinkSync(join(dir, 'nowhere.bin'), join(dir, 'samples', 'broken.bin'));
  const gen = tempFile(t, 'nogen.mjs', 'export function onMessage() {}');
  // A broker that counts: a refusal that came only after connecting would show here.
  const broker = await new ConnectCounter().listen();
  t.after(() => broker.close());
  const write = (name: string, publish: string, extra: string[] = []): string => {
    const path = join(dir, name);
    writeFileSync(path, ['groups:', '  - name: g', '    count: 1', ...extra, `    publish: ${publish}`].join('\n'));
    return path;
  };
  // The CLI on one: exit 2 with its line alone on stderr, and nothing reached the broker.
  const none = write('none.yaml', "{ topic: t, count: 1, payload: '@file:samples/*.json' }");
  await refused(
    t,
    ['run', '--scenario', none, '--broker', broker.url],
    `${none}:4:45: groups[0].publish.payload: "@file:samples/*.json" matches no file`,
  );
  assert.equal(broker.connections, 0, `no connection for ${none}`);
  /** run() on `scenario`, in this process (the CLI's run calls it): refused with `line`, nothing reached the broker. */
  const refusedScenario = async (scenario: string, line: (path: string) => string): Promise<void> => {
    await rejectsUsage(run({ scenario, brokers: [broker.url], logger: infoLogger(() => {}) }), line(scenario));
    assert.equal(broker.connections, 0, `no connection for ${scenario}`);
  };
  await refusedScenario(
    write('broken.yaml', "{ topic: t, count: 1, payload: '@file:samples/broken.bin' }"),
    (f) => `${f}:4:45: groups[0].publish.payload: cannot read "${join(dir, 'samples', 'broken.bin')}" (ENOENT)`,
  );
  await refusedScenario(
    write('folder.yaml', "{ topic: t, count: 1, payload: '@file:sam*/a.bin' }"),
    (f) =>
      `${f}:4:45: groups[0].publish.payload: "@file:sam*/a.bin" has a wildcard in a folder name; only the file name may have * or ?`,
  );
  await refusedScenario(
    write('sized.yaml', "{ topic: t, count: 1, size: 10, payload: '@file:samples/a.bin' }"),
    (f) =>
      `${f}:4:42: groups[0].publish.size and payload do not go together: a payload template, its files or its generator make its size`,
  );
  await refusedScenario(
    write('nomodule.yaml', "{ topic: t, count: 1, payload: '@workload' }"),
    (f) =>
      `${f}:4:45: groups[0].publish.payload is @workload, which needs a workload module exporting payload(ctx, seq): the group's workload, or --workload`,
  );
  await refusedScenario(
    write('nogen.yaml', "{ topic: t, count: 1, payload: '@workload' }", [`    workload: ${gen}`]),
    (f) => `${f}: group g takes payloads from @workload, and the workload ${gen} exports no payload(ctx, seq) function`,
  );
  await refusedScenario(
    write('empty.yaml', '[]'),
    (f) => `${f}:4:14: groups[0].publish must list at least one stream (or be left out)`,
  );
  await refusedScenario(
    write('many.yaml', `[${Array.from({ length: 17 }, (_, k) => `{ topic: t${k}, count: 1 }`).join(', ')}]`),
    (f) => `${f}:4:14: groups[0].publish lists 17 streams; a client publishes at most 16`,
  );
  await refusedScenario(
    write('listed.yaml', "[{ topic: a, count: 1 }, { topic: b, count: 1, payload: '@file:samples/x*' }]"),
    (f) => `${f}:4:70: groups[0].publish[1].payload: "@file:samples/x*" matches no file`,
  );
});
