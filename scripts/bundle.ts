/**
 * Bundles what starts a fresh V8 isolate: the CLI (and compare's child process), the client
 * worker thread and the embedded broker's process. Each loads and compiles its modules itself;
 * one pre-resolved file instead of hundreds of small modules (ours and node_modules') saves the
 * resolving, reading and linking of each: about half a thread's start-up CPU (README, "Lean
 * threads"), a quarter of the CLI's. The library (dist/src/index.js) stays as tsc wrote it.
 * Run by `npm run build`.
 */
import { build, type BuildOptions } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

const common: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: true,
  // Loaded on demand from node_modules: only ws:// and wss:// brokers need it.
  external: ['mqtt/lib/connect/ws', 'bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
};

// CommonJS dependencies call require(); an ES module has none of its own.
const esmRequire = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};

// Chunk names carry a hash: an earlier build's would otherwise pile up beside this one's.
rmSync(`${root}dist/src/bundle`, { recursive: true, force: true });

/**
 * The files the client thread's bundle holds, for test/lean-threads.test.ts (what a thread must
 * not load at start is checked there); beside the build scripts, outside what npm publishes.
 */
const WORKER_INPUTS = 'dist/scripts/client-worker.bundle.inputs.json';

const [worker] = await Promise.all([
  build({
    ...common,
    entryPoints: ['dist/workers/client-worker.js'],
    outfile: 'dist/workers/client-worker.bundle.cjs',
    format: 'cjs',
    metafile: true,
  }),
  build({
    ...common,
    entryPoints: ['dist/workers/broker-process.js'],
    outfile: 'dist/workers/broker-process.bundle.mjs',
    format: 'esm',
    banner: esmRequire,
  }),
  // One folder below dist/src like every module it holds, so their paths relative to
  // import.meta.url (../../workers/…, ./compare-child.js) still point where they did. Split, so
  // each command's modules load only when it runs, as the CLI's lazy imports intend.
  build({
    ...common,
    entryPoints: { bin: 'dist/src/bin.js', 'compare-child': 'dist/src/run/compare-child.js' },
    outdir: 'dist/src/bundle',
    format: 'esm',
    // Piscina starts its threads from a file of its own, found beside its module (__dirname).
    external: [...(common.external ?? []), 'piscina'],
    splitting: true,
    banner: esmRequire,
  }),
]);
writeFileSync(`${root}${WORKER_INPUTS}`, JSON.stringify(Object.keys(worker.metafile.inputs)));
