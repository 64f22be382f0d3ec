/**
 * Bundles the client worker into one file. Each worker thread is a fresh V8 isolate that loads
 * and compiles its modules itself; one pre-resolved file instead of ~150 small CommonJS modules
 * roughly halves a thread's start-up CPU (see README, "Lean threads"). Run by `npm run build`.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['dist/workers/client-worker.js'],
  outfile: 'dist/workers/client-worker.bundle.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  // Loaded on demand from node_modules: only ws:// and wss:// brokers need it.
  external: ['mqtt/lib/connect/ws', 'bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
});
