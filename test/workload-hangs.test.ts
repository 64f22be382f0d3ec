import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { run, type RunEvent, type RunOptions, type StatusLine } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { ConnectCounter } from './helpers/tcp.js';
import { tempDir, tempFile } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';
import { BLOCK_FOREVER } from './helpers/block.js';
import { rejectsUsage } from './helpers/usage.js';
import { at } from '../src/mqtt/checked.js';

const workload = (t: TestContext, source: string, name = 'client.mjs'): string => tempFile(t, name, source, 'hang');

/** The last status of each client. */
function lastStates(statuses: StatusLine[]): Map<number, StatusLine> {
  return new Map(statuses.map((s) => [s.client, s]));
}

/** `spawned`: refused by the CLI (exit 2, one line on stderr); the others by run() in-process, which the CLI calls. */
const BROKEN_MODULES = [
  {
    what: 'loops for ever at import',
    source: `${BLOCK_FOREVER}\n`,
    error: /--workload \S*client\.mjs: loading it did not finish within 1000 ms \(--hook-timeout\)/,
    spawned: true,
  },
  {
    what: 'waits for ever at import',
    source: 'await new Promise(() => setInterval(() => {}, 1000));\n',
    error: /--workload \S*client\.mjs: loading it did not finish within 1000 ms/,
    spawned: true,
  },
  {
    what: 'throws at import',
    source: "throw new Error('no config for this workload');\n",
    error: /--workload \S*client\.mjs: Error: no config for this workload/,
    spawned: false,
  },
  {
    what: 'has a syntax error',
    source: 'export function setup(ctx) {\n  let x = ;\n}\n',
    error: /--workload \S*client\.mjs: SyntaxError: Unexpected token ';' \(\S*client\.mjs:2\)/,
    spawned: false,
  },
  {
    what: 'exports a hook that is not a function',
    source: 'export const onConnect = 42;\n',
    error: /--workload \S*client\.mjs: onConnect must be a function/,
    spawned: false,
  },
];

/**
 * run() refuses with a UsageError (what the CLI prints as its one line, exit 2) matching `error`:
 * one line, no stack trace, nothing logged on the way.
 */
async function refusedInProcess(options: RunOptions, error: RegExp): Promise<void> {
  const logged: string[] = [];
  const log = (_: object, msg?: string): number => logged.push(msg ?? '');
  const logger = { debug: log, info: log, warn: log, error: log };
  const refusal = await rejectsUsage(run({ ...options, logger }), error);
  assert.doesNotMatch(refusal.message, /Cannot read properties|\n/);
  assert.deepEqual(logged, [], 'nothing logged');
}

