import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('../../../deploy/kubernetes/', import.meta.url);

test('the container build: Node 20 slim, production dependencies only, the CLI as entry point', () => {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
  const stages = dockerfile.split('\n').filter((l) => l.startsWith('FROM '));
  assert.deepEqual(stages, ['FROM node:20-slim AS build', 'FROM node:20-slim']);
  assert.match(dockerfile, /RUN npm ci --omit=dev/);
  assert.match(dockerfile, /ENTRYPOINT \["node", "dist\/src\/bin\.js"\]/);
  assert.match(dockerfile, /USER node/);
});
