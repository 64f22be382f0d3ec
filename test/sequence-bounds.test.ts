import assert from 'node:assert/strict';
import { test } from 'node:test';

test('adversarial sequence numbers (near 2^32, sparse, descending) cost bounded time and memory', async (t) => {
  // In a thread of its own, so a tracker that allocates by the largest number or scans up to it
  // fails this test by its deadline instead of taking the test process down.
  const tracker = new URL('../src/metrics/sequence.js', import.meta.url).href;
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(tracker)}).then(({ SeqTracker }) => {
      const before = process.memoryUsage();
      const started = performance.now();
      const out = {};
      const huge = new SeqTracker();
      for (const seq of [0, 2 ** 32 - 1, 2 ** 32 - 2, 2 ** 31, 1]) huge.record(seq);
      out.huge = huge.missingRanges();
      const sparse = new SeqTracker();
      for (let n = 0; n < 50000; n++) sparse.record(n * 85899);
      out.sparseRanges = sparse.missingRanges().length;
      const descending = new SeqTracker();
      for (let n = 0; n < 200000; n++) descending.record(2 ** 32 - 1 - n);
      out.descending = { received: descending.received, outOfOrder: descending.outOfOrder, missing: descending.missingRanges() };
      const after = process.memoryUsage();
      out.ms = performance.now() - started;
      out.growthMb = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20;
      parentPort.postMessage(out);
    });`;
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(code, { eval: true });
  type Result = {
    huge: number[];
    sparseRanges: number;
    descending: { received: number; outOfOrder: number; missing: number[] };
    ms: number;
    growthMb: number;
  };
  const result = await new Promise<Result>((resolve, reject) => {
    const deadline = setTimeout(() => {
      void worker.terminate();
      reject(new Error('the tracker did not finish within 10 s'));
    }, 10_000);
    worker.once('message', (m: Result) => {
      clearTimeout(deadline);
      resolve(m);
    });
    worker.once('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
  });
  await worker.terminate();
  t.diagnostic(`adversarial input: ${result.ms.toFixed(0)} ms, memory grew ${result.growthMb.toFixed(1)} MB`);
  assert.deepEqual(
    result.huge,
    [2, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 2],
    'gaps between the numbers seen, found without scanning them',
  );
  assert.equal(result.sparseRanges, 2 * 49_999, 'one gap between each two numbers');
  assert.deepEqual(result.descending, { received: 200_000, outOfOrder: 199_999, missing: [0, 2 ** 32 - 200_000] });
  assert.ok(result.ms < 2000, `took ${result.ms.toFixed(0)} ms`);
  assert.ok(result.growthMb < 64, `grew ${result.growthMb.toFixed(1)} MB`);
});