// Each refusal has its own broker and file, and mostly waits for --hook-timeout: three at a time.
describe('workloads refused up front', { concurrency: 3 }, () => {
  for (const { what, source, error, spawned } of BROKEN_MODULES) {
    test(`a workload that ${what} is refused up front with its own error: ${spawned ? 'exit 2, ' : ''}nothing connects`, async (t) => {
      const broker = await new ConnectCounter().listen();
      t.after(() => broker.close());
      const file = workload(t, source);
      if (!spawned) {
        await refusedInProcess(
          { brokers: [broker.url], clients: 3, count: 5, workload: file, hookTimeout: '1s' },
          error,
        );
        assert.equal(broker.connections, 0, 'no client connected');
        return;
      }
      const cli = spawnCli(t, [
        'run',
        '-b',
        broker.url,
        '-c',
        '3',
        '--count',
        '5',
        '--workload',
        file,
        '--hook-timeout',
        '1s',
      ]);
      const { code } = await withTimeout(cli.exit, 30_000, 'the CLI to refuse the workload');
      assert.equal(code, 2, cli.stderr());
      const lines = cli.stderr().trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${cli.stderr()}`);
      assert.match(at(lines, 0), error);
      assert.doesNotMatch(cli.stderr(), /Cannot read properties|\n\s+at /);
      assert.equal(broker.connections, 0, 'no client connected');
    });
  }
});

test('a scenario group whose workload throws at import is refused naming the scenario and the group', async (t) => {
  const broker = await new ConnectCounter().listen();
  t.after(() => broker.close());
  const dir = tempDir(t, 'hang-scenario');
  writeFileSync(join(dir, 'bad.mjs'), "throw new TypeError('bad.mjs wants an API key');\n");
  const scenario = join(dir, 'fleet.yaml');
  writeFileSync(
    scenario,
    `groups:\n  - name: sensors\n    count: 2\n    workload: bad.mjs\n    publish: { topic: 's/{n}', count: 3 }\n  - name: plain\n    count: 1\n`,
  );
  await refusedInProcess(
    { brokers: [broker.url], scenario },
    /fleet\.yaml: the workload \S*bad\.mjs of group sensors: TypeError: bad\.mjs wants an API key/,
  );
  assert.equal(broker.connections, 0);
});

for (const threads of ['per-client', '3']) {
  test(`--threads ${threads}: a hook that blocks its thread (a synchronous loop) is ended from outside after --hook-timeout; the run goes on`, async (t) => {
    const broker = await aedesForTest(t);
    // Client 1 loops for ever in setup; in the pool of 3 (threads {0, 3}, {1, 4}, {2}), client 3 in onMessage too.
    // One thread spins as a user's bug would, holding a core; the pool's two sleep in their loops.
    const pool = threads === '3';
    const block = pool ? BLOCK_FOREVER : 'for (;;) {}';
    const file = workload(
      t,
      `export function setup(ctx) { if (ctx.index === 1) { ${block} } }
       export function onMessage(ctx) { if (${pool} && ctx.index === 3) { ${block} } }`,
    );
    const statuses: StatusLine[] = [];
    const controller = new AbortController();
    t.after(() => controller.abort('SIGINT'));
    const summary = await withTimeout(
      run({
        brokers: [broker.url],
        clients: pool ? 5 : 4,
        count: 5,
        rate: 50,
        threads,
        workload: file,
        hookTimeout: '1s',
        runId: `block${threads}`,
        signal: controller.signal,
        onEvent: (e: RunEvent) => e.type === 'status' && statuses.push(e),
      }),
      60_000,
      'the run to end despite the blocked hooks',
    );
    const last = lastStates(statuses);
    assert.equal(last.get(1)!.state, 'failed');
    assert.match(
      last.get(1)!.error!.message,
      /^workload setup did not finish within 1000 ms: it blocked its thread, which was terminated$/,
    );
    if (pool) {
      // Each blocked thread takes its other client down with it, each told why.
      assert.match(
        last.get(4)!.error!.message,
        /^worker thread terminated: mqtt-fleet-block3-1's workload setup did not finish within 1000 ms and blocked it$/,
      );
      assert.equal(last.get(3)!.state, 'failed');
      assert.match(
        last.get(3)!.error!.message,
        /^workload onMessage did not finish within 1000 ms: it blocked its thread, which was terminated$/,
      );
      assert.equal(last.get(0)!.state, 'failed');
      assert.match(
        last.get(0)!.error!.message,
        /^worker thread terminated: mqtt-fleet-block3-3's workload onMessage did not finish within 1000 ms and blocked it$/,
      );
      assert.equal(last.get(2)!.state, 'done', 'the client on the third thread finished');
      assert.equal(summary.failed, 4);
    } else {
      for (const i of [0, 2, 3]) assert.equal(last.get(i)!.state, 'done', `client ${i} finished`);
      assert.equal(summary.failed, 1);
      assert.equal(summary.received, 15, 'the other three received all their messages');
    }
    assert.equal(summary.exitCode, 1);
  });
}

test('--threads 0: a hook that blocks the main loop ends the process through the watchdog thread: one line on stderr, SIGKILL (137)', async (t) => {
  const broker = await aedesForTest(t);
  const file = workload(t, `export function setup(ctx) { if (ctx.index === 1) { ${BLOCK_FOREVER} } }`);
  const cli = spawnCli(t, [
    'run',
    '-b',
    broker.url,
    '-c',
    '3',
    '--count',
    '5',
    '--threads',
    '0',
    '--workload',
    file,
    '--hook-timeout',
    '1s',
    '--run-id',
    'dog',
  ]);
  const exit = await withTimeout(cli.exit, 30_000, 'the watchdog to end the process');
  assert.equal(exit.signal, 'SIGKILL', `ended by the watchdog: ${JSON.stringify(exit)} ${cli.stderr().slice(-500)}`);
  assert.match(
    cli.stderr(),
    /mqtt-fleet: workload setup of mqtt-fleet-dog-1 did not finish within 1000 ms and has blocked the main event loop for \d+ ms; with --threads 0 nothing can interrupt it, so the process ends now \(exit 137, no summary\)/,
  );
});

test('Ctrl-C while a hook blocks its thread: a summary within a bounded time, the blocked client failed', async (t) => {
  const broker = await aedesForTest(t);
  const file = workload(t, `export function setup(ctx) { if (ctx.index === 1) { ${BLOCK_FOREVER} } }`);
  const cli = spawnCli(
    t,
    [
      'run',
      '-b',
      broker.url,
      '-c',
      '3',
      '--duration',
      '60s',
      '--workload',
      file,
      '--hook-timeout',
      '3s',
      '--json',
      '--run-id',
      'ctrlc',
    ],
    { json: true },
  );
  // The others are ready (waiting at the barrier for client 1, which never will be).
  await cli.changed.until(
    () => cli.lines.filter((l) => l.type === 'status' && l.state === 'ready').length === 2,
    30_000,
    'the other clients to be ready',
  );
  cli.child.kill('SIGINT');
  // The bound: a summary within 15 s of the Ctrl-C, or the wait fails.
  const exit = await withTimeout(cli.exit, 15_000, 'a summary after the first Ctrl-C');
  const summary = cli.lines.at(-1)!;
  assert.equal(summary.type, 'summary', cli.stderr().slice(-500));
  assert.equal(summary.interrupted, true);
  assert.equal(summary.failed, 1);
  assert.equal(exit.code, 1, 'a terminated thread makes it exit 1');
  const failed = cli.lines.find((l) => l.type === 'status' && l.state === 'failed');
  assert.match((failed!.error as { message: string }).message, /workload setup did not finish within 3000 ms/);
});
