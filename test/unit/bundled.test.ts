import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isFresh } from '../../src/hosts/bundled.js';
import { tempDir } from '../helpers/temp.js';

test('isFresh: a bundle older than its entry (tsc without the bundler) is not used', (t) => {
  const dir = tempDir(t, 'bundled');
  const bundle = join(dir, 'client-worker.bundle.cjs');
  const entry = join(dir, 'client-worker.js');
  assert.equal(isFresh(bundle, entry), false, 'no bundle built');
  writeFileSync(entry, '');
  writeFileSync(bundle, '');
  const at = (file: string, seconds: number): void => utimesSync(file, seconds, seconds);
  at(entry, 1_000);
  at(bundle, 2_000);
  assert.equal(isFresh(bundle, entry), true, 'bundled after tsc (npm run build)');
  at(entry, 3_000);
  assert.equal(isFresh(bundle, entry), false, 'tsc ran again after the bundle');
  at(bundle, 3_000);
  assert.equal(isFresh(bundle, entry), true, 'the same time, as an npm tarball gives every file');
});
