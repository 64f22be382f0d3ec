import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, InternalError, known } from '../src/mqtt/checked.js';

test('at() and known() return what is there and throw an InternalError, naming the index or key, for what is not', () => {
  assert.equal(at([10, 20, 30], 2), 30);
  assert.equal(at(new Uint8Array([0, 7]), 0), 0, 'a zero is an element, not a miss');
  assert.equal(at('ab', 1), 'b');
  assert.equal(at([null], 0), null, 'null is an element too');
  assert.throws(
    () => at([10, 20, 30], 3),
    (err) => err instanceof InternalError && /index 3 is outside a list of 3/.test(err.message),
  );
  assert.throws(() => at([1], -1), InternalError);
  assert.throws(() => at(new Float64Array(2), 2.5), InternalError);
  const map = new Map([['a', 0]]);
  assert.equal(known(map, 'a'), 0);
  assert.throws(
    () => known(map, 'b'),
    (err) => err instanceof InternalError && err.name === 'InternalError' && /no entry for b/.test(err.message),
  );
});
