import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { UsageError } from '../src/errors.js';
import { resolveOptions, type Summary } from '../src/index.js';
import { generatorVerdict } from '../src/report/generator.js';
import { formatSummary } from '../src/report/summary-table.js';
import { aedesForTest } from './helpers/aedes.js';
import { BLOCK_UNTIL } from './helpers/block.js';
import { spawnCli } from './helpers/cli.js';
import { infoLogger } from './helpers/logger.js';
import { runForTest } from './helpers/run.js';
import { tempFile } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';

/** What a subscriber's hook read from one received payload's header. */
interface Heard {
  publisher: number;
  seq: number;
  sentAt: number;
  scheduledAt: number;
}

/** A workload hook that logs the header of every message its client receives (client `listener` only). */
const LISTEN = `
export function onMessage(ctx, m) {
  if (ctx.index !== LISTENER) return;
  const p = Buffer.from(m.payload);
  ctx.log('heard ' + p.readUInt32LE(8) + ' ' + p.readUInt32LE(12) + ' ' + p.readDoubleLE(16) + ' ' + p.readDoubleLE(24));
}`;

function listen(t: TestContext, listener: number, extra = ''): string {
  return tempFile(t, 'listen.mjs', `${LISTEN.replace('LISTENER', String(listener))}\n${extra}`);
}

/** Collects the hook's `heard` lines and any other ctx.log line. */
function hearing(): { heard: Heard[]; lines: string[]; logger: ReturnType<typeof infoLogger> } {
  const heard: Heard[] = [];
  const lines: string[] = [];
  const logger = infoLogger((line) => {
    const m = / heard (\d+) (\d+) ([\d.e+]+) ([\d.e+]+)$/.exec(line);
    if (m) heard.push({ publisher: Number(m[1]), seq: Number(m[2]), sentAt: Number(m[3]), scheduledAt: Number(m[4]) });
    else lines.push(line);
  });
  return { heard, lines, logger };
}

test('a publisher stalled for 500 ms: latency from the schedule shows it, latency from the actual send does not, and every message due in it is a late send', async (t) => {
  const broker = await aedesForTest(t);
  // The publisher's own thread blocks in a tick, once, a second into publishing: nothing it
  // schedules can go out meanwhile. The subscriber runs on a thread of its own, unstalled. The
  // tick falls between two messages' times (every 50 ms), not on one.
  const workload = listen(
    t,
    1,
    `export const tickMs = 1025;
export function tick(ctx) {
  if (ctx.index !== 0 || ctx.state.stalled) return;
  ctx.state.stalled = true;
  const from = performance.timeOrigin + performance.now();
  blockUntil(from + 500 - performance.timeOrigin);
  ctx.log('stall ' + from + ' ' + (performance.timeOrigin + performance.now()));
}
${BLOCK_UNTIL}`,
  );
  const scenario = tempFile(
    t,
    'stall.yaml',
    [
      'groups:',
      `  - { name: pub, count: 1, workload: ${JSON.stringify(workload)}, publish: { topic: "s/{n}", rate: 20, duration: 3s } }`,
      `  - { name: sub, count: 1, workload: ${JSON.stringify(workload)}, subscribe: ["s/#"] }`,
    ].join('\n'),
  );
  const { heard, lines, logger } = hearing();
  const summary = await runForTest(t, { scenario, brokers: [broker.url], logger });
  const stall = lines.map((l) => / stall ([\d.]+) ([\d.]+)$/.exec(l)).find((m) => m !== null);
  assert.ok(stall, `the stall happened: ${lines.join(' | ')}`);
  const [from, to] = [Number(stall[1]), Number(stall[2])];
  const period = 50;
  assert.equal(summary.received, summary.published);
  assert.equal(heard.length, summary.received, 'the hook saw every message');
  t.diagnostic(
    `latency p99 ${summary.latencyMs.p99} ms, from schedule p99 ${summary.scheduledLatencyMs?.p99} ms, send lag max ${summary.sendLagMs?.max} ms, late ${summary.lateSends}`,
  );
  assert.ok(
    summary.scheduledLatencyMs!.p99 >= 400,
    `the stall shows from the schedule: p99 ${summary.scheduledLatencyMs!.p99} ms`,
  );
  assert.ok(summary.latencyMs.p99 < 150, `and not from the actual send: p99 ${summary.latencyMs.p99} ms`);
  assert.ok(summary.sendLagMs!.max >= 400, 'the publisher knew it was behind');
  // What the publisher counted is what the headers say went out more than a period late...
  const late = heard.filter((h) => h.sentAt - h.scheduledAt > period);
  assert.equal(summary.lateSends, late.length);
  // ...and those are the messages that fell due while the thread was blocked (but for its last
  // period: one due then goes out less than a period late), give or take the one on the edge.
  const due = heard.filter((h) => h.scheduledAt >= from && h.scheduledAt < to - period).length;
  assert.ok(Math.abs(summary.lateSends - due) <= 1, `${summary.lateSends} late sends, ${due} due during the stall`);
  assert.ok(due >= 8, `${due} messages due during 500 ms at 20/s`);
  // A message due less than a period before the stall began and not yet sent (a timer a few ms
  // late on a loaded machine) is held by the stall too; none due earlier or after may be late.
  const outside = late.filter((h) => h.scheduledAt < from - period || h.scheduledAt >= to);
  assert.deepEqual(
    outside.map((h) => Math.round(h.scheduledAt - from)),
    [],
    'no late send outside the stall (ms from its start)',
  );
});

