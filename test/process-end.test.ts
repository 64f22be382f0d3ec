import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli, type CliRun } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { ConnectCounter } from './helpers/tcp.js';
import { tempDir, tempFile } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';

const NO_STACK = /\n\s+at /;

/** Resolves once `cli`'s stderr matches `pattern`. */
function stderrMatches(cli: CliRun, pattern: RegExp, ms: number, what: string): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (pattern.test(cli.stderr())) resolve();
      };
      cli.child.stderr!.on('data', check);
      check();
    }),
    ms,
    what,
  );
}

/** A FIFO in a fresh temp dir. */
function fifo(t: TestContext): string {
  const path = join(tempDir(t, 'fifo'), 'events.fifo');
  execFileSync('mkfifo', [path]);
  return path;
}

/** Whether `pid` catches SIGHUP (/proc/PID/status SigCgt, bit 0): mqtt-fleet's own signal handlers are in place. */
function catchesSighup(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mask = /SigCgt:\s*([0-9a-f]+)/.exec(status)?.[1] ?? '0';
  return (parseInt(mask.slice(-1), 16) & 1) === 1;
}

// Every test has its own process, broker and files, and most of each is waiting (a 5 s bound, a
// run to end): two at a time.
describe('how the process ends', { concurrency: 2 }, () => {
  test('a slow HTTP client on --metrics-port does not keep the process alive after the run', async (t) => {
    const broker = await aedesForTest(t);
    const cli = spawnCli(t, [
      'run',
      '-b',
      broker.url,
      '-c',
      '2',
      '--duration',
      '2s',
      '--rate',
      '20',
      '--metrics-port',
      '0',
      // One loop: no worker thread to start, the metrics server is the main thread's either way.
      '--threads',
      '0',
    ]);
    await stderrMatches(cli, /Prometheus metrics on http:\/\/[\d.]+:\d+\/metrics/, 30_000, 'the metrics URL');
    const port = Number(/Prometheus metrics on http:\/\/[\d.]+:(\d+)\//.exec(cli.stderr())![1]);
    // Half a request, never finished: the server waits for the rest of its headers.
    const socket: Socket = connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    socket.on('error', () => {});
    await withTimeout(new Promise((resolve) => socket.once('connect', resolve)), 10_000, 'the slow client to connect');
    socket.write('GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Slow: ');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const { code } = await withTimeout(cli.exit, 30_000, 'the CLI to exit with the slow client still connected');
    assert.equal(code, 0, cli.stderr().slice(-500));
    await withTimeout(closed, 5_000, 'the slow client to be disconnected');
  });

  test('--out ndjson=FIFO with no reader: refused after a bounded wait, exit 2 naming --out, nothing connects', async (t) => {
    const broker = await new ConnectCounter().listen();
    t.after(() => broker.close());
    const path = fifo(t);
    const cli = spawnCli(t, ['run', '-b', broker.url, '-c', '2', '--count', '5', '--out', `ndjson=${path}`]);
    const { code } = await withTimeout(cli.exit, 30_000, 'the CLI to give up on the FIFO');
    assert.equal(code, 2, cli.stderr());
    assert.match(
      cli.stderr(),
      /mqtt-fleet: --out ndjson=\S+events\.fifo is a FIFO that nobody opened for reading within 5 s: start its reader first/,
    );
    assert.doesNotMatch(cli.stderr(), NO_STACK);
    assert.equal(broker.connections, 0);
  });

  test('--out ndjson=FIFO with no reader: SIGTERM while the run waits for one still ends the process (143) with a summary', async (t) => {
    const path = fifo(t);
    // The embedded broker is logged just before the run opens its --out files.
    const cli = spawnCli(t, ['run', '-c', '2', '--count', '5', '--out', `ndjson=${path}`, '--json'], { json: true });
    await stderrMatches(cli, /embedded Aedes broker listening/, 30_000, 'the embedded broker');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    cli.child.kill('SIGTERM');
    const { code } = await withTimeout(cli.exit, 15_000, 'the CLI to exit on SIGTERM');
    assert.equal(code, 143, cli.stderr());
    assert.equal(cli.lines.at(-1)?.type, 'summary');
    assert.doesNotMatch(cli.stderr(), NO_STACK);
  });

  test('--out ndjson=FIFO with a reader gets every event; a reader that stops reading costs that output, not the end of the run', async (t) => {
    const broker = await aedesForTest(t);
    const path = fifo(t);
    let text = '';
    const reader = createReadStream(path);
    t.after(() => reader.destroy());
    reader.on('data', (chunk) => (text += chunk.toString()));
    const readerClosed = new Promise((resolve) => reader.once('close', () => resolve(undefined)));
    const cli = spawnCli(
      t,
      [
        'run',
        '-b',
        broker.url,
        '-c',
        '2',
        '--count',
        '5',
        '--rate',
        '50',
        '--threads',
        '0',
        '--out',
        `ndjson=${path}`,
        '--json',
      ],
      { json: true },
    );
    assert.equal((await withTimeout(cli.exit, 30_000, 'the run with a FIFO reader')).code, 0, cli.stderr());
    await withTimeout(readerClosed, 5_000, 'the FIFO to be closed');
    const events = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    assert.equal(events.length, cli.lines.length, 'the FIFO got what stdout got');
    assert.equal(events.at(-1)!.type, 'summary');

    // Opened for reading, never read: the pipe fills up and stays full.
    const stuck = fifo(t);
    const holder = execHolder(t, stuck);
    const cli2 = spawnCli(t, [
      'run',
      '-b',
      broker.url,
      '-c',
      '2',
      '--count',
      '1000',
      '--rate',
      '0',
      // One loop: 2,000 messages without a worker thread's cost per message (the outputs are the main thread's).
      '--threads',
      '0',
      '--print-messages',
      '--out',
      `ndjson=${stuck}`,
    ]);
    const { code } = await withTimeout(cli2.exit, 60_000, 'the run to end although the FIFO reader does not read');
    assert.equal(code, 0, cli2.stderr().slice(-800));
    assert.match(cli2.stderr(), /--out ndjson=\S+ failed \(not written out within 5 s of the end/);
    holder.kill();
  });

  /** A process that holds `path` open for reading and never reads. */
  function execHolder(t: TestContext, path: string): { kill(): void } {
    const child = spawn('sh', ['-c', `exec 3<"${path}"; exec sleep 120`], { stdio: 'ignore' });
    t.after(() => child.kill('SIGKILL'));
    return { kill: () => child.kill('SIGKILL') };
  }

  test('mqtt-fleet broker --port <taken>: one line naming --port, exit 2', async (t) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    t.after(() => taken.close());
    const port = (taken.address() as AddressInfo).port;
    const cli = spawnCli(t, ['broker', '--port', String(port)]);
    const { code } = await withTimeout(cli.exit, 20_000, 'the broker command to exit');
    assert.equal(code, 2);
    assert.equal(
      cli.stderr().trim(),
      `mqtt-fleet: --port ${port}: 127.0.0.1:${port} is already in use (EADDRINUSE) (see mqtt-fleet --help)`,
    );
  });

  test('Ctrl-C as soon as the process can take it: a summary (nothing connected) and exit 130', async (t) => {
    const cli = spawnCli(t, ['run', '-c', '3', '--duration', '60s', '--json'], { json: true });
    await withTimeout(
      new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (existsSync(`/proc/${cli.child.pid}`) && catchesSighup(cli.child.pid!)) {
            clearInterval(poll);
            resolve();
          }
        }, 1);
      }),
      30_000,
      'the signal handlers',
    );
    cli.child.kill('SIGINT');
    const { code } = await withTimeout(cli.exit, 20_000, 'the CLI to exit after an early SIGINT');
    assert.equal(code, 130, cli.stderr());
    const summary = cli.lines.at(-1)!;
    assert.equal(summary.type, 'summary');
    assert.equal(summary.interrupted, true);
    assert.equal(summary.connected, 0);
    assert.match(cli.stderr(), /result: interrupted, figures so far \(exit 130\)/);
  });

  test('Ctrl-C while the embedded broker starts: a summary and exit 130 at once, the broker process gone', async (t) => {
    const cli = spawnCli(t, ['run', '-c', '3', '--duration', '60s', '--json'], { json: true });
    // The embedded broker is the first child process the run starts.
    let brokerPid = 0;
    await withTimeout(
      new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          const children = readFileSync(`/proc/${cli.child.pid}/task/${cli.child.pid}/children`, 'utf8').trim();
          if (children) {
            brokerPid = Number(children.split(' ')[0]);
            clearInterval(poll);
            resolve();
          }
        }, 1);
      }),
      30_000,
      'the embedded broker process to start',
    );
    cli.child.kill('SIGINT');
    const { code } = await withTimeout(cli.exit, 20_000, 'the CLI to exit after SIGINT during broker start-up');
    assert.equal(code, 130, cli.stderr());
    assert.equal(cli.lines.at(-1)!.type, 'summary');
    assert.equal(cli.lines.at(-1)!.interrupted, true);
    assert.ok(
      !existsSync(`/proc/${brokerPid}`) || /State:\s+Z/.test(readFileSync(`/proc/${brokerPid}/status`, 'utf8')),
      'the broker process is gone',
    );
  });

  for (const stream of ['stdout', 'stderr'] as const) {
    test(`${stream} closed mid-run (EPIPE): clients DISCONNECT, no stack traces, exit 141`, async (t) => {
      const mosquitto = await Mosquitto.start();
      t.after(() => mosquitto.stop());
      const runId = `epipe-${stream}`;
      // Something is written to each stream all the time: stats lines to stdout, ctx.log lines to stderr.
      const chatty = tempFile(
        t,
        'chatty.mjs',
        `export const tickMs = 50;\nexport function tick(ctx) { ctx.log('tick'); }\n`,
        'epipe',
      );
      // stdout's run on a thread per client, stderr's on one loop: both modes' clients say DISCONNECT.
      const threads = stream === 'stdout' ? [] : ['--threads', '0'];
      const cli = spawnCli(
        t,
        [
          'run',
          '-b',
          mosquitto.url,
          ...threads,
          '-c',
          '3',
          '--duration',
          '60s',
          '--rate',
          '50',
          '--qos',
          '1',
          '--run-id',
          runId,
          '--json',
          '--stats-interval',
          '100ms',
          '--workload',
          chatty,
        ],
        { json: true },
      );
      await cli.changed.until(
        () => cli.lines.some((l) => l.type === 'stats' && (l.published as number) > 0),
        30_000,
        'publishing to start',
      );
      // As `| head -1` does: the reading end goes away.
      const pipe = cli.child[stream];
      assert.ok(pipe, `the CLI's ${stream} is a pipe`);
      pipe.destroy();
      const { code } = await withTimeout(cli.exit, 20_000, `the CLI to stop after ${stream} closed`);
      assert.equal(code, 141, cli.stderr().slice(-1000));
      const ids = [0, 1, 2].map((i) => `mqtt-fleet-${runId}-${i}`);
      assert.deepEqual(mosquitto.withoutDisconnect(ids), [], 'every client sent DISCONNECT');
      if (stream === 'stdout') {
        assert.doesNotMatch(cli.stderr(), NO_STACK);
        assert.doesNotMatch(cli.stderr(), /internal error/);
        assert.equal(cli.stderr().match(/stdout closed \(EPIPE\): stopping clients cleanly/g)?.length, 1, 'said once');
        assert.match(cli.stderr(), /result: interrupted, figures so far \(exit 141\)/);
      }
    });
  }
});
