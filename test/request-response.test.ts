import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { resolveOptions, run } from '../src/index.js';
import type { Summary } from '../src/report/events.js';
import type { StatsLine } from '../src/metrics/stats-line.js';
import { mergeResults } from '../src/shard/merge.js';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { runShards } from './helpers/run.js';
import { tempDir } from './helpers/temp.js';
import { throwsUsage } from './helpers/usage.js';
import { withTimeout } from './helpers/wait.js';

/** A scenario of `callers` (requesters) and one `service` (responder), with the responder's workload if given. */
function scenario(
  t: TestContext,
  options: {
    callers: number;
    count: number;
    rate?: number;
    timeout: string;
    workload?: string;
    callerThreads?: string;
  },
): string {
  const dir = tempDir(t, 'reqres');
  if (options.workload !== undefined) writeFileSync(join(dir, 'responder.mjs'), options.workload);
  const path = join(dir, 'rr.yaml');
  writeFileSync(
    path,
    [
      'groups:',
      '  - name: callers',
      `    count: ${options.callers}`,
      `    threads: ${options.callerThreads ?? '0'}`,
      '    mqttVersion: 5',
      `    publish: { topic: 'svc/req/{n}', rate: ${options.rate ?? 50}, count: ${options.count}, qos: 1 }`,
      `    request: { timeout: ${options.timeout} }`,
      '  - name: service',
      '    count: 1',
      '    threads: 0',
      '    mqttVersion: 5',
      "    subscribe: { topic: 'svc/req/+', qos: 1 }",
      '    respond: { qos: 1 }',
      ...(options.workload === undefined ? [] : ['    workload: ./responder.mjs']),
      '',
    ].join('\n'),
  );
  return path;
}

/** Every request ends in exactly one way: answered, timed out or pending. */
function assertAccounted(s: Summary): NonNullable<Summary['requests']> {
  const r = s.requests;
  assert.ok(r, 'the summary has request figures');
  assert.equal(r.answered + r.timedOut + r.pending, r.sent, JSON.stringify(r));
  assert.equal(r.roundTripMs.count, r.answered, 'one round trip per answered request');
  return r;
}

