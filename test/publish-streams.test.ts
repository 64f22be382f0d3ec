import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { run } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { infoLogger } from './helpers/logger.js';
import { tempDir, tempFile } from './helpers/temp.js';

/** What a subscriber's hook saw of one message: its topic, QoS, size and the header fields. */
interface Seen {
  topic: string;
  qos: number;
  bytes: number;
  publisher: number;
  seq: number;
  scheduledAt: number;
}

/** Logs every received message's topic, QoS, size and header (from the payload, or the MQTT 5 property). */
const SEEN_HOOK = `
export function onMessage(ctx, m) {
  const hex = m.properties?.userProperties?.['mqtt-fleet'];
  const h = typeof hex === 'string' ? Buffer.from(hex, 'hex') : Buffer.from(m.payload);
  ctx.log('seen ' + JSON.stringify({ topic: m.topic, qos: m.qos, bytes: m.payload.length,
    publisher: h.readUInt32LE(8), seq: h.readUInt32LE(12), scheduledAt: h.readDoubleLE(24) }));
}`;

function collector(): { seen: Seen[]; logger: ReturnType<typeof infoLogger> } {
  const seen: Seen[] = [];
  const logger = infoLogger((line) => {
    const m = / seen (\{.*\})$/.exec(line);
    if (m) seen.push(JSON.parse(m[1]!) as Seen);
  });
  return { seen, logger };
}

// Each test has a broker of its own; the README's example spends its 5 s waiting on its plan: side by side.
// The clients run on the main event loop where threads are not what is checked (a thread costs ~0.1 CPU-s to start).
describe('several streams per client', { concurrency: 3 }, () => {
  test('a group with two streams at different rates, QoS and sizes: each numbered and accounted for on its own', async (t) => {
    const broker = await aedesForTest(t);
    const hook = tempFile(t, 'seen.mjs', SEEN_HOOK);
    const scenario = tempFile(
      t,
      'streams.yaml',
      [
        'groups:',
        '  - name: devices',
        '    count: 2',
        '    threads: 0',
        '    publish:',
        "      - { topic: 'ms/{n}/fast', rate: 50, count: 20, qos: 1, size: 100 }",
        "      - { topic: 'ms/{n}/slow', rate: 10, count: 4, qos: 0, size: 40 }",
        '  - name: all',
        '    count: 1',
        '    threads: 0',
        "    subscribe: [{ topic: 'ms/+/+', qos: 2 }]",
        `    workload: ${hook}`,
        '  - name: slow-only',
        '    count: 1',
        '    threads: 0',
        "    subscribe: [{ topic: 'ms/+/slow', qos: 2 }]",
      ].join('\n'),
    );
    const { seen, logger } = collector();
    const summary = await run({ scenario, brokers: [broker.url], logger });
    assert.equal(summary.published, 2 * (20 + 4));
    // `all` hears both streams of both devices, `slow-only` the slow ones.
    assert.equal(summary.expected, 2 * (20 + 4) + 2 * 4);
    assert.equal(summary.received, summary.expected);
    assert.equal(summary.lost, 0);
    assert.equal(summary.duplicates, 0, 'two streams of one client never share sequence numbers');
    assert.equal(summary.foreign, 0);

    assert.equal(seen.length, 48);
    for (const n of [0, 1]) {
      for (const [name, count, qos, bytes, period, source] of [
        ['fast', 20, 1, 100, 20, n],
        ['slow', 4, 0, 40, 100, n + 2 ** 24],
      ] as const) {
        const mine = seen.filter((s) => s.topic === `ms/${n}/${name}`).sort((a, b) => a.seq - b.seq);
        assert.deepEqual(
          mine.map((s) => s.seq),
          Array.from({ length: count }, (_, k) => k),
          `${name} of ${n}: its own numbers from 0`,
        );
        assert.ok(
          mine.every((s) => s.qos === qos && s.bytes === bytes && s.publisher === source),
          JSON.stringify(mine[0]),
        );
        // Each stream keeps its own schedule: consecutive messages one period of its rate apart.
        for (let k = 1; k < mine.length; k++)
          assert.ok(Math.abs(mine[k]!.scheduledAt - mine[k - 1]!.scheduledAt - period) < 0.01, `${name} period`);
      }
    }
  });

  test('streams of one client on Mosquitto at MQTT 5: a template stream tracked through its property beside a plain one, retain per stream', async (t) => {
    const mosquitto = await Mosquitto.start('', { verbose: false });
    t.after(() => mosquitto.stop());
    const hook = tempFile(t, 'seen.mjs', SEEN_HOOK);
    const scenario = tempFile(
      t,
      'streams5.yaml',
      [
        'defaults: { mqttVersion: 5 }',
        'groups:',
        '  - name: sensors',
        '    count: 3',
        '    threads: 0',
        '    publish:',
        "      - { topic: 'm5/{n}/t', rate: 40, count: 12, qos: 2, payload: '{\"seq\":{seq}}' }",
        "      - { topic: 'm5/{n}/s', rate: 20, count: 3, qos: 1, retain: true }",
        '  - name: readers',
        '    count: 1',
        '    threads: 0',
        "    subscribe: [{ topic: 'm5/#', qos: 2 }]",
        `    workload: ${hook}`,
      ].join('\n'),
    );
    const { seen, logger } = collector();
    const summary = await run({ scenario, brokers: [mosquitto.url], logger });
    assert.equal(summary.published, 3 * 15);
    assert.equal(summary.expected, 3 * 15);
    assert.equal(summary.received, 3 * 15);
    assert.equal(summary.lost, 0);
    assert.equal(summary.duplicates, 0);
    const templated = seen.filter((s) => s.topic.endsWith('/t'));
    assert.equal(templated.length, 36);
    assert.ok(templated.every((s) => s.qos === 2 && s.bytes === `{"seq":${s.seq}}`.length));
    assert.equal(seen.filter((s) => s.topic.endsWith('/s') && s.qos === 1).length, 9);
    // The retained stream left its last message on the broker; the template stream did not.
    const later = await run({
      brokers: [mosquitto.url],
      clients: 1,
      count: 1,
      topic: 'other',
      subTopic: 'm5/#',
      threads: 0,
    });
    assert.equal(later.retained, 3);
  });

  test("the README's Protocol features example runs as it says: three streams per meter, a generator and files, all accounted for (Mosquitto)", async (t) => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Protocol features'));
    const yaml = /```yaml\n# fleet\.yaml[^\n]*\n([\s\S]*?)```/.exec(section)?.[1];
    const js = /```js\n\/\/ workloads\/meter\.mjs\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(yaml && js, 'the section has the scenario and its workload');
    const dir = tempDir(t, 'readme-streams');
    mkdirSync(join(dir, 'samples'));
    mkdirSync(join(dir, 'workloads'));
    writeFileSync(join(dir, 'samples', 'a.cbor'), randomBytes(100));
    writeFileSync(join(dir, 'samples', 'b.cbor'), randomBytes(7));
    writeFileSync(join(dir, 'workloads', 'meter.mjs'), js);
    writeFileSync(join(dir, 'fleet.yaml'), yaml);
    const mosquitto = await Mosquitto.start('', { verbose: false });
    t.after(() => mosquitto.stop());
    const summary = await run({ scenario: join(dir, 'fleet.yaml'), brokers: [mosquitto.url] });
    assert.equal(summary.published, 1260);
    assert.equal(summary.expected, 2520);
    assert.equal(summary.received, 2520);
    assert.equal(summary.lost, 0);
    assert.equal(summary.duplicates, 0);
  });
});
