import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { run, type StatsLine } from '../src/index.js';
import { RateSchedule } from '../src/metrics/schedule.js';
import { parseStages } from '../src/options/stages.js';
import { readRun, runReportHtml } from '../src/report/run-report.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { renderedDom } from './helpers/chromium.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { tempDir, tempFile } from './helpers/temp.js';

/** What every client of a plan sends: ceil of the integral (a whole number here, whatever the phase). */
const perClient = (stages: string): number => {
  const total = new RateSchedule(parseStages('--stages', stages)).total;
  assert.equal(total, Math.round(total), 'the plan integrates to whole messages');
  return total;
};

test('a stage plan is offered within 5% of the plan in every interval, as the stats lines measure it', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  // Up, a plateau, up again, a hold, down to 0: 2 clients, at most 400 msg/s together. A line's
  // counts are whole, a client's at most one message off the plan's integral at each line: what
  // an interval may miss by is the clients' number over the messages in it, 2 in 80 or more here
  // (5 in 200 with 5 clients at 200/s, the same 2.5%, at 2.5 times the messages). 16 s: 7 whole
  // intervals of 2 s after the first line, every one above a tenth of the peak.
  const stages = '3s:100,3s:hold,4s:200,2s:hold,4s:0';
  const clients = 2;
  const lines: StatsLine[] = [];
  const ndjson = join(tempDir(t, 'stages'), 'run.ndjson');
  const summary = await run({
    out: `ndjson=${ndjson}`,
    brokers: [`mqtt://127.0.0.1:${mosquitto.port}`],
    clients,
    stages,
    qos: 0,
    threads: 0,
    statsInterval: '2s',
    runId: 'stagesoffered',
    onEvent: (event) => {
      if (event.type === 'stats') lines.push(event);
    },
  });
  const plan = clients * perClient(stages);
  assert.equal(summary.published, plan);
  assert.equal(lines.at(-1)!.offered, plan, 'the last line offers the whole plan');
  const peak = 200 * clients;
  const deviations: string[] = [];
  let checked = 0;
  for (let n = 1; n < lines.length; n++) {
    const [before, line] = [lines[n - 1]!, lines[n]!];
    const seconds = (line.t - before.t) / 1000;
    const offered = (line.offered! - before.offered!) / seconds;
    const published = (line.published - before.published) / seconds;
    if (offered === 0) continue;
    // The last line comes when the run ends, a fraction of an interval after the one before: one
    // message either way (the line's counts are whole, its rates are not) is several percent of
    // the few it holds. Whole intervals are the check.
    if (seconds < 1) continue;
    const deviation = (published - offered) / offered;
    deviations.push(
      `${(line.t / 1000).toFixed(1)}s ${Math.round(offered)}/${Math.round(published)} ${(100 * deviation).toFixed(1)}%`,
    );
    assert.ok(
      Math.abs(line.offeredPerSec! - offered) <= 0.02 * offered + 1,
      `offeredPerSec ${line.offeredPerSec} is the offered over the interval (${offered.toFixed(1)}/s over ${seconds} s)`,
    );
    // Intervals where the plan offers under a tenth of its peak (the first moments of the ramp,
    // its last ones) hold a few dozen messages: a millisecond of timer jitter is a percent there.
    if (offered < peak / 10) continue;
    checked++;
    assert.ok(
      Math.abs(deviation) <= 0.05,
      `published ${Math.round(published)}/s against ${Math.round(offered)}/s offered at ${line.t} ms`,
    );
  }
  t.diagnostic(`offered/published per interval: ${deviations.join(' · ')}`);
  assert.ok(checked >= 6, `${checked} intervals compared`);

  // The run report draws the offered rate of every stats line beside what was published.
  // The page as `mqtt-fleet report` writes it (the `report` command itself is spawned in examples.test.ts).
  const report = join(tempDir(t, 'stages'), 'report.html');
  writeFileSync(report, runReportHtml(readRun(ndjson, readFileSync(ndjson, 'utf8')), ndjson));
  const dom = await renderedDom(report);
  const points = [
    ...dom.matchAll(
      /<circle [^>]*data-chart="throughput"[^>]*data-series="offered\/s"[^>]*data-t="(\d+)"[^>]*data-value="([\d.]+)"/g,
    ),
  ].map((m) => [Number(m[1]), Number(m[2])]);
  assert.deepEqual(
    points,
    lines.map((line) => [line.t, line.offeredPerSec]),
    'a point per stats line',
  );
});

