import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { optionsTable } from '../../scripts/options-table.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

test('the README options table is the one --help is made from', () => {
  const match = /<!-- options:start -->\n([\s\S]*?)\n<!-- options:end -->/.exec(README);
  assert.ok(match, 'README has the options markers');
  assert.equal(match[1], optionsTable(), 'regenerate with: node dist/scripts/options-table.js');
});
