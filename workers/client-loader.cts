/**
 * The piscina worker file of every client thread: loads the client bundle from the source and
 * V8 code cache the main thread made (src/hosts/code-cache.ts), so this isolate deserializes
 * bytecode instead of parsing and compiling 270 KB of JavaScript. Plain CommonJS, nothing else.
 */
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { workerData } from 'node:worker_threads';
import type { BundleCode } from '../src/hosts/code-cache.js';

const { file, source, cache } = (workerData as { bundle: BundleCode }).bundle;
const script = new Script(Module.wrap(source), { filename: file, cachedData: cache });
const loaded: { exports: { default?: unknown; useModuleLoader?: (load: (specifier: string) => Promise<unknown>) => void } } = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(loaded.exports, loaded.exports, createRequire(file), loaded, file, dirname(file));
// A script compiled by vm.Script has no import() of its own on Node 20 (a --workload module, the
// WebSocket transport need one): this file's, resolving from here, beside the bundle.
loaded.exports.useModuleLoader?.((specifier) => import(specifier));

export = loaded.exports.default;
