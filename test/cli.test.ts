import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { mapLimit } from './helpers/pool.js';
import { withTimeout } from './helpers/wait.js';
import { at } from '../src/mqtt/checked.js';
import { parsePort } from '../src/options/parse.js';
import { refusedRun, throwsUsage } from './helpers/usage.js';

const SUMMARY_FIELDS = [
  'mode',
  'threads',
  'clients',
  'connected',
  'gaveUp',
  'reconnects',
  'published',
  'received',
  'lost',
  'duplicates',
  'outOfOrder',
  'durationMs',
  'publishedPerSec',
  'receivedPerSec',
  'latencyMs',
  'peakRssMb',
];

test('the CLI with --json and no --broker: embedded broker, NDJSON on stdout only, summary on stderr', async (t) => {
  // A few clients prove the default mode as well as many: each is a worker thread of its own.
  const cli = spawnCli(t, ['run', '-c', '4', '--count', '100', '--rate', '100', '--json'], { json: true });
  const { code } = await withTimeout(cli.exit, 60_000, 'the CLI to finish');
  assert.equal(code, 0, cli.stderr());
  for (const line of cli.lines)
    assert.ok(['status', 'stats', 'summary'].includes(line.type as string), `typed line: ${JSON.stringify(line)}`);
  const summary = cli.lines.at(-1)!;
  assert.equal(summary.type, 'summary');
  for (const field of SUMMARY_FIELDS) assert.ok(field in summary, `summary has ${field}`);
  assert.equal(summary.mode, 'thread-per-client');
  assert.equal(summary.threads, 4);
  assert.equal(summary.connected, 4);
  assert.equal(summary.received, 400);
  assert.equal(summary.lost, 0);
  assert.deepEqual(
    Object.keys(summary.latencyMs as object).filter((k) => ['p50', 'p90', 'p99', 'max'].includes(k)),
    ['p50', 'p90', 'p99', 'max'],
  );
  const done = cli.lines.filter((l) => l.type === 'status' && l.state === 'done');
  assert.equal(done.length, 4);
  assert.match(cli.stderr(), /embedded Aedes broker listening on mqtt:\/\/127\.0\.0\.1:\d+/);
  assert.match(cli.stderr(), /result: ok \(exit 0\)/);
  // stderr is a pipe here, not a terminal: log lines are still for people (--log-format json asks for JSON).
  assert.match(cli.stderr(), /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: starting 4 clients/m);
  assert.doesNotMatch(cli.stderr(), /^\{/m, 'no JSON log lines unless asked');
  assert.ok(!cli.stderr().includes('\u001b['), 'no colour codes off a terminal');
});

test('without --json stdout stays empty; --print-messages writes one line per message to stdout', async (t) => {
  // A broker each: the two runs go side by side without hearing each other.
  const [broker, other] = await Promise.all([aedesForTest(t), aedesForTest(t)]);
  // One loop (--threads 0) where threads are not what is checked: no worker thread to start.
  const quiet = spawnCli(t, ['run', '-b', broker.url, '-c', '2', '--count', '3', '--rate', '50', '--threads', '0']);
  const loud = spawnCli(t, [
    'run',
    '-b',
    other.url,
    '-c',
    '2',
    '--count',
    '3',
    '--rate',
    '50',
    '--print-messages',
    '--run-id',
    'pm',
    '--log-format',
    'json',
  ]);
  assert.equal((await withTimeout(quiet.exit, 30_000, 'run')).code, 0);
  assert.equal(quiet.stdout(), '');
  assert.match(quiet.stderr(), /6 received/);
  assert.equal((await withTimeout(loud.exit, 30_000, 'run')).code, 0);
  // --log-format json: every log line is one JSON object; the summary block stays for people.
  const logLines = loud
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('{'));
  assert.ok(logLines.length >= 1, loud.stderr());
  for (const line of logLines) {
    const entry = JSON.parse(line) as { level: number; msg: string };
    assert.equal(typeof entry.level, 'number');
    assert.equal(typeof entry.msg, 'string');
  }
  assert.ok(logLines.some((line) => /"msg":"starting 2 clients/.test(line)));
  const lines = loud.stdout().trim().split('\n');
  assert.equal(lines.length, 6);
  for (const line of lines)
    assert.match(
      line,
      /^message client=mqtt-fleet-pm-[01] thread=\d+ topic=fleet\/[01] from=[01] seq=[0-2] latency=[\d.]+ms$/,
    );
});

test('bad input: one line naming the option, exit 2, nothing on stdout, no stack trace', async (t) => {
  // Spawned: a refusal of each kind the CLI prints (the library's UsageError, yargs' unknown
  // argument and unknown command, no command at all).
  const cases: [string[], RegExp][] = [
    [['run', '--qos', '3'], /--qos must be 0, 1 or 2/],
    [['run', '--frobnicate'], /Unknown argument: frobnicate/],
    [['launch'], /Unknown argument: launch/],
    [[], /name a command/],
  ];
  // Independent processes: a few at a time, each checked as it ends.
  await mapLimit(cases, 4, async ([args, message]) => {
    const cli = spawnCli(t, args);
    const { code } = await withTimeout(cli.exit, 15_000, `mqtt-fleet ${args.join(' ')}`);
    assert.equal(code, 2, `${args.join(' ')}: ${cli.stderr()}`);
    assert.equal(cli.stdout(), '');
    const lines = cli.stderr().trim().split('\n');
    assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${cli.stderr()}`);
    assert.match(at(lines, 0), message);
    assert.doesNotMatch(cli.stderr(), /\n\s+at /);
  });
  // The library's other refusals, as yargs hands the flags to `run` (a flag given twice: a list),
  // through the validation the command calls, in this process: the same one-line UsageError.
  refusedRun({ count: '0' }, /--count must be at least 1/);
  refusedRun({ count: 'many' }, /--count must be a whole number/);
  refusedRun({ clients: '-5' }, /--clients must be a whole number/);
  refusedRun({ duration: '10 years' }, /--duration must be a duration/);
  refusedRun({ broker: 'http://127.0.0.1:1883' }, /--broker has unknown scheme "http"/);
  refusedRun({ qos: ['1', '2'] }, /--qos was given more than once/);
  refusedRun({ 'sub-topic': ['a', 'b'] }, /--sub-topic was given more than once/);
  refusedRun(
    { clients: '100000' },
    /--threads per-client with 100000 clients needs 100000 worker threads; this machine holds about \d+/,
  );
  // `broker --port` parses its port so (a taken port, spawned: process-end.test).
  throwsUsage(() => parsePort('--port', '1k'), /--port must be a number \(got "1k"\)/);
});

test('mqtt-fleet broker serves MQTT until SIGINT', async (t) => {
  const cli = spawnCli(t, ['broker', '--port', '0']);
  let url = '';
  await withTimeout(
    new Promise<void>((resolve) => {
      const check = (): void => {
        const match = /listening on (mqtt:\/\/[\d.]+:\d+)/.exec(cli.stderr());
        if (match) {
          url = at(match, 1);
          resolve();
        }
      };
      cli.child.stderr!.on('data', check);
      check();
    }),
    15_000,
    'the broker to listen',
  );
  const client = spawnCli(
    t,
    ['run', '-b', url, '-c', '2', '--count', '5', '--rate', '50', '--threads', '0', '--json'],
    { json: true },
  );
  assert.equal((await withTimeout(client.exit, 30_000, 'run against it')).code, 0);
  assert.equal(client.lines.at(-1)!.received, 10);
  cli.child.kill('SIGINT');
  assert.equal((await withTimeout(cli.exit, 10_000, 'the broker to stop')).code, 0);
});

test('--help says what each command does: compare offers no --out, merge promises only its summary line', async (t) => {
  const help = async (command: string): Promise<string> => {
    const cli = spawnCli(t, [command, '--help']);
    assert.equal((await withTimeout(cli.exit, 30_000, `${command} --help`)).code, 0);
    return cli.stdout();
  };
  const [compare, merge] = await Promise.all([help('compare'), help('merge')]);
  assert.doesNotMatch(compare, /--out\b/, 'compare refuses --out, so its help does not offer it');
  assert.match(compare, /--report\b/);
  assert.match(compare, /--json\s+NDJSON on stdout: each mode's summary line, then the comparison's/);
  assert.match(merge, /--json\s+NDJSON on stdout: the fleet's merged summary line/);
  assert.doesNotMatch(merge, /status|stats/);
});
