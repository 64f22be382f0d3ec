import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { run } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { runForTest } from './helpers/run.js';
import { tempFile } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';

const file = (t: TestContext, name: string, text: string): string => tempFile(t, name, text, 'scenario');

// Each test has a broker of its own and mostly waits on its plan: side by side.
describe('scenario runs', { concurrency: 3 }, () => {
  test('the smart-home example runs against the embedded broker: every group, every message accounted for', async (t) => {
    const cli = spawnCli(t, ['run', '--scenario', 'examples/smart-home.yaml', '--duration', '2s', '--json'], {
      json: true,
    });
    const { code } = await withTimeout(cli.exit, 60_000, 'the scenario run');
    assert.equal(code, 0, cli.stderr());
    const summary = cli.lines.at(-1)!;
    assert.deepEqual(summary.groups, [
      { name: 'devices', clients: 12, mode: 'thread-per-client', threads: 12 },
      { name: 'controller', clients: 12, mode: 'single-loop', threads: 0 },
      { name: 'apps', clients: 2, mode: 'single-loop', threads: 0 },
    ]);
    assert.equal(summary.mode, 'mixed');
    // devices 12 x 2/s, controller 12 x 1/s, for 2 s; apps hear every device, each device its commands.
    assert.equal(summary.published, 12 * 2 * 2 + 12 * 2);
    assert.equal(summary.expected, 2 * (12 * 2 * 2) + 12 * 2);
    assert.equal(summary.lost, 0);
    assert.match(
      cli.stderr(),
      /devices x 12, one worker thread per client; controller x 12, all on the main event loop/,
    );
  });

  test('payload templates: tracked through an MQTT 5 user property, untracked with MQTT 3.1.1', async (t) => {
    const broker = await aedesForTest(t);
    const seen: string[] = [];
    broker.broker.on(
      'publish',
      (packet, client) => client && packet.topic.startsWith('tpl/') && seen.push(packet.payload.toString()),
    );
    const path = file(
      t,
      'tpl.yaml',
      `groups:\n  - name: v3\n    count: 2\n    threads: 0\n    subscribe: ['tpl/v3/{n}']\n    publish: { topic: 'tpl/v3/{n}', rate: 50, count: 5, payload: '{"n":{n},"seq":{seq},"r":"{rand:4}"}' }\n`,
    );
    const summary = await run({ scenario: path, brokers: [broker.url] });
    assert.equal(summary.published, 10);
    assert.equal(summary.expected, 0, 'MQTT 3.1.1 templates cannot carry the header: not sequence-tracked');
    assert.equal(summary.foreign, 10);
    assert.ok(
      seen.some((p) => /^\{"n":1,"seq":4,"r":"[0-9a-f]{8}"\}$/.test(p)),
      seen.join(' '),
    );
  });

  test('messages without a readable header are waited for like tracked ones: delivered half a second late, every one is counted as foreign', async (t) => {
    const broker = await aedesForTest(t);
    // Every PUBLISH to a client held 500 ms: all five of each client still on their way when its plan ends.
    const proxy = await new FaultProxy(broker.port, 'late', () => 'forward').listen();
    t.after(() => proxy.close());
    proxy.delay = { cmd: 'publish', ms: 500 };
    const path = file(
      t,
      'late.yaml',
      `groups:\n  - name: v3\n    count: 2\n    threads: 0\n    subscribe: ['late/{n}']\n    publish: { topic: 'late/{n}', rate: 50, count: 5, payload: 'n{n}-{seq}' }\n`,
    );
    const summary = await runForTest(t, { scenario: path, brokers: [proxy.url] });
    assert.equal(summary.published, 10);
    assert.equal(summary.expected, 0);
    assert.equal(proxy.delayed, 10, 'every message went through the delay');
    assert.equal(summary.foreign, 10, 'the run waited for them before it stopped');
    assert.equal(summary.exitCode, 0);
  });
});
