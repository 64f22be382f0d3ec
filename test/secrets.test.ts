import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { UsageError } from '../src/errors.js';
import { checkSocketLimits } from '../src/options/limits.js';
import { resolveOptions } from '../src/options/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { processTree } from './helpers/proc.js';
import { tempDir } from './helpers/temp.js';
import { runRefusal } from './helpers/usage.js';
import { Condition, withTimeout } from './helpers/wait.js';
import { at } from '../src/mqtt/checked.js';

/*
 * The matrix: every way of giving a secret, against every output. Each way runs a real fleet
 * that authenticates with its secret against an Aedes that accepts only that secret, so the
 * secret demonstrably went where it belongs, and nowhere else.
 */

/** One way of giving a secret. Markers are parts of the secret: none may appear in any output. */
interface Way {
  name: string;
  markers: string[];
  /** The passwords the broker must receive (decoded), user `alice`. */
  passwords: string[];
  /** The command-line arguments that give the fleet and its secret (`dir`: room for files). */
  args: (url: string, port: number, dir: string) => string[];
  env?: NodeJS.ProcessEnv;
  /** A scenario gives the fleet's size; otherwise the flags below do. */
  scenario?: boolean;
  clients: number;
  /**
   * Broker URLs with credentials were given: the summary shows them masked. These ways' files
   * also go through `report` and `merge`, as the files carry the masked URLs: the other ways'
   * files hold nothing of the secret but what the test has already found absent from them, and
   * `report` and `merge` are given nothing else (no secret in their argv or environment), so for
   * those ways they could not fail unless the files' own check had failed first.
   */
  masked?: boolean;
}

