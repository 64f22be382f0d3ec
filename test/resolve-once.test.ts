import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { tempFile } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';

test('compare resolves every mode once, up front: a --password-file removed once the first mode runs costs no mode', async (t) => {
  const broker = await aedesForTest(t);
  const passwordFile = tempFile(t, 'password', 's3cret\n', 'resolve-once');
  const cli = spawnCli(
    t,
    [
      'compare',
      '-b',
      broker.url,
      '-u',
      'fleet',
      '--password-file',
      passwordFile,
      '--threads',
      '0,0',
      '-c',
      '2',
      '--rate',
      '20',
      '--duration',
      '1500ms',
      '--json',
    ],
    { json: true },
  );
  // Logged once every mode's options are resolved, as the first mode starts.
  await withTimeout(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (/compare: mode 1 of 2/.test(cli.stderr())) resolve();
      };
      cli.child.stderr!.on('data', check);
      check();
    }),
    30_000,
    'the first mode to start',
  );
  rmSync(passwordFile);
  const { code } = await withTimeout(cli.exit, 60_000, 'compare to finish');
  assert.equal(code, 0, cli.stderr());
  const summaries = cli.lines.filter((l) => l.type === 'summary');
  assert.equal(summaries.length, 2, 'both modes ran with the password read before the first');
  for (const s of summaries) assert.ok((s.received as number) > 0, 'each mode connected and delivered');
  assert.doesNotMatch(cli.stderr(), /s3cret/);
});