test('--phase: spread starts client i of N i/N of a period late, together starts them all at once', async (t) => {
  const broker = await aedesForTest(t);
  const phases = async (phase: 'spread' | 'together'): Promise<Heard[]> => {
    const { heard, logger } = hearing();
    const summary = await runForTest(t, {
      brokers: [broker.url],
      clients: 5,
      rate: 2,
      count: 2,
      subTopic: 'fleet/+',
      workload: listen(t, 0),
      phase,
      threads: 0,
      logger,
    });
    assert.equal(summary.phase, phase);
    assert.equal(summary.lost, 0);
    return heard.filter((h) => h.seq === 0).sort((a, b) => a.publisher - b.publisher);
  };
  const together = await phases('together');
  assert.equal(together.length, 5);
  assert.equal(new Set(together.map((h) => h.scheduledAt)).size, 1, 'one scheduled time for every first send');
  const sent = together.map((h) => h.sentAt);
  // One event loop: every first send's timer comes due in the same turn.
  assert.ok(
    Math.max(...sent) - Math.min(...sent) < 50,
    `first sends within a few ms: ${sent.map((s) => (s - sent[0]!).toFixed(1)).join(', ')}`,
  );

  const spread = await phases('spread');
  assert.equal(spread.length, 5);
  // Period 500 ms over 5 clients: 0, 100, 200, 300, 400 ms after the barrier.
  spread.forEach((h, i) =>
    assert.ok(
      Math.abs(h.scheduledAt - spread[0]!.scheduledAt - i * 100) < 0.01,
      `client ${i} scheduled ${h.scheduledAt - spread[0]!.scheduledAt} ms after client 0`,
    ),
  );
  // Nothing goes out before its slot: the last first send is at least 400 ms after the first slot.
  spread.forEach((h) => assert.ok(h.sentAt >= h.scheduledAt, 'never sent before it was due'));
  assert.ok(
    Math.max(...spread.map((h) => h.sentAt)) - spread[0]!.scheduledAt >= 400,
    'the first sends cover the period',
  );
});

test('--phase in a scenario, per group; the summary header names it', async (t) => {
  const broker = await aedesForTest(t);
  const scenario = tempFile(
    t,
    'phases.yaml',
    [
      'groups:',
      '  - { name: a, count: 2, subscribe: ["a/{n}"], publish: { topic: "a/{n}", rate: 10, count: 3, phase: together } }',
      '  - { name: b, count: 2, subscribe: ["b/{n}"], publish: { topic: "b/{n}", rate: 10, count: 3 } }',
    ].join('\n'),
  );
  // On the main loop: phases are the session's, the same in every thread mode (8 threads cost ~1 CPU-s).
  const summary = await runForTest(t, { scenario, brokers: [broker.url], phase: 'together', threads: 0 });
  assert.equal(summary.phase, 'together', 'b takes the run-wide --phase');
  const mixed = await runForTest(t, { scenario, brokers: [broker.url], threads: 0 });
  assert.equal(mixed.phase, 'mixed');
  assert.match(formatSummary(mixed), /QoS 0 · phases mixed ·/);
  assert.match(formatSummary(summary), /QoS 0 · phase together ·/);
  const bad = tempFile(
    t,
    'bad.yaml',
    ['groups:', '  - { name: a, count: 1, publish: { topic: "a", rate: 1, count: 1, phase: sideways } }'].join('\n'),
  );
  assert.throws(
    () => resolveOptions({ scenario: bad }, {}),
    (e: unknown) => e instanceof UsageError && /publish\.phase.*must be spread or together/.test(e.message),
  );
  assert.throws(
    () => resolveOptions({ phase: 'sideways' }, {}),
    (e: unknown) => e instanceof UsageError && e.option === '--phase',
  );
});

