/**
 * The piscina worker file of every client thread: loads the client bundle from the source and
 * V8 code cache the main thread made (src/hosts/code-cache.ts), so this isolate deserializes
 * bytecode instead of parsing and compiling 270 KB of JavaScript. Plain CommonJS, nothing else.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { workerData } from 'node:worker_threads';
import type { BundleCode } from '../src/hosts/code-cache.js';

const bundle = (workerData as { bundle: BundleCode }).bundle;
const { file, source, cache } = bundle;
const script = new Script(source ?? '', { filename: file, cachedData: cache });
// The script keeps its own copy of the text; this one would stay alive in workerData for nothing.
bundle.source = null;
const loaded: {
  exports: { default?: unknown; useModuleLoader?: (load: (specifier: string) => Promise<unknown>) => void };
} = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(
  loaded.exports,
  loaded.exports,
  createRequire(file),
  loaded,
  file,
  dirname(file),
);
// A script compiled by vm.Script has no import() of its own on Node 20 (a --workload module, the
// WebSocket transport need one): this file's, resolving from here, beside the bundle.
loaded.exports.useModuleLoader?.((specifier) => import(specifier));

export = loaded.exports.default;