// The checks below are exact counts, not rates in time (the test above, alone, is timed), each
// on its own broker: all at once. Their plans are short, still with ramps, holds and steps, but
// the cut publisher's (with 2 s up and the cut at the 20th delivery, a run counted 5 of the
// messages missing around the cut as lost).
describe('exact accounting through stage plans', { concurrency: 4 }, () => {
  for (const threads of ['0', '2']) {
    test(`--threads ${threads}: accounting is exact through a ramp up and down at QoS 1 (nothing lost, nothing outside the plan)`, async (t) => {
      const mosquitto = await Mosquitto.start('', { verbose: false });
      t.after(() => mosquitto.stop());
      const stages = '1s:40,500ms:hold,0s:20,1s:hold,1s:0';
      const clients = 4;
      const summary = await run({
        brokers: [`mqtt://127.0.0.1:${mosquitto.port}`],
        clients,
        stages,
        qos: 1,
        threads,
        subTopic: 'fleet/+',
        runId: `stagesacct${threads}`,
      });
      const each = perClient(stages);
      assert.deepEqual(
        {
          planned: summary.planned,
          published: summary.published,
          acked: summary.acked,
          expected: summary.expected,
          received: summary.received,
          lost: summary.lost,
          inFlight: summary.inFlight,
          foreign: summary.foreign,
          duplicates: summary.duplicates,
          exitCode: summary.exitCode,
        },
        {
          planned: clients * each,
          published: clients * each,
          acked: clients * each,
          expected: clients * clients * each,
          received: clients * clients * each,
          lost: 0,
          inFlight: 0,
          foreign: 0,
          duplicates: 0,
          exitCode: 0,
        },
      );
    });
  }

  test('a staged publisher cut off mid-ramp pauses and catches up: its plan is sent whole, nothing lost', async (t) => {
    const mosquitto = await Mosquitto.start('', { verbose: false });
    t.after(() => mosquitto.stop());
    const runId = 'stagescut';
    let cut = false;
    // Cut client 1's connection after its 40th delivery (mid-ramp): it is offline for a while and catches up after.
    const proxy = await new FaultProxy(mosquitto.port, runId, (clientId, _d, nth) => {
      if (clientId !== `mqtt-fleet-${runId}-1` || cut || nth !== 40) return 'forward';
      cut = true;
      return 'deliver-and-cut';
    }).listen();
    t.after(() => proxy.close());
    const stages = '3s:40,1s:hold,2s:0';
    const summary = await run({
      brokers: [proxy.url],
      clients: 3,
      stages,
      qos: 1,
      threads: 0,
      runId,
      reconnectDelay: '200ms',
    });
    let distinct = 0;
    for (let i = 0; i < 3; i++) distinct += proxy.counts(`mqtt-fleet-${runId}-${i}`).distinct;
    t.diagnostic(
      `proxy: ${distinct} distinct deliveries; summary: published ${summary.published}, reconnects ${summary.reconnects}, lost ${summary.lost}, unsubscribed ${summary.unsubscribed}, inFlight ${summary.inFlight}, exit ${summary.exitCode}`,
    );
    assert.equal(proxy.cuts, 1);
    assert.equal(summary.reconnects, 1);
    assert.equal(summary.published, 3 * perClient(stages), 'the cut publisher caught up on its plan');
    assert.equal(summary.expected, summary.published, 'each client hears its own topic');
    assert.deepEqual([summary.lost, summary.foreign], [0, 0]);
    assert.equal(
      summary.inFlight + summary.unsubscribed,
      summary.expected - distinct,
      'missing: exactly what the proxy did not let through, all of it around the cut',
    );
    assert.equal(summary.exitCode, 0);
  });

  test('a scenario group follows its own stages beside a constant group; accounting stays exact', async (t) => {
    const mosquitto = await Mosquitto.start('', { verbose: false });
    t.after(() => mosquitto.stop());
    const scenario = tempFile(
      t,
      'fleet.yaml',
      [
        'groups:',
        '  - name: ramp',
        '    count: 3',
        "    publish: { topic: 'ramp/{n}', stages: ['1s:50', { duration: 500ms, target: hold }, '1s:0'] }",
        "    subscribe: ['steady/+']",
        '  - name: steady',
        '    count: 2',
        "    publish: { topic: 'steady/{n}', rate: 20, duration: 2s }",
        "    subscribe: ['ramp/+']",
        '',
      ].join('\n'),
      'scenario',
    );
    const summary = await run({
      scenario,
      brokers: [`mqtt://127.0.0.1:${mosquitto.port}`],
      qos: 1,
      threads: '2',
      runId: 'stagesscenario',
    });
    const ramp = 3 * perClient('1s:50,500ms:hold,1s:0');
    const steady = 2 * 40;
    assert.equal(summary.published, ramp + steady);
    assert.equal(summary.expected, 2 * ramp + 3 * steady);
    assert.deepEqual([summary.received, summary.lost, summary.foreign], [summary.expected, 0, 0]);
  });
});
