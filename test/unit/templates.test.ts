import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSessions } from '../../src/options/plan.js';
import { expectedStreams } from '../../src/metrics/topology.js';
import { resolveOptions } from '../../src/options/index.js';
import { renderTemplate, topicMatches } from '../../src/mqtt/templates.js';
import { at } from '../../src/mqtt/checked.js';

test('templates fill {i} and {id}', () => {
  assert.equal(renderTemplate('fleet/{i}/{id}/x{i}', { i: 7, id: 'c-7' }), 'fleet/7/c-7/x7');
  assert.equal(renderTemplate('plain', { i: 1, id: 'a' }), 'plain');
});

test('topic filters match as MQTT says (§4.7)', () => {
  assert.ok(topicMatches('a/b', 'a/b'));
  assert.ok(topicMatches('a/+', 'a/b'));
  assert.ok(!topicMatches('a/+', 'a/b/c'));
  assert.ok(topicMatches('a/#', 'a/b/c'));
  assert.ok(topicMatches('a/#', 'a'));
  assert.ok(topicMatches('#', 'a/b'));
  assert.ok(!topicMatches('#', '$SYS/x'));
  assert.ok(!topicMatches('+/x', '$SYS/x'));
  assert.ok(topicMatches('+/+', '/x'));
  assert.ok(!topicMatches('a/b', 'a/c'));
});

test('each client gets a unique id, round-robin brokers and its own topics', () => {
  const o = resolveOptions(
    {
      clients: 4,
      brokers: ['mqtt://127.0.0.1:1', 'mqtt://127.0.0.1:2'],
      runId: 'r1',
      topic: 't/{i}',
      subTopic: 's/{id}',
    },
    {},
  );
  const specs = planSessions(o);
  assert.deepEqual(
    specs.map((s) => [
      s.clientId,
      at(at(o.groups, 0).brokers, s.broker).url,
      s.pubTopic,
      s.subscriptions.map((x) => x.filter).join(),
    ]),
    [
      ['mqtt-fleet-r1-0', 'mqtt://127.0.0.1:1', 't/0', 's/mqtt-fleet-r1-0'],
      ['mqtt-fleet-r1-1', 'mqtt://127.0.0.1:2', 't/1', 's/mqtt-fleet-r1-1'],
      ['mqtt-fleet-r1-2', 'mqtt://127.0.0.1:1', 't/2', 's/mqtt-fleet-r1-2'],
      ['mqtt-fleet-r1-3', 'mqtt://127.0.0.1:2', 't/3', 's/mqtt-fleet-r1-3'],
    ],
  );
});

test('expected streams follow topic matching: own topic, shared topic, wildcard', () => {
  const streams = (options: Parameters<typeof resolveOptions>[0]): [string, number[]][] => {
    const o = resolveOptions(options, {});
    return [...expectedStreams(planSessions(o), o.groups).expected];
  };
  assert.deepEqual(streams({ clients: 3, brokers: ['mqtt://h'] }), [
    ['c:0', [0]],
    ['c:1', [1]],
    ['c:2', [2]],
  ]);
  assert.deepEqual(streams({ clients: 3, brokers: ['mqtt://h'], topic: 'all', subTopic: 'all' }), [
    ['c:0', [0, 1, 2]],
    ['c:1', [0, 1, 2]],
    ['c:2', [0, 1, 2]],
  ]);
  assert.deepEqual(streams({ clients: 2, brokers: ['mqtt://h'], topic: 'f/{i}', subTopic: 'f/+' }), [
    ['c:0', [0, 1]],
    ['c:1', [0, 1]],
  ]);
  // A shared subscription is one receiver for all its members.
  assert.deepEqual(streams({ clients: 3, brokers: ['mqtt://h'], topic: 'f/{i}', subTopic: '$share/g/f/+' }), [
    ['share:default:$share/g/f/+', [0, 1, 2]],
  ]);
});
