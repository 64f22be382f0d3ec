import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { spawnCli } from './cli.js';
import { withTimeout } from './wait.js';

/**
 * Bad input refused by the CLI: exit 2 and exactly `line` on stderr (nothing else: no log line,
 * no stack trace), nothing on stdout. Returns how long the process took, spawn to exit.
 */
export async function refused(
  t: TestContext,
  args: string[],
  line: string,
  env: NodeJS.ProcessEnv = {},
): Promise<number> {
  const started = performance.now();
  const cli = spawnCli(t, args, { env });
  const { code, signal } = await withTimeout(cli.exit, 60_000, `mqtt-fleet ${args.join(' ').slice(0, 100)}`);
  const took = performance.now() - started;
  assert.equal(
    cli.stderr(),
    `mqtt-fleet: ${line} (see mqtt-fleet --help)\n`,
    `stderr of ${args.join(' ').slice(0, 100)}`,
  );
  assert.deepEqual({ code, signal }, { code: 2, signal: null });
  assert.equal(cli.stdout(), '');
  return took;
}
