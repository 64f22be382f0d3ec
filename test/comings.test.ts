import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { resolveOptions, UsageError, type RunEvent, type RunOptions, type Summary } from '../src/index.js';
import { at } from '../src/mqtt/checked.js';
import { readRun, runReportHtml } from '../src/report/run-report.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { metric, metricsUrl } from './helpers/prometheus.js';
import { runForTest } from './helpers/run.js';
import { tempDir, tempFile } from './helpers/temp.js';
import { renderedDom } from './helpers/chromium.js';
import { withTimeout } from './helpers/wait.js';

type Stats = Extract<RunEvent, { type: 'stats' }>;

async function mosquittoForTest(t: TestContext): Promise<Mosquitto> {
  const broker = await Mosquitto.start('', { verbose: false });
  t.after(() => broker.stop());
  return broker;
}

/**
 * A 10-client plan, 3 s up, 2 s held, 3 s down, at QoS 1: the connected count follows the plan
 * (within one client of what it was over the last second), and every message is accounted for
 * while clients come and go.
 */
async function rampUpAndDown(t: TestContext, threads: string | number): Promise<void> {
  const broker = await aedesForTest(t);
  const stats: Stats[] = [];
  const statuses: string[] = [];
  const summary: Summary = await runForTest(t, {
    brokers: [broker.url],
    clients: 12,
    clientStages: '3s:10,2s:hold,3s:0',
    rate: 20,
    qos: 1,
    threads,
    statsInterval: '250ms',
    onEvent: (e) => {
      if (e.type === 'stats') stats.push(e);
      if (e.type === 'status') statuses.push(e.state);
    },
  });
  const planned = stats.filter((s) => s.plannedClients !== undefined && s.plannedClients > 0);
  assert.ok(planned.length >= 20, `stats lines while the plan ran: ${planned.length}`);
  assert.ok(Math.max(...stats.map((s) => s.connected)) === 10, 'the peak is the plan’s, not the fleet’s 12');
  // A join takes a connection's time (longer on a busy machine): the count may trail the plan by up to a second.
  // The second is measured in time, not in lines: a busy machine can delay a stats line, and the plan
  // in force a second ago is that of the last line at or before then.
  planned.forEach((s) => {
    const since = stats.filter((p) => p.t >= s.t - 1000 && p.t <= s.t);
    const before = stats.filter((p) => p.t < s.t - 1000).at(-1);
    const window = [...(before ? [before] : []), ...since].map((p) => p.plannedClients!);
    assert.ok(
      s.connected >= Math.min(...window) - 1 && s.connected <= Math.max(...window) + 1,
      `at ${s.t} ms: ${s.connected} connected, the plan ${window.join(', ')} over the last second`,
    );
  });
  assert.ok(
    planned.some((s) => s.plannedClients === 10 && s.connected === 10),
    'the plateau',
  );
  const figures = JSON.stringify({ ...summary, steps: undefined, latencyMs: undefined });
  assert.equal(summary.lost, 0, figures);
  assert.equal(summary.gaveUp, 0, figures);
  assert.equal(summary.failed, 0, figures);
  assert.equal(summary.reconnects, 0, `a planned leave is no drop: ${figures}`);
  assert.ok(summary.left >= 8, `left: ${summary.left}`);
  assert.equal(summary.exitCode, 0, figures);
  assert.equal(statuses.filter((s) => s === 'disconnected').length, 0, figures);
}

