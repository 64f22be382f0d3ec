import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { resolveOptions } from '../../src/options/index.js';

test("the default maximum packet size covers the run's largest message; a given one must too", () => {
  assert.equal(resolveOptions({}, {}).maxPacketSize, 1_048_576, 'at least 1 MiB');
  assert.equal(
    resolveOptions({ size: '1mib' }, {}).maxPacketSize,
    1_048_576 + 128 * 1024,
    'the largest payload plus 128 KiB',
  );
  assert.equal(resolveOptions({ maxPacketSize: '64kib' }, {}).maxPacketSize, 65_536);
  const rejects = (input: Parameters<typeof resolveOptions>[0], pattern: RegExp): void =>
    assert.throws(
      () => resolveOptions(input, {}),
      (err: unknown) => err instanceof UsageError && err.option === '--max-packet-size' && pattern.test(err.message),
    );
  rejects(
    { size: '1mb', maxPacketSize: '1mb' },
    /must be at least 1001024: the largest message this run publishes \(1000000 bytes\)/,
  );
  rejects({ maxPacketSize: '300mib' }, /must be at most/);
  rejects({ maxPacketSize: 'big' }, /must be a size in bytes/);
});
