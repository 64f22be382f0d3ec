import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { run, type MessageLine, type RunEvent, type StatusLine } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { tempFile } from './helpers/temp.js';
import { infoLogger } from './helpers/logger.js';

const workload = (t: TestContext, source: string): string => tempFile(t, 'client.mjs', source, 'workload');

/** Status and (with printMessages) message events of a run. */
function recorder(): { statuses: StatusLine[]; messages: MessageLine[]; onEvent: (e: RunEvent) => void } {
  const statuses: StatusLine[] = [];
  const messages: MessageLine[] = [];
  return {
    statuses,
    messages,
    onEvent: (e) => {
      if (e.type === 'status') statuses.push(e);
      if (e.type === 'message') messages.push(e);
    },
  };
}

/** The sequence numbers `client` received of its own messages (the default topics: each client hears itself), in order. */
function ownSeqs(messages: MessageLine[], client: number): number[] {
  return messages
    .filter((m) => m.client === client && m.from === client)
    .map((m) => m.seq)
    .sort((a, b) => a - b);
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

for (const threads of ['0', '2', 'per-client']) {
  test(`--threads ${threads}: a workload hook that throws fails its own client; the others finish`, async (t) => {
    const broker = await aedesForTest(t);
    const file = workload(
      t,
      `export function onMessage(ctx, message) {
         if (ctx.index === 1 && message.payload.readUInt32LE(12) === 5) throw new Error('boom in client ' + ctx.index);
       }`,
    );
    const { statuses, messages, onEvent } = recorder();
    const summary = await run({
      brokers: [broker.url],
      clients: 4,
      count: 20,
      // A second's span: messages 6-19 must not all be in the socket read that brought 5, even
      // when the machine is busy enough to hold this loop up for a fifth of a second.
      rate: 20,
      threads,
      workload: file,
      printMessages: true,
      onEvent,
    });
    const last = new Map(statuses.map((s) => [s.client, s]));
    assert.equal(last.get(1)!.state, 'failed');
    assert.match(last.get(1)!.error!.message, /workload onMessage failed: boom in client 1/);
    for (const i of [0, 2, 3]) {
      assert.equal(last.get(i)!.state, 'done', `client ${i} finished`);
      assert.deepEqual(ownSeqs(messages, i), range(20), `client ${i} received each of its 20 messages once`);
    }
    // It stops at the message its hook threw on, save those MQTT.js had already parsed from the
    // same socket read (delivered in one go: more of them on a busy machine); never all 20.
    const heard = ownSeqs(messages, 1);
    assert.ok(
      heard.includes(5) && heard.length < 20,
      `client 1 stopped receiving after the message its hook threw on: ${heard.join(',')}`,
    );
    assert.equal(summary.failed, 1);
    assert.equal(summary.exitCode, 1);
    assert.equal(summary.received, summary.expected - summary.lost);
  });
}

test('a hook that hangs is failed after --hook-timeout', async (t) => {
  const broker = await aedesForTest(t);
  const file = workload(t, `export function onConnect(ctx) { if (ctx.index === 0) return new Promise(() => {}); }`);
  const statuses: StatusLine[] = [];
  const summary = await run({
    brokers: [broker.url],
    clients: 3,
    count: 5,
    rate: 50,
    threads: 0,
    workload: file,
    hookTimeout: '300ms',
    onEvent: (e) => e.type === 'status' && statuses.push(e),
  });
  const failed = statuses.find((s) => s.state === 'failed');
  assert.equal(failed?.client, 0);
  assert.match(failed.error!.message, /workload onConnect failed: did not finish within 300 ms/);
  assert.equal(summary.failed, 1);
  assert.equal(summary.received, 10, 'the other two clients exchanged all their messages');
});

for (const threads of ['2', 'per-client']) {
  test(`--threads ${threads}: a worker thread that dies is reported with the clients it carried; the run completes`, async (t) => {
    const broker = await aedesForTest(t);
    // Client 2's thread exits mid-run, as a crash in native code or a stray process.exit would.
    const file = workload(
      t,
      `export const tickMs = 50; export function tick(ctx) { if (ctx.index === 2) process.exit(7); }`,
    );
    const { statuses, messages, onEvent } = recorder();
    const summary = await run({
      brokers: [broker.url],
      clients: 4,
      count: 40,
      rate: 40,
      threads,
      workload: file,
      printMessages: true,
      onEvent,
    });
    const last = new Map(statuses.map((s) => [s.client, s]));
    // Round-robin: with 2 threads, client 2 shares its thread with client 0.
    const dead = threads === '2' ? [0, 2] : [2];
    for (const i of [0, 1, 2, 3]) {
      if (dead.includes(i)) {
        assert.equal(last.get(i)!.state, 'failed', `client ${i} went down with its thread`);
        assert.match(last.get(i)!.error!.message, /worker thread died/);
      } else {
        assert.equal(last.get(i)!.state, 'done', `client ${i} finished`);
        assert.deepEqual(
          ownSeqs(messages, i),
          range(40),
          `surviving client ${i} received each of its 40 messages once`,
        );
      }
    }
    assert.equal(summary.failed, dead.length);
    assert.equal(summary.exitCode, 1);
    assert.ok(summary.received >= (4 - dead.length) * 40, 'the surviving clients received all their messages');
  });
}

test('ctx.publish and ctx.log: hook traffic is counted, log lines reach the main thread', async (t) => {
  const broker = await aedesForTest(t);
  const file = workload(
    t,
    `export async function onConnect(ctx) {
       await ctx.publish('side/' + ctx.index, 'hello', { qos: 1 });
       ctx.log('said hello on ' + ctx.threadId);
     }`,
  );
  const lines: string[] = [];
  const logger = infoLogger((line) => lines.push(line));
  const summary = await run({
    brokers: [broker.url],
    clients: 2,
    count: 3,
    rate: 50,
    threads: 'per-client',
    workload: file,
    logger,
    runId: 'hooklog',
  });
  assert.equal(summary.published, 2 * 3 + 2, 'the plan plus one hook publish per client');
  assert.equal(summary.failed, 0);
  assert.ok(
    lines.some((l) => /^mqtt-fleet-hooklog-0: said hello on [1-9]\d*$/.test(l)),
    lines.join('\n'),
  );
});
