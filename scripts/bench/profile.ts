/**
 * Where a run's CPU goes, over the whole process (every thread, V8's compiler and GC threads,
 * the kernel), which `node --cpu-prof` cannot see: `perf record -e cpu-clock -g` around
 * `node --perf-basic-prof` running the CLI, then each sample's leaf symbol put in one category.
 * Needs `perf` (Debian: linux-perf) and permission to use it (root, or perf_event_paranoid <= 1).
 *
 *   node dist/scripts/bench/profile.js -- run -b mqtt://127.0.0.1:1883 -c 20 --rate 500 --duration 10s --threads per-client
 *   node dist/scripts/bench/profile.js --skip 15s -- run ...    # leave the first 15 s out (start-up, warm-up)
 *
 * stdout: one JSON line (`type: "profile"`, samples and percentages by category); stderr: a table.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { at } from '../../src/mqtt/checked.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** V8 names the frames of JIT code `JS:<tier><name>` with --perf-basic-prof: `*` TurboFan, `^` Sparkplug, `~` Ignition, `+` Maglev. */
export function category(symbol: string, kernel: boolean): string {
  if (kernel) return 'kernel';
  if (symbol.startsWith('JS:*')) return 'JS optimized (TurboFan)';
  if (symbol.startsWith('JS:^')) return 'JS baseline (Sparkplug)';
  if (symbol.startsWith('JS:+')) return 'JS Maglev';
  if (symbol.startsWith('JS:~')) return 'JS interpreted';
  if (symbol.includes('compiler::') || symbol.includes('turboshaft')) return 'TurboFan compiling';
  if (/^Builtins_(Interpreter|.*Bytecode)/.test(symbol)) return 'interpreter';
  if (symbol.startsWith('Builtins_') && /IC|Baseline/.test(symbol)) return 'inline caches, baseline builtins';
  if (symbol.startsWith('Builtins_')) return 'other builtins';
  if (/Scavenge|MarkCompact|Sweeper|Marking|heap::|Heap::|GCTracer/.test(symbol)) return 'GC';
  if (/Parser|Scanner|BytecodeGenerator|interpreter::|Compiler::|CodeSerializer|Deserializer/.test(symbol))
    return 'parse, bytecode, code cache';
  if (symbol.includes('v8::')) return 'other V8 (runtime, API)';
  if (/node::|uv_|uv__/.test(symbol)) return 'Node, libuv';
  return 'other native (libc, ...)';
}

const { values, positionals } = parseArgs({ options: { skip: { type: 'string' } }, allowPositionals: true });
if (positionals.length === 0) {
  process.stderr.write('usage: node dist/scripts/bench/profile.js [--skip 15s] -- run <mqtt-fleet options>\n');
  process.exit(2);
}
const skipMs = values.skip === undefined ? 0 : Number(/^(\d+)s$/.exec(values.skip)?.[1] ?? NaN) * 1000;
if (Number.isNaN(skipMs)) {
  process.stderr.write('--skip takes whole seconds, like 15s\n');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'mqtt-fleet-profile-'));
/** --perf-basic-prof writes /tmp/perf-PID.map (all threads share it): the ones this run made are removed after. */
const perfMaps = (): Set<string> => new Set(readdirSync('/tmp').filter((f) => /^perf-\d+\.map$/.test(f)));
const mapsBefore = perfMaps();
const data = join(dir, 'perf.data');
try {
  const record = spawnSync(
    'perf',
    [
      'record',
      '-e',
      'cpu-clock',
      '-F',
      '499',
      '-g',
      ...(skipMs > 0 ? ['-D', String(skipMs)] : []),
      '-o',
      data,
      '--',
      process.execPath,
      '--perf-basic-prof',
      CLI,
      ...positionals,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (record.status !== 0) throw new Error(`perf record exited ${record.status}`);
  const report = spawnSync('perf', ['report', '-i', data, '--no-children', '--sort', 'sym', '--stdio', '-g', 'none'], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  if (report.status !== 0) throw new Error(`perf report exited ${report.status}: ${report.stderr}`);
  const shares = new Map<string, number>();
  for (const line of report.stdout.split('\n')) {
    const match = /^\s+([\d.]+)%\s+\[(.)\]\s+(.*)$/.exec(line);
    if (!match) continue;
    const key = category(at(match, 3).trim(), match[2] === 'k');
    shares.set(key, (shares.get(key) ?? 0) + Number(match[1]));
  }
  const sorted = [...shares]
    .sort((a, b) => b[1] - a[1])
    .map(([name, percent]) => ({ name, percent: Math.round(percent * 10) / 10 }));
  process.stdout.write(`${JSON.stringify({ type: 'profile', args: positionals, skipMs, categories: sorted })}\n`);
  process.stderr.write(
    ['| where | share of CPU samples |', '| --- | ---: |', ...sorted.map((c) => `| ${c.name} | ${c.percent}% |`)].join(
      '\n',
    ) + '\n',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  for (const map of perfMaps()) if (!mapsBefore.has(map)) rmSync(join('/tmp', map), { force: true });
}
