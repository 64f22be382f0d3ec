/**
 * The C reference for connect time (W5-connect): scripts/bench/c/connect-poll.c, built here with
 * the system's C compiler against libmosquitto (Debian: libmosquitto-dev). A bench-only
 * dependency: when it cannot be built the bench says why once and records the C variant as a
 * failure; everything else runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The source stays in scripts/ (tsc does not copy it); the binary goes next to the compiled runner. */
const SOURCE = fileURLToPath(new URL('../../../scripts/bench/c/connect-poll.c', import.meta.url));
const BINARY = fileURLToPath(new URL('./c/connect-poll', import.meta.url));

let built: { path: string } | { error: string } | null = null;

/** The binary's path, or why there is none (built once per bench run). */
export function cReference(): { path: string } | { error: string } {
  if (built) return built;
  mkdirSync(dirname(BINARY), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  const result = spawnSync(cc, ['-O2', '-Wall', '-o', BINARY, SOURCE, '-lmosquitto'], { encoding: 'utf8' });
  if (result.error) built = { error: `C reference not built: ${cc} not found (${result.error.message})` };
  else if (result.status !== 0)
    built = {
      error: `C reference not built (${cc} exit ${result.status}; is libmosquitto-dev installed?): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    };
  else built = { path: BINARY };
  return built;
}