// Each test has a broker of its own and mostly waits (on delays, timeouts, a --start-at): three at a time.
describe('request/response', { concurrency: 3 }, () => {
  test('a responder hook that delays 20 ms: round-trip p50 >= 20 ms, every request answered or timed out (Mosquitto)', async (t) => {
    // Nagle off: by default Mosquitto holds small writes up to ~40 ms, which alone would pass the check (measured: echo p50 40 ms, 4 ms without).
    const mosquitto = await Mosquitto.start('set_tcp_nodelay true', { verbose: false });
    t.after(() => mosquitto.stop());
    const path = scenario(t, {
      callers: 2,
      count: 50,
      timeout: '3s',
      workload: 'export async function onRequest() { await new Promise((resolve) => setTimeout(resolve, 20)); }\n',
    });
    const summary = await withTimeout(run({ scenario: path, brokers: [mosquitto.url] }), 60_000, 'the run');
    const r = assertAccounted(summary);
    assert.equal(r.sent, 100);
    assert.equal(r.pending, 0, 'the drain waited for every response or timeout');
    assert.equal(r.requestsIn, 100);
    assert.ok(r.roundTripMs.p50 >= 20, `round-trip p50 ${r.roundTripMs.p50} ms`);
    // The requests are ordinary tracked messages to the responder too.
    assert.equal(summary.lost, 0);
    assert.equal(summary.expected, 100);
  });

  test('a responder that drops every tenth request shows exactly 10% timeouts (Mosquitto)', async (t) => {
    const mosquitto = await Mosquitto.start('', { verbose: false });
    t.after(() => mosquitto.stop());
    const path = scenario(t, {
      callers: 2,
      count: 50,
      // Generous: on a busy machine a response may take a while, and only the dropped ones may time out.
      timeout: '2s',
      workload:
        'export function onRequest(ctx) {\n  ctx.state.n = (ctx.state.n ?? 0) + 1;\n  if (ctx.state.n % 10 === 0) return null;\n}\n',
    });
    const summary = await withTimeout(
      run({
        scenario: path,
        brokers: [mosquitto.url],
        threshold: ['timedOut==10', 'timedOut==0', 'roundTrip.max<=2s'],
      }),
      60_000,
      'the run',
    );
    const r = assertAccounted(summary);
    assert.equal(r.sent, 100);
    assert.equal(r.dropped, 10);
    assert.equal(r.timedOut, 10, JSON.stringify(r));
    assert.equal(r.answered, 90);
    assert.equal(r.late, 0);
    assert.equal(r.pending, 0);
    assert.deepEqual(
      summary.thresholds.map((o) => [o.threshold, o.pass]),
      [
        ['timedOut==10', true],
        ['timedOut==0', false],
        ['roundTrip.max<=2s', true],
      ],
    );
    assert.equal(summary.exitCode, 99, 'a crossed threshold');
  });

  test('a response after its timeout counts as late and timed out, never as answered (Mosquitto)', async (t) => {
    const mosquitto = await Mosquitto.start('set_tcp_nodelay true', { verbose: false });
    t.after(() => mosquitto.stop());
    // The first request is answered after 1.5 s, past its 1 s timeout and before publishing ends (2.25 s).
    const path = scenario(t, {
      callers: 1,
      count: 10,
      rate: 4,
      timeout: '1s',
      workload:
        'export async function onRequest(ctx) {\n  ctx.state.n = (ctx.state.n ?? 0) + 1;\n  if (ctx.state.n === 1) await new Promise((resolve) => setTimeout(resolve, 1500));\n}\n',
    });
    const summary = await withTimeout(run({ scenario: path, brokers: [mosquitto.url] }), 60_000, 'the run');
    const r = assertAccounted(summary);
    assert.equal(r.sent, 10);
    assert.equal(r.timedOut, 1, JSON.stringify(r));
    assert.equal(r.late, 1);
    assert.equal(r.answered, 9);
    assert.equal(r.responded, 10, 'the late response was sent');
    assert.ok(r.roundTripMs.max <= 1000, 'the late one is not among the round trips');
  });

  test('the built-in responder echoes every request; requesters on threads of their own (Mosquitto)', async (t) => {
    const mosquitto = await Mosquitto.start('', { verbose: false });
    t.after(() => mosquitto.stop());
    const path = scenario(t, { callers: 3, count: 20, timeout: '10s', callerThreads: 'per-client' });
    const stats: StatsLine[] = [];
    const summary = await withTimeout(
      run({ scenario: path, brokers: [mosquitto.url], onEvent: (e) => e.type === 'stats' && stats.push(e) }),
      60_000,
      'the run',
    );
    const r = assertAccounted(summary);
    assert.equal(r.sent, 60);
    assert.equal(r.answered, 60);
    assert.equal(r.responded, 60);
    assert.equal(r.duplicates + r.stray + r.late, 0);
    assert.ok(r.roundTripMs.p50 > 0);
    // Responses are not the plan's messages: nobody counts them as foreign.
    assert.equal(summary.foreign, 0);
    assert.equal(summary.published, 60);
    // Live: the last stats line counts every request; the intervals show round trips as they come.
    assert.deepEqual(
      { ...stats.at(-1)!.requests, roundTripMs: undefined },
      { sent: 60, answered: 60, timedOut: 0, roundTripMs: undefined },
    );
    assert.ok(stats.some((line) => (line.requests?.roundTripMs?.p50 ?? 0) > 0));
  });

  test('an onRequest hook that throws fails its client, once; its requests go unanswered and time out (Mosquitto)', async (t) => {
    const mosquitto = await Mosquitto.start('set_tcp_nodelay true', { verbose: false });
    t.after(() => mosquitto.stop());
    const path = scenario(t, {
      callers: 1,
      count: 10,
      timeout: '300ms',
      workload: 'export function onRequest() {\n  throw new Error("no service today");\n}\n',
    });
    const errors: string[] = [];
    const summary = await withTimeout(
      run({
        scenario: path,
        brokers: [mosquitto.url],
        onEvent: (e) => e.type === 'status' && e.state === 'failed' && errors.push(e.error?.message ?? ''),
      }),
      60_000,
      'the run',
    );
    assert.deepEqual(errors, ['workload onRequest failed: no service today']);
    assert.equal(summary.failed, 1);
    const r = assertAccounted(summary);
    assert.equal(r.answered, 0);
    assert.equal(r.responded, 0);
    assert.equal(r.timedOut + r.pending, 10, JSON.stringify(r));
  });

  test("sharded: merge adds every shard's requester and responder counts and merges the round trips", async (t) => {
    const mosquitto = await Mosquitto.start('set_tcp_nodelay true', { verbose: false });
    t.after(() => mosquitto.stop());
    const path = scenario(t, { callers: 2, count: 20, timeout: '10s' });
    const dir = tempDir(t, 'reqres-shards');
    // The shards run in this process, each writing its result file as a shard's process would: what
    // is checked is the merge of their figures (shards.test.ts spawns a shard of its own).
    const results = await runShards(t, mosquitto.url, 'rrshards', 2, { scenario: path }, dir);
    const { summary } = mergeResults(results);
    const r = assertAccounted(summary);
    assert.equal(r.sent, 40);
    assert.equal(r.answered, 40);
    assert.equal(r.requestsIn, 40);
    assert.equal(r.responded, 40);
    // Each shard counted its own clients' side; the merged round trips are the shards' together.
    const own = results.map((result) => result.summary.requests!);
    assert.ok(own[0]!.sent > 0 && own[1]!.sent > 0, `each shard sent requests: ${own[0]!.sent}, ${own[1]!.sent}`);
    assert.equal(own[0]!.sent + own[1]!.sent, r.sent);
    assert.equal(own[0]!.roundTripMs.count + own[1]!.roundTripMs.count, r.roundTripMs.count);
  });

  test('request/response below MQTT 5 is refused up front, naming the setting (exit 2)', async (t) => {
    const dir = tempDir(t, 'reqres');
    const path = join(dir, 'v3.yaml');
    writeFileSync(
      path,
      "groups:\n  - name: callers\n    count: 1\n    publish: { topic: 'a/{n}', count: 1 }\n    request: { timeout: 1s }\n",
    );
    const cli = spawnCli(t, ['run', '--scenario', path]);
    const { code } = await withTimeout(cli.exit, 30_000, 'the CLI');
    assert.equal(code, 2, cli.stderr());
    const lines = cli.stderr().trim().split('\n');
    assert.equal(lines.length, 1, cli.stderr());
    assert.match(lines[0]!, /groups\[0\]\.request needs mqttVersion 5/);
    assert.doesNotMatch(cli.stderr(), /at .*\.js:\d+/, 'no stack trace');

    // The other rule as the library checks it: the UsageError the CLI above printed as one line, exit 2.
    const responder = join(dir, 'resp.yaml');
    writeFileSync(responder, 'groups:\n  - name: service\n    count: 1\n    mqttVersion: 5\n    respond: true\n');
    throwsUsage(() => resolveOptions({ scenario: responder }), /groups\[0\]\.respond needs subscribe/);
  });
});
