import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { resolveOptions } from '../../src/index.js';
import { planSessions } from '../../src/options/plan.js';
import { tempFile } from '../helpers/temp.js';

const file = (t: TestContext, text: string): string => tempFile(t, 'rr.yaml', text, 'scenario');

const callers = (request: string, version = '5'): string =>
  `groups:\n  - name: callers\n    count: 2\n    mqttVersion: ${version}\n    publish: { topic: 'req/{n}', count: 3, qos: 1 }\n    request: ${request}\n`;

function rejects(path: string, pattern: RegExp): void {
  assert.throws(
    () => resolveOptions({ scenario: path }),
    (err: unknown) =>
      err instanceof UsageError &&
      err.option === '--scenario' &&
      pattern.test(err.message) &&
      !err.message.includes('\n'),
    `expected ${pattern}`,
  );
}

test('request and respond: defaults, and each requester subscribes to its own response topic', (t) => {
  const path = file(
    t,
    `${callers('true')}  - name: service\n    count: 1\n    mqttVersion: 5\n    subscribe: 'req/+'\n    respond: true\n`,
  );
  const options = resolveOptions({ scenario: path, runId: 'rr1' });
  const [requesters, responders] = options.groups;
  assert.deepEqual(requesters!.request, { responseTopic: 'mqtt-fleet/reply/{id}', timeoutMs: 5000, qos: 1 });
  assert.equal(requesters!.respond, undefined);
  assert.deepEqual(responders!.respond, { qos: 0 });
  const specs = planSessions(options);
  assert.equal(specs[1]!.responseTopic, `mqtt-fleet/reply/${specs[1]!.clientId}`);
  assert.deepEqual(specs[1]!.subscriptions, [{ filter: `mqtt-fleet/reply/${specs[1]!.clientId}`, qos: 1 }]);
  assert.equal(specs[2]!.responseTopic, undefined);
});

test('request settings given: response topic template, timeout, QoS', (t) => {
  const path = file(t, callers(`{ responseTopic: 'reply/{group}/{n}', timeout: 250ms, qos: 2 }`));
  const [group] = resolveOptions({ scenario: path }).groups;
  assert.deepEqual(group!.request, { responseTopic: 'reply/{group}/{n}', timeoutMs: 250, qos: 2 });
  assert.equal(planSessions(resolveOptions({ scenario: path }))[1]!.responseTopic, 'reply/callers/1');
});

test('bad request/response settings are refused up front, naming the setting', (t) => {
  rejects(file(t, callers('true', '3.1.1')), /groups\[0\]\.request needs mqttVersion 5/);
  rejects(
    file(t, `groups:\n  - name: s\n    count: 1\n    subscribe: 'req/+'\n    respond: true\n`),
    /groups\[0\]\.respond needs mqttVersion 5/,
  );
  rejects(
    file(t, `groups:\n  - name: c\n    count: 1\n    mqttVersion: 5\n    request: true\n`),
    /groups\[0\]\.request needs publish/,
  );
  rejects(file(t, callers('{ timeout: 0ms }')), /groups\[0\]\.request\.timeout must be at least/);
  rejects(file(t, callers('{ timeout: 2 }')), /groups\[0\]\.request\.timeout needs a unit/);
  rejects(file(t, callers(`{ responseTopic: 'reply/+' }`)), /groups\[0\]\.request\.responseTopic/);
  rejects(file(t, callers('{ correlation: x }')), /groups\[0\]\.request\.correlation is not a known setting here/);
  rejects(file(t, callers('yes please')), /groups\[0\]\.request must be true or \{ responseTopic, timeout, qos \}/);
  rejects(
    file(t, `groups:\n  - name: s\n    count: 1\n    mqttVersion: 5\n    subscribe: 'q'\n    respond: { qos: 3 }\n`),
    /groups\[0\]\.respond\.qos/,
  );
});

test('a requester in a shared subscription still receives as the share: its response topic is its own', (t) => {
  const path = file(
    t,
    `groups:\n  - name: workers\n    count: 2\n    mqttVersion: 5\n    subscribe: '$share/g/jobs/#'\n    publish: { topic: 'req/{n}', count: 1 }\n    request: true\n`,
  );
  const specs = planSessions(resolveOptions({ scenario: path }));
  assert.equal(specs[0]!.receiverKey, specs[1]!.receiverKey);
  assert.match(specs[0]!.receiverKey, /^share:/);
  assert.equal(specs[0]!.subscriptions.length, 2);
});
