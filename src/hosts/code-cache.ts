import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { isFresh } from './bundled.js';

/** What a worker thread needs to load the client bundle without parsing and compiling it again. */
export interface BundleCode {
  /** Absolute path of the bundle (its `require` resolves from there, stack traces name it). */
  file: string;
  /** The bundle's source in CommonJS's function wrapper, as compiled here: the cache is of exactly this text. */
  source: string | null;
  /** V8's code cache for `source`, in shared memory: one copy however many threads read it. */
  cache: Uint8Array;
}

let made: BundleCode | null | undefined;

/**
 * Every worker thread is a fresh V8 isolate that would parse and compile the same bundle again
 * (about 25 ms of CPU each on a 2-core machine of this kind; 15 ms of it parsing and bytecode).
 * The main thread compiles it once, runs its top level once (so the functions module loading
 * calls are compiled too), and hands V8's code cache to every thread, which then deserializes
 * bytecode instead of compiling. The cache belongs to this Node and these V8 flags, so it is
 * made at run time; a thread whose V8 rejects it compiles as before. Null: no bundle built, or
 * one older than `entry` (bundled.ts).
 */
export function bundleCode(url: URL, entry: URL): BundleCode | null {
  if (made !== undefined) return made;
  const file = fileURLToPath(url);
  if (!isFresh(file, fileURLToPath(entry))) return (made = null);
  const source = Module.wrap(readFileSync(file, 'utf8'));
  const script = new Script(source, { filename: file });
  const exports = {};
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    exports,
    exports,
    createRequire(file),
    { exports },
    file,
    file.replace(/\/[^/]*$/, ''),
  );
  const data = script.createCachedData();
  const cache = new Uint8Array(new SharedArrayBuffer(data.length));
  cache.set(data);
  return (made = { file, source, cache });
}