/**
 * 2 clients at 20/s for 3 s at QoS 1 on one loop, the first 1.5 s a warm-up, while client 0's
 * first tick (at `atMs`) stalls the publishers' thread for `stallMs`.
 */
async function stalledWarmup(t: TestContext, atMs: number, stallMs: number): Promise<Summary> {
  const broker = await aedesForTest(t);
  const workload = tempFile(
    t,
    'stall.mjs',
    `export const tickMs = ${atMs};
export function tick(ctx) {
  if (ctx.index !== 0 || ctx.state.stalled) return;
  ctx.state.stalled = true;
  blockUntil(performance.now() + ${stallMs});
}
${BLOCK_UNTIL}`,
  );
  return runForTest(t, {
    brokers: [broker.url],
    clients: 2,
    rate: 20,
    duration: '3s',
    warmup: '1500ms',
    threads: 0,
    qos: 1,
    workload,
  });
}

test('--warmup: its messages are out of latency, send lag and rates, counted apart, and accounted for', async (t) => {
  // An 800 ms stall of the publishers' thread inside the warm-up (from 0.3 s to 1.1 s): it must
  // leave no trace in the figures, where it would put 750 ms or more into latency from the schedule.
  const summary = await stalledWarmup(t, 300, 800);
  t.diagnostic(
    JSON.stringify({
      warmup: summary.warmup,
      latency: summary.latencyMs.max,
      scheduled: summary.scheduledLatencyMs?.max,
      perSec: summary.publishedPerSec,
    }),
  );
  assert.ok(summary.warmup);
  assert.equal(summary.warmup.ms, 1500);
  // 2 clients at 20/s for 1.5 s: 60 (the second client's phase moves one of its sends, at most).
  assert.ok(Math.abs(summary.warmup.published - 60) <= 2, `${summary.warmup.published} published during the warm-up`);
  assert.equal(summary.warmup.received, summary.warmup.published, 'each client hears its own messages');
  assert.equal(summary.lost, 0, 'accounting covers every message, the warm-up too');
  assert.equal(summary.received, summary.published);
  assert.equal(summary.latencyMs.count, summary.received - summary.warmup.received);
  assert.equal(summary.scheduledLatencyMs!.count, summary.latencyMs.count);
  assert.equal(summary.sendLagMs!.count, summary.published - summary.warmup.published);
  // So are their acknowledgements: every message was acknowledged, those of the warm-up out of the PUBACK figures.
  assert.equal(summary.acked, summary.published);
  assert.equal(
    summary.steps.pubackMs.count,
    summary.acked - summary.warmup.published,
    'PUBACK times of warm-up messages left out',
  );
  assert.ok(
    summary.scheduledLatencyMs!.max < 500,
    `the stall in the warm-up is not in the figures: max ${summary.scheduledLatencyMs!.max} ms`,
  );
  assert.ok(summary.sendLagMs!.max < 500, `nor in send lag: max ${summary.sendLagMs!.max} ms`);
  // The 30 or so sent late in the stall (2 clients, 20/s, 0.8 s) were warm-up: none of them counts here.
  assert.ok(summary.lateSends < 16, `${summary.lateSends} late sends after the warm-up`);
  // What was sent after the warm-up, over the time after it; the duration still counts from the barrier.
  assert.ok(summary.durationMs >= 2900);
  assert.equal(
    summary.publishedPerSec,
    Math.round(((summary.published - summary.warmup.published) * 1000) / (summary.durationMs - 1500)),
  );
  assert.equal(
    summary.receivedPerSec,
    Math.round(((summary.received - summary.warmup.received) * 1000) / (summary.durationMs - 1500)),
  );
  assert.match(formatSummary(summary), /warm-up\s+first 1\.50 s: 60 published · 60 received/);
  assert.throws(
    () => resolveOptions({ warmup: '10s', duration: '10s' }, {}),
    (e: unknown) => e instanceof UsageError && e.option === '--warmup',
  );
  assert.throws(
    () => resolveOptions({ warmup: 'soon' }, {}),
    (e: unknown) => e instanceof UsageError && e.option === '--warmup',
  );
  const scenario = tempFile(
    t,
    'warm.yaml',
    [
      'defaults: { warmup: 2s }',
      'groups:',
      '  - { name: a, count: 1, publish: { topic: "a", rate: 1, duration: 5s } }',
    ].join('\n'),
  );
  assert.equal(resolveOptions({ scenario }, {}).warmupMs, 2000, 'a scenario default');
});

