import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { newSlotsBuffer, windowOf } from '../src/session/slots.js';
import { withTimeout } from './helpers/wait.js';
import { at } from '../src/mqtt/checked.js';

test('connection slots are one bound across threads: 12 threads, 3 slots, never more than 3 held at once', async () => {
  const buffer = newSlotsBuffer(3);
  const held = new SharedArrayBuffer(8); // [held now, most held at once]
  // Each thread imports the compiled module itself, as a lane's thread does.
  const module = new URL('../src/session/slots.js', import.meta.url).href;
  const workers = Array.from({ length: 12 }, () => {
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       import(workerData.module).then(async ({ Slots }) => {
         const held = new Int32Array(workerData.held);
         const slots = new Slots(workerData.buffer);
         for (let n = 0; n < 5; n++) {
           const release = await slots.acquire();
           const now = Atomics.add(held, 0, 1) + 1;
           for (let most = Atomics.load(held, 1); now > most; most = Atomics.load(held, 1)) Atomics.compareExchange(held, 1, most, now);
           await new Promise((resolve) => setTimeout(resolve, 5));
           Atomics.sub(held, 0, 1);
           release();
         }
         parentPort.postMessage('done');
       });`,
      { eval: true, workerData: { module, buffer, held } },
    );
    return new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
    });
  });
  await withTimeout(Promise.all(workers), 30_000, 'every thread to take and give back its slots');
  const counts = new Int32Array(held);
  assert.equal(counts[0], 0, 'nothing held at the end');
  assert.ok(at(counts, 1) <= 3, `at most 3 held at once (saw ${counts[1]})`);
  assert.equal(counts[1], 3, 'and the bound was reached: the threads did contend');
  assert.deepEqual(windowOf(buffer), { window: 3, peak: 3, inFlight: 0 }, 'every slot back, the window as fixed');
});
