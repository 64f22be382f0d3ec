import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, type RunOptions, type Summary } from '../../src/index.js';
import { aedesForTest } from '../helpers/aedes.js';

// It counts the CPU a busy-wait burns: alone, so other files' work does not take the CPU from it.
test('--work: the working client burns CPU per message and its latency is reported apart from the others', async (t) => {
  const broker = await aedesForTest(t);
  // Sent together, the others' messages are on the wire when client 0 starts a burn, so they wait
  // behind it; spread over the period, their sends would wait instead (latency from the schedule).
  const fleet: RunOptions = { brokers: [broker.url], clients: 4, count: 10, rate: 20, threads: 0, phase: 'together' };
  const cpu = (s: Summary): number => s.cpuMs.user + s.cpuMs.system;
  // The same fleet without --work: what the run costs anyway (connects, broker, accounting),
  // measured on a second run: the first in a fresh process also pays for loading and compiling.
  await run(fleet);
  const idle = await run(fleet);
  // 30 ms of work outlasts the 20 ms loop-delay sampling interval, so every burn delays a sample.
  const summary = await run({ ...fleet, work: '30ms', workClients: '0' });
  assert.equal(idle.latencyMs.working, undefined, 'no working/others split without --work');
  assert.equal(summary.workMs, 30);
  assert.equal(summary.latencyMs.working?.count, 10);
  assert.equal(summary.latencyMs.others?.count, 30);
  assert.equal(summary.latencyMs.count, 40);
  // The handler busy-waits 30 ms for each of the 10 messages client 0 receives: 300 ms of CPU
  // on top of the idle run's (half of it allowed for the spin being preempted or throttled).
  t.diagnostic(`CPU ${cpu(idle)} ms without --work, ${cpu(summary)} ms with`);
  assert.ok(
    cpu(summary) - cpu(idle) >= 150,
    `--work 30ms x 10 messages cost ${cpu(summary) - cpu(idle)} ms of CPU (${cpu(idle)} -> ${cpu(summary)})`,
  );
  // On one event loop the others wait behind the working client.
  assert.ok(summary.latencyMs.others.max >= 10, `others' max latency ${summary.latencyMs.others.max} ms`);
  assert.ok(summary.loopDelayMs!.max >= 10, `loop delay max ${summary.loopDelayMs!.max} ms`);
});