const file = (dir: string, name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** A URL with `userinfo` put in, written as a user would type it (not re-encoded). */
const withUserinfo = (url: string, userinfo: string): string => url.replace('mqtt://', `mqtt://${userinfo}@`);

const WAYS: Way[] = [
  {
    name: '--password',
    markers: ['QzArgvPass'],
    passwords: ['QzArgvPass-1'],
    clients: 2,
    args: (url) => ['-b', url, '-u', 'alice', '-P', 'QzArgvPass-1'],
  },
  {
    name: 'MQTT_PASSWORD (and a workload that logs it)',
    markers: ['QzEnvPass'],
    passwords: ['QzEnvPass-2'],
    clients: 2,
    env: { MQTT_USERNAME: 'alice', MQTT_PASSWORD: 'QzEnvPass-2' },
    // Whatever carries a secret to an output, the redactor is there: here a workload's log line.
    args: (url, _port, dir) => [
      '-b',
      url,
      '--workload',
      file(
        dir,
        'leaky.mjs',
        'export function onConnect(ctx) { ctx.log(`logged in with ${process.env.MQTT_PASSWORD}`); }\n',
      ),
    ],
  },
  {
    name: '--password-file',
    markers: ['QzFilePass', 'QzFileRest'],
    passwords: ['QzFilePass-3'],
    clients: 2,
    args: (url, _port, dir) => [
      '-b',
      url,
      '-u',
      'alice',
      '--password-file',
      file(dir, 'password', 'QzFilePass-3\nQzFileRest-3\n'),
    ],
  },
  {
    name: 'URL userinfo (a password with @ and :, percent-encoding, a space)',
    markers: ['QzUrl'],
    passwords: ['QzUrlHead@QzUrlTail:QzUrl/Enc%', 'QzUrl Space'],
    clients: 2,
    masked: true,
    // Two brokers round-robin: client 0 logs in with the first password, client 1 with the second.
    args: (url) => [
      '-b',
      withUserinfo(url, 'alice:QzUrlHead@QzUrlTail:QzUrl%2FEnc%25'),
      '-b',
      withUserinfo(url, 'alice:QzUrl Space'),
    ],
  },
  {
    name: 'scenario group password',
    markers: ['QzScnPass'],
    passwords: ['QzScnPass-5'],
    clients: 2,
    scenario: true,
    args: (url, _port, dir) => [
      '--scenario',
      file(
        dir,
        'fleet.yaml',
        `groups:
  - name: sensors
    count: 2
    brokers: ["${url}"]
    username: alice
    password: QzScnPass-5
    subscribe: ["fleet/{i}"]
    publish: { topic: "fleet/{i}", count: 6, rate: 10 }
`,
      ),
    ],
  },
  {
    name: 'scenario broker URLs with credentials (named and inline)',
    markers: ['QzScnUrl', 'QzScnTail'],
    passwords: ['QzScnUrl@QzScnTail:x', 'QzScnUrlNamed@y'],
    clients: 2,
    scenario: true,
    masked: true,
    args: (url, _port, dir) => [
      '--scenario',
      file(
        dir,
        'fleet.yaml',
        `brokers:
  named: { url: "${withUserinfo(url, 'alice:QzScnUrlNamed%40y')}" }
groups:
  - name: inline
    count: 1
    brokers: ["${withUserinfo(url, 'alice:QzScnUrl@QzScnTail:x')}"]
    subscribe: ["fleet/{i}"]
    publish: { topic: "fleet/{i}", count: 6, rate: 10 }
  - name: named
    count: 1
    brokers: [named]
    subscribe: ["fleet/{i}"]
    publish: { topic: "fleet/{i}", count: 6, rate: 10 }
`,
      ),
    ],
  },
];

/** An Aedes that lets `alice` in with exactly these passwords; a Condition notified on each connection. */
async function authBroker(t: TestContext, passwords: string[]) {
  const broker = await aedesForTest(t);
  const accepted = new Set(passwords);
  const connected = new Condition();
  let connections = 0;
  broker.broker.authenticate = (_client, username, password, done) => {
    const ok = username === 'alice' && accepted.has(password?.toString() ?? '');
    done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
  };
  broker.broker.on('client', () => {
    connections++;
    connected.notify();
  });
  return { broker, connected, connections: () => connections };
}

/** Every output that shows a part of a secret, all named in one failure (so a leak's reach is seen whole). */
function assertClean(outputs: Map<string, string>, way: Way): void {
  assert.ok(outputs.size > 0);
  const leaks: string[] = [];
  for (const [name, text] of outputs) {
    const marker = way.markers.find((m) => text.includes(m));
    if (marker === undefined) continue;
    const at = text.indexOf(marker);
    leaks.push(`${name}: ...${text.slice(Math.max(0, at - 100), at + 60).replaceAll('\n', '\\n')}...`);
  }
  assert.deepEqual(
    leaks,
    [],
    `${way.name}: a secret appeared in ${leaks.length} of ${outputs.size} outputs:\n${leaks.join('\n')}`,
  );
}

// Each way has a broker and files of its own: two at a time, their waits (logins, child processes) overlapping.
describe('every way of giving a secret', { concurrency: 2 }, () => {
  for (const way of WAYS) {
    test(`secrets given by ${way.name} appear in no output: stdout, stderr, --out files, /metrics, ${way.masked ? 'report, merge, ' : ''}compare, cmdline`, async (t) => {
      const { broker, connected, connections } = await authBroker(t, way.passwords);
      const url = `mqtt://127.0.0.1:${broker.port}`;
      const dir = tempDir(t, 'secrets');
      const given = way.args(url, broker.port, dir);
      const outputs = new Map<string, string>();
      const out = { ndjson: join(dir, 'run.ndjson'), csv: join(dir, 'run.csv'), result: join(dir, 'shard-0.json') };

      // A run: --json with --shard (status, stats, message, shard-result and summary lines), trace logs, every --out kind, /metrics.
      // Its clients on a worker thread (a pool of one: the secret crosses to a thread as in every
      // threaded mode, one thread started instead of one per client); compare's below run on one loop.
      const fleet = way.scenario ? [] : ['-c', String(way.clients), '--count', '6', '--rate', '10'];
      const cli = spawnCli(
        t,
        [
          'run',
          ...given,
          ...fleet,
          '--threads',
          '1',
          '--shard',
          '0/1',
          '--run-id',
          'secrets',
          '--json',
          '--log-level',
          'trace',
          '--print-messages',
          '--metrics-port',
          '0',
          '--out',
          `ndjson=${out.ndjson}`,
          '--out',
          `csv=${out.csv}`,
          '--out',
          `result=${out.result}`,
        ],
        { json: true, env: way.env },
      );
      await cli.changed.until(
        () => cli.lines.some((l) => l.type === 'status' && l.state === 'ready'),
        20_000,
        `${way.name}: a client to log in`,
      );
      const metricsUrl = /Prometheus metrics on (http:\/\/[^\s"]+)/.exec(cli.stderr())?.[1];
      assert.ok(metricsUrl, `the metrics URL is logged: ${cli.stderr()}`);
      const metrics = await (await fetch(metricsUrl)).text();
      assert.match(metrics, /mqtt_fleet_clients\{/);
      outputs.set('/metrics', metrics);
      for (const p of processTree(cli.child.pid!))
        outputs.set(`run: /proc/${p.pid}/cmdline (${p.cmdline.slice(0, 40)})`, p.cmdline);
      const { code } = await withTimeout(cli.exit, 30_000, `${way.name}: the run to finish`);
      assert.equal(code, 0, `${way.name}: ${cli.stderr()}`);
      const summary = cli.lines.find((l) => l.type === 'summary')!;
      assert.equal(summary.connected, way.clients, 'every client logged in with its secret');
      assert.equal(summary.lost, 0);
      assert.ok(
        cli.lines.some((l) => l.type === 'shard-result'),
        'a shard-result line',
      );
      outputs.set('run stdout', cli.stdout());
      outputs.set('run stderr', cli.stderr());
      for (const [kind, path] of Object.entries(out)) outputs.set(`--out ${kind}`, readFileSync(path, 'utf8'));
      assert.match(outputs.get('--out csv')!, /^t_s,connected/);

      // `report` of the NDJSON, `merge` of the result file and of the --json output (see `masked`),
      // and `compare` below: independent processes, side by side.
      const html = join(dir, 'report.html');
      const report = way.masked ? spawnCli(t, ['report', out.ndjson, '-o', html]) : null;
      const stdoutFile = file(dir, 'stdout.ndjson', cli.stdout());
      const merges = (way.masked ? [out.result, stdoutFile] : []).map(
        (input) => [input, spawnCli(t, ['merge', input, '--json'], { json: true })] as const,
      );

      // `compare`: its output, its report, and its child's command line while the child's clients log in.
      const compareHtml = join(dir, 'compare.html');
      const before = connections();
      const compareFleet = way.scenario ? [] : ['-c', String(way.clients), '--count', '3', '--rate', '10'];
      const compare = spawnCli(
        t,
        [
          'compare',
          ...given,
          ...compareFleet,
          '--threads',
          '0',
          '--json',
          '--log-level',
          'trace',
          '--report',
          compareHtml,
        ],
        { json: true, env: way.env },
      );
      await connected.until(() => connections() > before, 20_000, `${way.name}: the compare child's clients to log in`);
      const tree = processTree(compare.child.pid!);
      assert.ok(
        tree.some((p) => p.cmdline.includes('compare-child')),
        `the compare child is among ${JSON.stringify(tree)}`,
      );
      for (const p of tree) outputs.set(`compare: /proc/${p.pid}/cmdline (${p.cmdline.slice(0, 40)})`, p.cmdline);
      if (report) {
        assert.equal((await withTimeout(report.exit, 20_000, 'report')).code, 0, report.stderr());
        outputs.set('report HTML', readFileSync(html, 'utf8'));
      }
      for (const [input, merge] of merges) {
        assert.equal((await withTimeout(merge.exit, 20_000, 'merge')).code, 0, merge.stderr());
        assert.equal(merge.lines[0]?.connected, way.clients);
        outputs.set(`merge ${input}: stdout`, merge.stdout());
        outputs.set(`merge ${input}: stderr`, merge.stderr());
      }
      const compared = await withTimeout(compare.exit, 30_000, `${way.name}: compare to finish`);
      assert.equal(compared.code, 0, compare.stderr());
      assert.ok(compare.lines.some((l) => l.type === 'comparison'));
      outputs.set('compare stdout', compare.stdout());
      outputs.set('compare stderr', compare.stderr());
      outputs.set('compare report HTML', readFileSync(compareHtml, 'utf8'));

      assertClean(outputs, way);
      if (way.masked)
        for (const b of summary.brokers as string[])
          assert.match(b, /^mqtt:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+$/, 'broker URLs shown masked, whole');
      if (way.env)
        assert.match(cli.stderr(), /logged in with \*\*\*/, "the workload's line is written, the secret in it masked");
    });
  }
});

test('the embedded broker process and the CLI show no password in /proc/PID/cmdline', async (t) => {
  const way: Way = {
    name: 'argv with the embedded broker',
    markers: ['QzEmbedded'],
    passwords: [],
    clients: 1,
    args: () => [],
  };
  const cli = spawnCli(
    t,
    ['run', '-u', 'alice', '-P', 'QzEmbedded-9', '-c', '1', '--count', '3', '--rate', '10', '--json'],
    { json: true },
  );
  await cli.changed.until(
    () => cli.lines.some((l) => l.type === 'status' && l.state === 'ready'),
    20_000,
    'the client to be ready',
  );
  const tree = processTree(cli.child.pid!);
  assert.ok(
    tree.some((p) => p.cmdline.includes('broker-process')),
    `the embedded broker is among ${JSON.stringify(tree)}`,
  );
  assert.equal(at(tree, 0).cmdline, 'mqtt-fleet run', 'the CLI shows its title');
  assertClean(new Map(tree.map((p) => [`/proc/${p.pid}/cmdline`, p.cmdline])), way);
  assert.equal((await withTimeout(cli.exit, 30_000, 'the run to finish')).code, 0, cli.stderr());
});

test('UsageErrors for bad values never show a secret: scenario values, broker URLs, limits, a secret given to the wrong flag', async (t) => {
  const dir = tempDir(t, 'secrets');
  const scenario = (name: string, text: string): string => file(dir, name, text);
  // Refused by the options' resolution, which masks what it echoes itself: checked here, in this
  // process, as the CLI's run calls it (flags as yargs hands them over).
  const cases: { name: string; flags: Record<string, unknown>; marker: string; names: RegExp }[] = [
    {
      name: 'a group password that is a number (the issue example)',
      flags: {
        scenario: scenario(
          'number.yaml',
          'groups:\n  - name: a\n    count: 1\n    username: u\n    password: 987654321987\n    publish: { topic: t, count: 1 }\n',
        ),
      },
      marker: '987654321987',
      names: /number\.yaml:5:\d+: groups\[0\]\.password must be a non-empty string \(got a number\)/,
    },
    {
      name: 'a group password that is a list',
      flags: {
        scenario: scenario(
          'list.yaml',
          'groups:\n  - name: a\n    count: 1\n    username: u\n    password: [QzListPass]\n    publish: { topic: t, count: 1 }\n',
        ),
      },
      marker: 'QzListPass',
      names: /groups\[0\]\.password must be a non-empty string \(got a list\)/,
    },
    {
      name: 'a defaults password that is a number',
      flags: {
        scenario: scenario(
          'defaults.yaml',
          'defaults:\n  username: u\n  password: 123456789\ngroups:\n  - name: a\n    count: 1\n    publish: { topic: t, count: 1 }\n',
        ),
      },
      marker: '123456789',
      names: /defaults\.yaml:3:\d+: defaults\.password must be a string \(got a number/,
    },
    {
      name: 'a scenario broker URL the parser refuses, its password holding a /',
      flags: {
        scenario: scenario(
          'url.yaml',
          'brokers:\n  b: { url: "mqtt://alice:QzBadUrl/x@127.0.0.1:1" }\ngroups:\n  - name: a\n    count: 1\n    brokers: [b]\n',
        ),
      },
      marker: 'QzBadUrl',
      names:
        /brokers\.b\.url must be a URL like mqtt:\/\/127\.0\.0\.1:1883 \(got "mqtt:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:1"\)/,
    },
    {
      name: '--broker the parser refuses',
      flags: { broker: 'mqtt://alice:QzSlash/pw@127.0.0.1:1' },
      marker: 'QzSlash',
      names: /--broker must be a URL like .* \(got "mqtt:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:1"\)/,
    },
    {
      name: '--broker without a host',
      flags: { broker: 'mqtt:alice:QzNoHost@h' },
      marker: 'QzNoHost',
      names: /--broker needs a host \(got "\*\*\*:\*\*\*@h"\)/,
    },
  ];
  const problems: string[] = [];
  for (const c of cases) {
    const message = runRefusal(c.flags);
    if (message === null) problems.push(`${c.name}: not refused`);
    else if (message.includes(c.marker)) problems.push(`${c.name}: the secret was shown: ${message}`);
    else if (!c.names.test(message)) problems.push(`${c.name}: the message should name the value's place: ${message}`);
  }
  // The password given to --clients by mistake: the resolution echoes the value, the CLI's
  // redactor (which knows the command line's secrets) masks it. Spawned: exit 2, one line, masked.
  const cli = spawnCli(t, ['run', '-u', 'alice', '-P', 'QzEcho-7', '--clients', 'QzEcho-7']);
  const { code } = await withTimeout(cli.exit, 20_000, 'the password given to --clients');
  if (code !== 2) problems.push(`--clients: exit ${code}, not 2`);
  if (cli.stderr().includes('QzEcho') || cli.stdout().includes('QzEcho'))
    problems.push(`--clients: the secret was shown: ${cli.stderr().trim()}`);
  else if (
    cli.stderr() !==
    'mqtt-fleet: --clients must be a whole number like 1000, 10k or 1m (got "***") (see mqtt-fleet --help)\n'
  )
    problems.push(`--clients: one line, naming the value's place: ${cli.stderr().trim()}`);
  // Limits are checked from the resolved options: the broker is named, its credentials are not.
  const options = resolveOptions(
    { brokers: ['mqtt://alice:QzLimit@QzLimitTail@127.0.0.1:1'], clients: 3, count: 1 },
    {},
  );
  try {
    checkSocketLimits(options, { openFiles: undefined, ports: 1 });
    problems.push('checkSocketLimits: no error');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message.includes('QzLimit')) problems.push(`checkSocketLimits: the secret was shown: ${err.message}`);
    else if (!/3 connections to mqtt:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:1 /.test(err.message))
      problems.push(`checkSocketLimits: the broker is not named: ${err.message}`);
  }
  assert.deepEqual(problems, []);
});

test('a refused login (wrong passwords in argv and the URL) shows neither password', async (t) => {
  const { broker } = await authBroker(t, ['right-password']);
  const cli = spawnCli(
    t,
    [
      'run',
      '-b',
      `mqtt://alice:QzWrongUrl@QzWrongTail@127.0.0.1:${broker.port}`,
      '-u',
      'alice',
      '-P',
      'QzWrongArgv',
      '-c',
      '2',
      '--count',
      '3',
      // The refusals cross from a worker thread, as in the ways above: one thread, not one per client.
      '--threads',
      '1',
      '--json',
      '--log-level',
      'trace',
    ],
    { json: true },
  );
  assert.equal((await withTimeout(cli.exit, 30_000, 'the refused run to finish')).code, 1, cli.stderr());
  assert.match(cli.stdout(), /bad user name or password/);
  assertClean(
    new Map([
      ['stdout', cli.stdout()],
      ['stderr', cli.stderr()],
    ]),
    { name: 'refused', markers: ['QzWrong'], passwords: [], clients: 2, args: () => [] },
  );
});