test('--warmup: a message due in the warm-up is its own even when a stall sends it after the warm-up', async (t) => {
  // The publishers' thread stalls from about 1 s to 2 s: the messages due from 1 s to the end of the
  // 1.5 s warm-up go out after it. They are the warm-up's: by send time the warm-up would hold about
  // 40 of its 60, and the stall would reach the send lag through them.
  const summary = await stalledWarmup(t, 1000, 1000);
  t.diagnostic(JSON.stringify({ warmup: summary.warmup, lateSends: summary.lateSends, lag: summary.sendLagMs?.max }));
  assert.equal(summary.warmup?.published, 60, '2 clients at 20/s due in 1.5 s');
  assert.equal(summary.warmup?.received, 60);
  assert.equal(summary.lost, 0);
  assert.equal(summary.sendLagMs!.count, summary.published - 60);
  assert.equal(summary.latencyMs.count, summary.received - 60);
  assert.equal(summary.steps.pubackMs.count, summary.acked - 60);
});

test('generator verdict: more than a core of --work for a publishing client makes it fire; a calm run stays silent', async (t) => {
  const broker = await aedesForTest(t);
  // The client hears its own messages and spends 30 ms on each: at 50/s, 1.5 cores' work for one
  // thread, so its sends fall behind within the second (1.5 s of busy-waiting in all; two clients
  // at a core each for 2 s burnt 4 s of the suite's CPU).
  const busy = spawnCli(
    t,
    ['run', '-b', broker.url, '-c', '1', '--rate', '50', '--duration', '1s', '--work', '30ms', '--json'],
    { json: true },
  );
  await withTimeout(busy.exit, 60_000, 'the busy run');
  const limited = busy.lines.at(-1) as unknown as Summary;
  t.diagnostic(JSON.stringify(limited.generatorLimited));
  assert.equal(limited.generatorLimited.limited, true);
  assert.ok(
    limited.generatorLimited.reasons.some((r) => r.signal === 'send-lag'),
    'its sends fell behind',
  );
  assert.match(
    busy.stderr(),
    /generator\s+mqtt-fleet could not keep up: these figures describe mqtt-fleet, not the broker/,
  );
  assert.match(busy.stderr(), /send-lag\s+[\d.]+% of paced messages/);

  // Worker threads, as the busy run: two of them, not one per client.
  const calm = await runForTest(t, { clients: 5, rate: 10, duration: '2s', threads: 2 });
  t.diagnostic(
    `calm: ${JSON.stringify({ verdict: calm.generatorLimited, loopDelayMs: calm.loopDelayMs, lateSends: calm.lateSends })}`,
  );
  assert.equal(calm.exitCode, 0);
  assert.deepEqual(
    { limited: calm.generatorLimited.limited, reasons: calm.generatorLimited.reasons },
    { limited: false, reasons: [] },
  );
  assert.ok(calm.generatorLimited.cpuShare !== null && calm.generatorLimited.cpuShare < 0.9);
  assert.doesNotMatch(formatSummary(calm), /could not keep up/);
});

test('generator verdict: each sign at its limit', () => {
  const calm = { lateSends: 0, pacedSent: 1000, loopDelayP99: 5, cpuShare: 0.2 };
  assert.equal(generatorVerdict(calm).limited, false);
  assert.deepEqual(generatorVerdict({ ...calm, lateSends: 9 }).reasons, [], '0.9% late: not a meaningful share');
  assert.deepEqual(
    generatorVerdict({ ...calm, lateSends: 10 }).reasons.map((r) => r.signal),
    ['send-lag'],
  );
  assert.deepEqual(generatorVerdict({ ...calm, loopDelayP99: 99 }).reasons, []);
  assert.deepEqual(
    generatorVerdict({ ...calm, loopDelayP99: 100 }).reasons.map((r) => r.signal),
    ['loop-delay'],
  );
  assert.deepEqual(
    generatorVerdict({ ...calm, cpuShare: 0.95 }).reasons.map((r) => r.signal),
    ['cpu'],
  );
  assert.deepEqual(generatorVerdict({ lateSends: 0, pacedSent: 0, loopDelayP99: null, cpuShare: null }), {
    limited: false,
    reasons: [],
    cpuShare: null,
  });
});

test('--rate 0: unpaced messages have no schedule, so only the actual latency applies', async (t) => {
  const broker = await aedesForTest(t);
  const summary = await runForTest(t, { brokers: [broker.url], clients: 2, rate: 0, count: 50, threads: 0 });
  assert.equal(summary.received, 100);
  assert.equal(summary.latencyMs.count, 100);
  assert.equal(summary.scheduledLatencyMs, null);
  assert.equal(summary.sendLagMs, null);
  assert.equal(summary.lateSends, 0);
  assert.equal(summary.phase, null);
  assert.match(
    formatSummary(summary),
    /from schedule\s+unpaced \(--rate 0\): no schedule, only the latency above applies/,
  );
  assert.match(formatSummary(summary), /QoS 0 · unpaced ·/);
});
