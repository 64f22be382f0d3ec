import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redactor } from '../../src/report/secrets.js';
import { maskUrl, urlSecrets } from '../../src/mqtt/broker-url.js';

test('URL credentials are masked up to the last @ before the host, in URLs and in free text', () => {
  assert.equal(maskUrl('mqtt://u:Part1@Part2Secret@host:1883'), 'mqtt://***:***@host:1883', 'the issue example');
  assert.equal(
    maskUrl('mqtt://u:a:b@c@host/x@y?z@w'),
    'mqtt://***:***@host/x@y?z@w',
    'an @ in the path or query is not userinfo',
  );
  assert.equal(maskUrl('ws://host/mqtt@x'), 'ws://host/mqtt@x', 'no userinfo, nothing masked');
  assert.equal(maskUrl('mqtt://user@host'), 'mqtt://***@host');
  assert.equal(maskUrl('mqtt://:pass@host'), 'mqtt://:***@host');
  assert.equal(maskUrl('mqtt://u:p w@host'), 'mqtt://***:***@host', 'a space (the parser encodes it)');
  assert.equal(
    maskUrl('mqtt://u:pa/ss@host'),
    'mqtt://***:***@host',
    'a URL the parser refuses: masked up to the last @',
  );
  const redactor = new Redactor(urlSecrets('mqtt://u:Part1@Part2%2FSecret@host'));
  const text = redactor.text(
    'connect mqtt://u:Part1@Part2%2FSecret@host failed; mqtt://u:Part1%40Part2%2FSecret@host; "Part1@Part2/Secret"',
  );
  assert.ok(!text.includes('Part'), text);
  assert.equal(
    redactor.text('see mqtt://a:b@host1 and mqtt://c:d@host2/p'),
    'see mqtt://***:***@host1 and mqtt://***:***@host2/p',
  );
  // Data is cleaned value by value: JSON stays JSON, `type` is never touched, password fields are masked.
  const cleaned = new Redactor(['summary-secret']).value({
    type: 'summary',
    note: 'x summary-secret y',
    list: ['summary-secret'],
    password: 'p',
    n: 1,
  });
  assert.deepEqual(cleaned, { type: 'summary', note: 'x *** y', list: ['***'], password: '***', n: 1 });
  // A short secret is masked where it is a whole value only: masking every `ab` would garble everything.
  assert.deepEqual(new Redactor(['ab']).value({ a: 'ab', b: 'tab' }), { a: '***', b: 'tab' });
});
