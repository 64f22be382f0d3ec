import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { mergeResults, readShardResults, run, type RunEvent, type RunOptions, type Summary } from '../src/index.js';
import { addEncoded, newHistogram, summarizeLatency } from '../src/metrics/histogram.js';
import type { ShardResult } from '../src/shard/result.js';
import { STEPS } from '../src/metrics/steps.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { runForTest, runShards } from './helpers/run.js';
import { tempDir, tempFile } from './helpers/temp.js';
import { throwsUsage } from './helpers/usage.js';
import { Condition, withTimeout } from './helpers/wait.js';
import { at } from '../src/mqtt/checked.js';

// The shards here are runs in this process (runShards): the files they write are what the merge
// reads, and these tests are about them and the merge, not about processes. Shards as processes:
// the late shard below, and netns.test.ts's shards on hosts of their own. (A spawned shard cost
// about 0.4 CPU-s of Node and CLI start-up: ten of them here.)

// The shard runs wait on their --start-at and their brokers, each on brokers of its own: the
// tests side by side. All seven at once, when every shard was a CLI process (about 14 starting
// together), made shards miss their --start-at at a load average of 28, failing three tests; the
// shards are runs in this process now (one CLI shard, the late one), ready within a second (0.2-0.7 s
// at a load average of 12), and four at a time keep the processes that remain (merges, the late
// shard) from starting together. The late shard's test, the longest, goes first.
describe('shards', { concurrency: 4 }, () => {
  test('one shard ready about 3 s after --start-at: 0 lost, what its subscribers could not have had is counted as not subscribed, and it publishes on the common schedule', async (t) => {
    const mosquitto = await Mosquitto.start('max_queued_messages 0', { verbose: false });
    t.after(() => mosquitto.stop());
    // Only to count what reached each client, independently of the run's own figures.
    const proxy = await new FaultProxy(mosquitto.port, 'late', () => 'forward').listen();
    t.after(() => proxy.close());
    const dir = tempDir(t);
    // The three on-time shards run in this process, ready within a second of the lead; the late
    // one is a process of its own, started once they publish, as a shard started late would be.
    const startAt = Date.now() + 3000;
    // A client per shard: what the late one missed and caught up shows as well as with two, at a
    // quarter of the deliveries (every client hears every publisher). 10 s of publishing: room for
    // the late shard's process to start on a busy machine and still publish on the common
    // schedule before it ends (with 7 s, one such shard ready 3.2 s late published 118 of 140).
    const plan = { clients: 4, rate: 20, duration: '10s', qos: 1, subTopic: 'fleet/+', threads: 0 } as const;
    const resultOut = (i: number): string => `result=${join(dir, `shard-${i}.json`)}`;
    let published = 0;
    const publishing = new Condition();
    const onTime = [0, 1, 2].map((i) =>
      runForTest(t, {
        ...plan,
        brokers: [proxy.url],
        shard: `${i}/4`,
        runId: 'late',
        startAt: new Date(startAt).toISOString(),
        out: [resultOut(i)],
        ...(i === 0
          ? {
              statsInterval: '250ms',
              onEvent: (e: RunEvent) => {
                if (e.type !== 'stats') return;
                published = e.published;
                publishing.notify();
              },
            }
          : {}),
      }),
    );
    // Shard 3 starts once the others have been publishing for about 2 s (1 client x 20/s each).
    await publishing.until(() => published >= 40, 40_000, 'the on-time shards to publish');
    const late = spawnCli(t, [
      'run',
      '-b',
      proxy.url,
      '--shard',
      '3/4',
      '--run-id',
      'late',
      '--start-at',
      new Date(startAt).toISOString(),
      '--out',
      resultOut(3),
      '--log-level',
      'warn',
      '-c',
      String(plan.clients),
      '--rate',
      String(plan.rate),
      '--duration',
      plan.duration,
      '--qos',
      String(plan.qos),
      '--sub-topic',
      plan.subTopic,
      '--threads',
      String(plan.threads),
    ]);
    await withTimeout(Promise.all(onTime), 60_000, 'the on-time shards to finish');
    assert.equal((await withTimeout(late.exit, 60_000, 'the late shard to finish')).code, 0, late.stderr());
    const results = [0, 1, 2, 3].map(
      (i) => JSON.parse(readFileSync(join(dir, `shard-${i}.json`), 'utf8')) as ShardResult,
    );
    const merge = spawnCli(t, ['merge', ...results.map((_, i) => join(dir, `shard-${i}.json`)), '--json'], {
      json: true,
    });
    const { code } = await withTimeout(merge.exit, 20_000, 'merge');
    const merged = merge.lines.at(-1) as unknown as Summary;
    let distinct = 0;
    for (let i = 0; i < 4; i++) distinct += proxy.counts(`mqtt-fleet-late-${i}`).distinct;
    t.diagnostic(
      `shard 3 ready ${at(results, 3).readyAt! - startAt} ms after --start-at, published ${at(results, 3).summary.published} of ${at(results, 3).summary.planned} (went at ${at(results, 3).goAt - startAt} ms, last at ${at(results, 3).lastPublishAt - startAt} ms, ${at(results, 3).totals.lateSends} late sends); merged: planned ${merged.planned}, published ${merged.published}, expected ${merged.expected}, received ${merged.received}, lost ${merged.lost}, inFlight ${merged.inFlight}, unsubscribed ${merged.unsubscribed}, proxy distinct ${distinct}, exit ${code}`,
    );
    assert.ok(at(results, 3).readyAt! - startAt > 1000, 'shard 3 was ready well after --start-at');
    assert.equal(merged.lost, 0, 'the broker lost nothing');
    assert.equal(merged.inFlight, 0);
    assert.equal(merged.unsubscribed, merged.expected - distinct, 'exactly what never reached a client');
    // Shard 3's subscriber missed about 2-3 s of the other three publishers (20/s each): roughly 120-180.
    assert.ok(merged.unsubscribed > 1 * 3 * 20, `${merged.unsubscribed} not subscribed`);
    // At most one message per client short at the end (a run of 8 clients allowed 8).
    assert.ok(
      Math.abs(merged.published - merged.planned) <= 4,
      `the late shard caught up on the common schedule: ${merged.published} of ${merged.planned}`,
    );
    assert.deepEqual(merged.shortfall, []);
    assert.equal(code, 0);
    assert.match(
      merge.stderr(),
      /shard 3 was ready \d+ ms after --start-at: what was sent to its subscribers before they subscribed counts as not subscribed, not lost/,
    );
    assert.match(merge.stderr(), /not subscribed\s+[\d,]+ messages sent while their subscriber was not subscribed/);
  });

  test('merging 4 shard results reproduces the unsharded run: every stream across shards accounted for, percentiles from merged histograms', async (t) => {
    // The unsharded reference runs on a broker of its own, configured alike, while the shards wait for --start-at.
    const [mosquitto, reference] = await Promise.all([
      Mosquitto.start('max_queued_messages 0', { verbose: false }),
      Mosquitto.start('max_queued_messages 0', { verbose: false }),
    ]);
    t.after(() => mosquitto.stop());
    t.after(() => reference.stop());
    const dir = tempDir(t);
    // Every client hears every publisher: most streams cross shards.
    // On the main event loop: what is merged is the same whatever host ran the clients (a thread
    // per shard's client cost ~0.1 CPU-s to start and five times the CPU per message).
    const fleet: RunOptions = {
      clients: 8,
      count: 30,
      rate: 50,
      qos: 1,
      topic: 'fleet/{i}',
      subTopic: 'fleet/+',
      threads: 0,
    };
    const unshardedRun = run({ ...fleet, brokers: [reference.url] });
    // Four shards on the main event loop are ready within a second here; on a busy machine one
    // may still be ready after --start-at, which the branch below accounts for.
    const [unsharded, results] = await Promise.all([
      unshardedRun,
      runShards(t, mosquitto.url, 'sharded4', 4, fleet, dir, undefined, 3000),
    ]);
    for (const r of results) {
      assert.deepEqual(
        r.clients,
        [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => i % 4 === r.shard.index),
        'a disjoint, deterministic slice',
      );
      assert.equal(r.summary.expected, 2 * 2 * 30, "a shard's own summary counts the streams within it");
    }
    const merge = spawnCli(t, ['merge', ...results.map((_, i) => join(dir, `shard-${i}.json`)), '--json'], {
      json: true,
    });
    assert.equal((await withTimeout(merge.exit, 20_000, 'merge')).code, 0, merge.stderr());
    const merged = merge.lines.at(-1) as unknown as Summary;
    const late = results
      .filter((r) => r.readyAt! > r.startAt!)
      .map((r) => `shard ${r.shard.index} ready ${r.readyAt! - r.startAt!} ms late`);
    t.diagnostic(
      `merged: received ${merged.received}, lost ${merged.lost}, unsubscribed ${merged.unsubscribed}; ${late.length === 0 ? 'every shard ready before --start-at' : late.join(', ')}`,
    );
    // A shard ready late missed what was sent before it subscribed: not lost, counted apart.
    const exact = late.length === 0 ? (['received', 'unsubscribed'] as const) : [];
    for (const field of [
      'clients',
      'connected',
      'published',
      'expected',
      'lost',
      'inFlight',
      'duplicates',
      'gaveUp',
      ...exact,
    ] as const) {
      assert.equal(merged[field], unsharded[field], `${field}: merged ${merged[field]}, unsharded ${unsharded[field]}`);
    }
    assert.equal(
      merged.received - merged.duplicates + merged.unsubscribed,
      merged.expected,
      'everything expected was received or sent while its subscriber was not subscribed',
    );
    assert.equal(merged.expected, 8 * 8 * 30);
    assert.equal(merged.shards, 4);
    if (late.length === 0) assert.equal(merged.latencyMs.count, unsharded.latencyMs.count);
    // Percentiles come from the shards' histograms added together, exactly.
    const all = newHistogram();
    for (const r of results) addEncoded(all, at(r.latency, 0));
    assert.deepEqual(
      (({ count, p50, p90, p99, p999, max }) => ({ count, p50, p90, p99, p999, max }))(summarizeLatency(all)),
      (({ count, p50, p90, p99, p999, max }) => ({ count, p50, p90, p99, p999, max }))(merged.latencyMs),
    );
    // Every step of the clients' lives, likewise: the shards' histograms added, exactly, and as many as the unsharded run timed.
    const pick = ({ count, p50, p90, p99, p999, max }: Summary['latencyMs']) => ({ count, p50, p90, p99, p999, max });
    STEPS.forEach((step, n) => {
      const h = newHistogram();
      for (const r of results) addEncoded(h, r.steps![n]!);
      assert.deepEqual(pick(summarizeLatency(h)), pick(merged.steps[`${step}Ms`]), step);
      assert.equal(
        merged.steps[`${step}Ms`].count,
        unsharded.steps[`${step}Ms`].count,
        `${step} count: merged and unsharded`,
      );
      h.destroy();
    });
    assert.equal(merged.steps.connackMs.count, 8);
    assert.equal(merged.steps.subackMs.count, 8);
    assert.equal(merged.steps.pubackMs.count, 8 * 30);
    // So do latency from the schedule and send lag: the same HDR layout, added exactly.
    for (const [field, pick] of [
      ['scheduledLatencyMs', (r: ShardResult) => r.scheduledLatency!],
      ['sendLagMs', (r: ShardResult) => r.sendLag!],
    ] as const) {
      const h = newHistogram();
      for (const r of results) addEncoded(h, pick(r));
      const { count, p50, p90, p99, p999, max } = summarizeLatency(h);
      const m = merged[field]!;
      assert.deepEqual(
        { count, p50, p90, p99, p999, max },
        { count: m.count, p50: m.p50, p90: m.p90, p99: m.p99, p999: m.p999, max: m.max },
        field,
      );
      h.destroy();
    }
    assert.equal(
      merged.sendLagMs!.count,
      unsharded.sendLagMs!.count,
      'a send lag per message published, sharded or not',
    );
    assert.equal(merged.sendLagMs!.count, merged.published);
    if (late.length === 0) assert.equal(merged.scheduledLatencyMs!.count, unsharded.scheduledLatencyMs!.count);
    assert.equal(
      merged.lateSends,
      results.reduce((n, r) => n + r.totals.lateSends, 0),
    );
    assert.equal(merged.phase, 'spread');
    assert.match(merge.stderr(), /merged from 4 shards/);
  });

  test('--phase spread across shards: shards together spread their clients over the period as one run does', async (t) => {
    const mosquitto = await Mosquitto.start('', { verbose: false });
    t.after(() => mosquitto.stop());
    const dir = tempDir(t);
    // Client 0 (shard 0) hears every publisher and writes down each header's times.
    const heardFile = join(dir, 'heard.txt');
    const hook = join(dir, 'hear.mjs');
    writeFileSync(
      hook,
      `import { appendFileSync } from 'node:fs';
export function onMessage(ctx, m) {
  if (ctx.index !== 0) return;
  const p = Buffer.from(m.payload);
  appendFileSync(${JSON.stringify(heardFile)}, [p.readUInt32LE(8), p.readUInt32LE(12), p.readDoubleLE(16), p.readDoubleLE(24)].join(' ') + '\\n');
}`,
    );
    // 4 clients at 2/s (a 500 ms period), 2 shards: fleet indices 0..3, slots 0, 125, 250, 375 ms.
    const results = await runShards(
      t,
      mosquitto.url,
      'phased',
      2,
      { clients: 4, count: 4, rate: 2, qos: 1, subTopic: 'fleet/+', workload: hook, threads: 0 },
      dir,
    );
    const startAt = results[0]!.startAt!;
    const heard = readFileSync(heardFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map(Number) as [number, number, number, number]);
    // The schedule is the plan's, whenever a shard was ready: message k of client i is due at
    // --start-at + i x 125 ms + k x 500 ms. (A shard ready late sends what is due at once, late.)
    for (const [publisher, seq, sentAt, scheduledAt] of heard) {
      assert.ok(
        Math.abs(scheduledAt - startAt - publisher * 125 - seq * 500) < 0.01,
        `client ${publisher} message ${seq} due ${scheduledAt - startAt} ms after --start-at`,
      );
      assert.ok(sentAt >= scheduledAt, 'never sent before it was due');
    }
    assert.deepEqual(
      [...new Set(heard.map(([p]) => p))].sort(),
      [0, 1, 2, 3],
      'client 0 heard every client, of both shards',
    );
    const late = results
      .filter((r) => r.readyAt! > r.startAt!)
      .map((r) => `shard ${r.shard.index} ready ${r.readyAt! - r.startAt!} ms late`);
    t.diagnostic(late.length === 0 ? 'every shard ready before --start-at' : late.join(', '));
  });

  test('a loss between shards (a subscriber here, its publisher there) shows up in the merge, exactly; merge refuses results of another run or of an embedded broker, and reports a missing shard (exit 1)', async (t) => {
    const mosquitto = await Mosquitto.start('max_queued_messages 0', { verbose: false });
    t.after(() => mosquitto.stop());
    const dir = tempDir(t);
    // Shard 1 (clients 1 and 3) connects through a proxy that drops some of client 0's messages (shard 0).
    const proxy = await new FaultProxy(mosquitto.port, 'cross', (_id, d) =>
      d.publisher === 0 && d.seq % 10 === 3 ? 'drop' : 'forward',
    ).listen();
    t.after(() => proxy.close());
    // A shard of another run, on a broker of its own, while this run's shards wait for --start-at:
    // its lines as `--json` prints them, in the file `--out ndjson=` writes (the merges below are
    // the CLI's).
    const elsewhere = await aedesForTest(t);
    const ndjson = join(dir, 'other.ndjson');
    const other = runForTest(t, {
      brokers: [elsewhere.url],
      shard: '1/2',
      runId: 'runb',
      clients: 2,
      count: 5,
      threads: 0,
      out: [`ndjson=${ndjson}`],
    });
    const results = await runShards(
      t,
      mosquitto.url,
      'cross',
      2,
      { clients: 4, count: 40, rate: 50, qos: 0, subTopic: 'fleet/+', threads: 0 },
      dir,
      (i) => (i === 1 ? proxy.url : mosquitto.url),
      // Both shards subscribed before --start-at even when they start slowly beside other test
      // files and this file's other shard runs: a subscriber that arrived late would not be sent
      // (nor dropped) the early messages. (15 s when they were CLI processes, 8 s missing at a load
      // average of 20; runs in this process are ready within a second.)
      4000,
    );
    const dropped = [...proxy.dropped.values()].reduce((n, l) => n + l.length, 0);
    assert.equal(dropped, 2 * 4, 'seq 3, 13, 23, 33 of client 0, to each of clients 1 and 3');
    for (const r of results) assert.equal(r.summary.lost, 0, 'neither shard alone can see it');
    await withTimeout(other, 30_000, 'the other run');
    // A result that says its shard ran against an embedded broker of its own is not part of one fleet.
    const own = join(dir, 'own-broker.json');
    writeFileSync(
      own,
      JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'shard-1.json'), 'utf8')), embeddedBroker: true }),
    );
    // Two refusals are the CLI's (exit codes, messages), independent: side by side. The merge that
    // succeeds, and the refusal of results of different runs (a UsageError: exit 2, as the refusal
    // of the embedded broker's result shows), are the library's, as `merge` calls it (the first
    // test spawns a merge that succeeds).
    const partial = spawnCli(t, ['merge', join(dir, 'shard-0.json')]);
    const refused = spawnCli(t, ['merge', join(dir, 'shard-0.json'), own]);
    const merged = mergeResults(readShardResults([join(dir, 'shard-0.json'), join(dir, 'shard-1.json')])).summary;
    assert.equal(merged.lost, dropped);
    assert.equal(merged.expected, 4 * 4 * 40);
    throwsUsage(
      () => mergeResults(readShardResults([join(dir, 'shard-0.json'), ndjson])),
      'shard results of different runs: cross and runb',
    );
    assert.equal((await withTimeout(partial.exit, 20_000, 'merge')).code, 1);
    assert.match(partial.stderr(), /merged 1 of 2 shards; missing 1/);
    assert.equal((await withTimeout(refused.exit, 20_000, 'merge')).code, 2);
    assert.match(
      refused.stderr(),
      /^mqtt-fleet: shard 1\/2 ran against an embedded broker of its own, not one broker shared by every shard: run the shards with --broker/,
    );
  });

  test('a sharded run without --broker is refused before it starts: each shard would be a fleet of its own', async (t) => {
    const cli = spawnCli(t, ['run', '--shard', '0/2', '--run-id', 'alone', '-c', '2', '--count', '5']);
    assert.equal((await withTimeout(cli.exit, 20_000, 'the refusal')).code, 2);
    assert.equal(cli.stdout(), '');
    assert.match(cli.stderr(), /^mqtt-fleet: --shard needs --broker \(or brokers for every scenario group\)[^\n]*\n$/);
  });

  test('a shard of a fleet with several groups runs each of its clients with its own group: broker, settings, one thread each', async (t) => {
    const plant = await aedesForTest(t);
    const cloud = await aedesForTest(t);
    const seen = new Map<string, string[]>([
      ['plant', []],
      ['cloud', []],
    ]);
    plant.broker.on('client', (c) => seen.get('plant')!.push(c.id));
    cloud.broker.on('client', (c) => seen.get('cloud')!.push(c.id));
    const scenario = tempFile(
      t,
      'two-groups.yaml',
      [
        `brokers: { plant: '${plant.url}', cloud: '${cloud.url}' }`,
        'groups:',
        '  - { name: sensors, count: 4, brokers: [plant], threads: per-client, subscribe: ["s/{n}"], publish: { topic: "s/{n}", count: 5, rate: 50 } }',
        '  - { name: apps, count: 4, brokers: [cloud], threads: per-client, subscribe: ["a/{n}"], publish: { topic: "a/{n}", count: 7, rate: 50 } }',
      ].join('\n'),
    );
    const summary = await runForTest(t, { scenario, shard: '0/2', runId: 'groups' });
    // Shard 0 of 2 holds fleet indices 0, 2 (sensors 0, 2) and 4, 6 (apps 0, 2).
    assert.deepEqual(seen.get('plant')!.sort(), ['mqtt-fleet-groups-sensors-0', 'mqtt-fleet-groups-sensors-2']);
    assert.deepEqual(seen.get('cloud')!.sort(), ['mqtt-fleet-groups-apps-0', 'mqtt-fleet-groups-apps-2']);
    assert.equal(summary.threads, 4, 'a thread per client of this shard, none for the other shard');
    assert.equal(summary.published, 2 * 5 + 2 * 7, "each client publishes its own group's count");
    assert.equal(summary.received, summary.published);
    assert.equal(summary.exitCode, 0);
  });

  test('several streams per client across shards: merge accounts for each stream of each publisher exactly', async (t) => {
    const mosquitto = await Mosquitto.start('', { verbose: false });
    t.after(() => mosquitto.stop());
    const dir = tempDir(t);
    const scenario = join(dir, 'streams.yaml');
    writeFileSync(
      scenario,
      [
        'groups:',
        '  - name: devices',
        '    count: 2',
        '    threads: 0',
        '    publish:',
        "      - { topic: 'sh/{n}/a', rate: 50, count: 10, qos: 1 }",
        "      - { topic: 'sh/{n}/b', rate: 20, count: 5, qos: 0 }",
        '  - name: readers',
        '    count: 2',
        '    threads: 0',
        "    subscribe: [{ topic: 'sh/#', qos: 1 }]",
      ].join('\n'),
    );
    await runShards(t, mosquitto.url, 'streams2', 2, { scenario }, dir);
    // The library's merge, as `merge` calls it (the first test spawns one).
    const { summary: merged, missing } = mergeResults(
      readShardResults([0, 1].map((i) => join(dir, `shard-${i}.json`))),
    );
    assert.deepEqual(missing, []);
    assert.equal(merged.exitCode, 0);
    assert.equal(merged.published, 2 * 15);
    // Each reader hears both streams of both devices, one of each pair in the other shard.
    assert.equal(merged.expected, 2 * 2 * 15);
    assert.equal(merged.lost, 0);
    assert.equal(merged.duplicates, 0);
    assert.equal(merged.foreign, 0);
    assert.equal(merged.received + merged.unsubscribed, merged.expected);
  });
});
