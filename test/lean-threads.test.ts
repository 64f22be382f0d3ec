import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { bundleCode } from '../src/hosts/code-cache.js';

const LOADER = new URL('../workers/client-loader.cjs', import.meta.url);
const BUNDLE = new URL('../workers/client-worker.bundle.cjs', import.meta.url);
const ENTRY = new URL('../workers/client-worker.js', import.meta.url);
/** The files the bundle was made of, as scripts/bundle.ts writes them: its packages leave no trace in require.cache. */
const BUNDLE_INPUTS = new URL('../scripts/client-worker.bundle.inputs.json', import.meta.url);

/**
 * What a client thread has loaded once its code is in, as the product starts it: the bundle from
 * the main thread's code cache after `npm run build`, the plain modules after `tsc` alone.
 */
async function loadedByAThread(): Promise<{ bundled: boolean; builtins: string[]; packages: string[] }> {
  const bundle = bundleCode(BUNDLE, ENTRY);
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const load = ${bundle ? `async () => require(${JSON.stringify(LOADER.pathname)})` : `() => import(${JSON.stringify(ENTRY.href)})`};
     load().then(() => parentPort.postMessage({
       builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)),
       packages: Object.keys(require.cache),
     }));`,
    { eval: true, workerData: { bundle } },
  );
  try {
    const loaded = await new Promise<{ builtins: string[]; packages: string[] }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    // Bundled, the packages are inside the one file require.cache lists: the bundle's inputs say which.
    if (bundle !== null) loaded.packages = JSON.parse(readFileSync(BUNDLE_INPUTS, 'utf8')) as string[];
    return { bundled: bundle !== null, ...loaded };
  } finally {
    await worker.terminate();
  }
}

// README, "Lean threads": a thread per client starts hundreds of isolates, each loading its code
// itself. What only the main thread or only some runs need stays out: hdr-histogram-js (with
// pako, and node:zlib it loads at once: about a third of the bundle), node:tls and node:crypto
// (about 8 ms of a thread's CPU; loaded on the first mqtts:// or wss:// connection, or
// {rand:N} payload). They came in through value imports of modules the main thread also uses.
test('a client thread starts without hdr-histogram-js, node:zlib, node:tls or node:crypto', async () => {
  const { bundled, builtins, packages } = await loadedByAThread();
  assert.ok(builtins.includes('net'), `the thread's code is loaded (bundled: ${bundled}): ${builtins.join(' ')}`);
  for (const unwanted of ['zlib', 'tls', 'crypto'])
    assert.ok(!builtins.includes(unwanted), `node:${unwanted} is loaded at a thread's start (bundled: ${bundled})`);
  assert.ok(
    packages.some((p) => p.includes('node_modules/mqtt-packet/')),
    `the packages a thread loads are seen (bundled: ${bundled})`,
  );
  assert.deepEqual(
    packages.filter((p) => /node_modules\/(hdr-histogram-js|pako|yargs|pino)\//.test(p)),
    [],
    'packages only the main thread uses',
  );
});