// Each test has brokers of its own and spends its time waiting on a plan's clock: side by side.
// The runs share this process's event loop, and their stats lines must keep time: three at a time
// (four tests missed when all nine ran at once, and four at a time left a ramp with 15 of its 32
// stats lines at a load average of 18).
describe('clients coming and going', { concurrency: 3 }, () => {
  test('--client-stages: a pool follows the plan up and down, nothing lost at QoS 1', (t) => rampUpAndDown(t, 2));
  test('--client-stages: one event loop follows the plan up and down, nothing lost at QoS 1', (t) =>
    rampUpAndDown(t, 0));

  /**
   * Every client hears every other (fleet/+) at QoS 1 while clients 2 and 3 leave and rejoin: what
   * they would have had while away is not expected of them, nothing else is missing, and their
   * numbers carry on (a restart would show as duplicates).
   */
  async function leaveAndRejoin(t: TestContext, threads: number): Promise<void> {
    const broker = await mosquittoForTest(t);
    const states: string[] = [];
    const summary = await runForTest(t, {
      brokers: [broker.url],
      clients: 4,
      subTopic: 'fleet/+',
      // Up to 4, down to 2 (clients 2 and 3 leave), back up to 4 (they rejoin), then all go before the end.
      // Stretches of 2 s or more: a join takes a connection's time, which a busy machine makes long.
      clientStages: '1s:4,2s:hold,500ms:2,2s:hold,500ms:4,2s:hold,500ms:0,500ms:hold',
      rate: 20,
      qos: 1,
      threads,
      onEvent: (e) => {
        if (e.type === 'status' && e.client === 3) states.push(e.state);
      },
    });
    assert.equal(summary.lost, 0);
    assert.equal(summary.inFlight, 0);
    assert.equal(summary.gaveUp, 0);
    assert.equal(summary.duplicates, 0);
    assert.ok(summary.unsubscribed > 0, 'what was sent while a subscriber was away is not expected of it');
    assert.equal(summary.expected - summary.unsubscribed, summary.received);
    assert.equal(summary.left, 6, 'clients 2 and 3 twice, 0 and 1 once');
    assert.equal(summary.reconnects, 2, 'the rejoins');
    assert.deepEqual(
      states.filter((s) => ['waiting', 'connected', 'left', 'done'].includes(s)),
      ['waiting', 'connected', 'left', 'connected', 'left', 'done'],
    );
    assert.equal(summary.exitCode, 0);
  }

  test('--client-stages: clients that leave and rejoin on one event loop: exact accounting at QoS 1', (t) =>
    leaveAndRejoin(t, 0));
  test('--client-stages: clients that leave and rejoin in a pool: exact accounting at QoS 1', (t) =>
    leaveAndRejoin(t, 2));

  test('--churn: the right number of clients reconnect each period, with no give-up', async (t) => {
    const broker = await aedesForTest(t);
    const churns: { t: number; client: number }[] = [];
    const summary = await runForTest(t, {
      brokers: [broker.url],
      clients: 10,
      churn: '1s:0.3',
      duration: '3500ms',
      rate: 10,
      qos: 1,
      // Each session keeps its own churn times (from its index in the group), whatever its host:
      // on the main event loop (a pool's threads cost ~0.1 CPU-s each to start, and more per message).
      threads: 0,
      // One round of attempts: a churn that counted against it would give the client up.
      reconnectAttempts: 1,
      onEvent: (e) => {
        if (e.type === 'status' && e.state === 'churned') churns.push({ t: e.t, client: e.client });
      },
    });
    // Periods at 1, 2 and 3 s: 3 clients each, rotating: 0-2, 3-5, 6-8.
    assert.equal(summary.churned, 9);
    assert.deepEqual(
      churns.map((c) => c.client).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.equal(summary.reconnects, 9);
    assert.equal(summary.gaveUp, 0);
    assert.equal(summary.lost, 0);
    assert.equal(summary.exitCode, 0);
  });

  /** Two watchers hear the wills of three device groups, each leaving its own way (a group per test before; one run now). */
  function willScenario(t: TestContext, url: string): string {
    const devices = (name: string, leave: string, churn: string): string[] => [
      `  - name: ${name}`,
      '    count: 4',
      '    threads: 0',
      `    brokers: ['${url}']`,
      `    will: { topic: 'gone/${name}/{n}', payload: 'bye {n}', qos: 1 }`,
      '    clientStages: 500ms:4,1s:hold,500ms:0',
      `    clientLeave: ${leave}`,
      ...(churn ? [`    churn: ${churn}`] : []),
      `    publish: { topic: '${name}/{n}', rate: 10, duration: 3s }`,
    ];
    return tempFile(
      t,
      'wills.yaml',
      [
        'groups:',
        '  - name: watchers',
        '    count: 2',
        '    threads: 0',
        "    subscribe: ['gone/#']",
        `    brokers: ['${url}']`,
        ...devices('abrupt', 'abrupt', ''),
        ...devices('clean', 'clean', ''),
        ...devices('churned', 'clean', '{ every: 700ms, fraction: 0.5, mode: abrupt }'),
        '',
      ].join('\n'),
      'scenario',
    );
  }

  test('wills: abrupt leaves fire them, clean leaves none, an abrupt churn the will of each client it takes; the summary counts them expected and received, per group', async (t) => {
    const broker = await mosquittoForTest(t);
    // Scraped after the second churn (churns at 0.7 and 1.4 s; the abrupt group leaves from 1.5 s).
    const { logger, url } = metricsUrl();
    let churns = 0;
    let scrape: Promise<string> | null = null;
    const summary = await runForTest(t, {
      scenario: willScenario(t, broker.url),
      metricsPort: 0,
      logger,
      onEvent: (e: RunEvent) => {
        if (e.type === 'status' && e.state === 'churned' && ++churns === 4) scrape = fetch(url()).then((r) => r.text());
      },
    });
    assert.ok(scrape, 'scraped during the run');
    const text = await (scrape as Promise<string>);
    assert.equal(metric(text, 'mqtt_fleet_churns_total'), 4);
    assert.equal(metric(text, 'mqtt_fleet_wills_expected_total', 'group="churned"'), 8);
    // The first churn's 2 wills, heard by 2 watchers, had 0.7 s to come; the second's may be on their way.
    const heard = metric(text, 'mqtt_fleet_wills_received_total', 'group="churned"');
    assert.ok(heard >= 4 && heard <= 8, `churned wills heard by the scrape: ${heard}`);
    assert.equal(metric(text, 'mqtt_fleet_wills_expected_total', 'group="clean"'), 0);
    assert.deepEqual(summary.wills, {
      // 4 devices leave abruptly; 2 watchers hear each will.
      abrupt: { expected: 8, received: 8 },
      // Clean leaves fire none, and none is expected.
      clean: { expected: 0, received: 0 },
      // Churns at 700 ms and 1400 ms, 2 devices each, before the clean leaves (from 1.5 s).
      churned: { expected: 8, received: 8 },
    });
    assert.equal(summary.churned, 4, 'only the churned group churns');
    assert.equal(summary.left, 3 * 4, 'every device leaves at the end of its plan');
    assert.equal(summary.gaveUp, 0);
  });

  test('a leave while the CONNECT awaits its CONNACK waits for it, then leaves as planned: no will for a clean leave, an expected one for an abrupt', async (t) => {
    const broker = await mosquittoForTest(t);
    const leave = async (mode: 'clean' | 'abrupt'): Promise<void> => {
      // The device's CONNACK is held 1.5 s; its plan has it leave at about 0.4 s, CONNECT long sent.
      const proxy = await new FaultProxy(broker.port, `leave-${mode}`, () => 'forward').listen();
      t.after(() => proxy.close());
      proxy.delay = { cmd: 'connack', ms: 1500 };
      const scenario = tempFile(
        t,
        `leave-${mode}.yaml`,
        [
          // One broker, reached directly and through the proxy: one cluster, so the will is expected of the watcher.
          'brokers:',
          `  direct: { url: '${broker.url}', cluster: one }`,
          `  delayed: { url: '${proxy.url}', cluster: one }`,
          'groups:',
          '  - name: watchers',
          '    count: 1',
          '    threads: 0',
          "    subscribe: ['gone/#']",
          '    brokers: [direct]',
          '  - name: device',
          '    count: 1',
          '    threads: 0',
          '    brokers: [delayed]',
          `    will: { topic: 'gone/${mode}/{n}', payload: 'bye', qos: 1 }`,
          '    clientStages: 100ms:1,200ms:hold,100ms:0',
          `    clientLeave: ${mode}`,
          "    publish: { topic: 'device/{n}', rate: 10, duration: 3s }",
          '',
        ].join('\n'),
        'scenario',
      );
      const summary = await runForTest(t, { scenario, runId: `leave-${mode}` });
      // Cut off with its CONNECT out, the device's will would reach the watcher, counted for neither mode.
      const will = mode === 'clean' ? 0 : 1;
      assert.deepEqual(summary.wills, { device: { expected: will, received: will } }, mode);
      assert.equal(proxy.delayed, 1, `${mode}: its CONNACK was held, and then taken`);
      assert.equal(summary.left, 1);
      assert.equal(summary.gaveUp, 0);
    };
    await Promise.all([leave('clean'), leave('abrupt')]);
  });

  test('bad input: exit 2 naming the option', async (t) => {
    // The option at fault, the input, as flags, and what the message says.
    const cases: [string, RunOptions, string[], RegExp][] = [
      [
        '--client-stages',
        { clients: 5, clientStages: '1s:10' },
        ['--clients', '5', '--client-stages', '1s:10'],
        /--client-stages reaches 10 connected clients but there are only 5/,
      ],
      [
        '--client-stages',
        { clientStages: '1s' },
        ['--client-stages', '1s'],
        /--client-stages: each stage is DURATION:CLIENTS/,
      ],
      [
        '--client-stages',
        { clientStages: 'soon:5' },
        ['--client-stages', 'soon:5'],
        /--client-stages \(stage "soon:5"\) must be a duration/,
      ],
      ['--client-leave', { clientLeave: 'sideways' }, ['--client-leave', 'sideways'], /client-leave.*sideways/],
      ['--churn', { churn: '10s' }, ['--churn', '10s'], /--churn must be EVERY:FRACTION/],
      ['--churn', { churn: '10s:1.5' }, ['--churn', '10s:1.5'], /--churn: the fraction is of the group's clients/],
      ['--churn', { churn: '10s:0.1:loud' }, ['--churn', '10s:0.1:loud'], /--churn mode must be clean or abrupt/],
    ];
    // Every rule as the library checks it: a UsageError naming the option, what the CLI prints as
    // one line with exit 2 (a spawned CLI costs 0.3-0.4 CPU-s: seven cost more than most tests here).
    for (const [option, options, args, message] of cases)
      assert.throws(
        () => resolveOptions(options),
        (err: unknown) => err instanceof UsageError && err.option.startsWith(option) && message.test(err.message),
        args.join(' '),
      );
    // And the CLI's side, spawned side by side: a rule yargs checks (the choices of --client-leave)
    // and one the library's resolution checks.
    await Promise.all(
      [at(cases, 3), at(cases, 0)].map(async ([, , args, message]) => {
        const cli = spawnCli(t, ['run', ...args]);
        const { code } = await withTimeout(cli.exit, 30_000, `mqtt-fleet run ${args.join(' ')}`);
        assert.equal(code, 2, `${args.join(' ')}: ${cli.stderr()}`);
        assert.match(cli.stderr(), message);
        assert.doesNotMatch(cli.stderr(), /\n\s+at /, 'no stack');
      }),
    );
  });

  test('the report charts the planned connected count beside the one reached, from the stats lines', async (t) => {
    const broker = await aedesForTest(t);
    const dir = tempDir(t, 'comings');
    const ndjson = join(dir, 'run.ndjson');
    await runForTest(t, {
      brokers: [broker.url],
      clients: 6,
      clientStages: '1s:6,500ms:hold,1s:0',
      rate: 5,
      threads: 0,
      statsInterval: '200ms',
      out: [`ndjson=${ndjson}`],
    });
    const stats = readFileSync(ndjson, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"stats"'))
      .map((l) => JSON.parse(l) as Stats);
    // The page as `mqtt-fleet report` writes it (the `report` command itself is spawned in examples.test.ts).
    const report = join(dir, 'report.html');
    writeFileSync(report, runReportHtml(readRun(ndjson, readFileSync(ndjson, 'utf8')), ndjson));
    const dom = await renderedDom(report);
    const points = (series: string): number[] =>
      [
        ...dom.matchAll(
          new RegExp(
            `<circle [^>]*data-chart="connections"[^>]*data-series="${series}"[^>]*data-value="([\\d.]+)"`,
            'g',
          ),
        ),
      ].map((m) => Number(m[1]));
    assert.deepEqual(
      points('planned'),
      stats.map((s) => s.plannedClients),
    );
    assert.deepEqual(
      points('connected'),
      stats.map((s) => s.connected),
    );
    assert.ok(Math.max(...points('planned')) === 6);
  });
});
