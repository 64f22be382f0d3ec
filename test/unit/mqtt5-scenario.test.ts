import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { resolveOptions } from '../../src/index.js';
import { largestPayload, publishBytes } from '../../src/mqtt/publish-size.js';
import { tempFile } from '../helpers/temp.js';
import mqttPacket from 'mqtt-packet';

const file = (t: TestContext, text: string): string => tempFile(t, 'fleet.yaml', text, 'mqtt5');
const group = (body: string, version = 5): string =>
  `groups:\n  - name: a\n    count: 1\n    mqttVersion: ${version}\n${body}\n`;

function rejects(t: TestContext, text: string, pattern: RegExp): void {
  assert.throws(
    () => resolveOptions({ scenario: file(t, text) }, {}),
    (err: unknown) => err instanceof UsageError && err.option === '--scenario' && pattern.test(err.message),
    `expected ${pattern}`,
  );
}

test("a group's MQTT 5 settings are read into its profile", (t) => {
  const options = resolveOptions(
    {
      scenario: file(
        t,
        group(`    connect: { userProperties: { site: p1 }, requestResponseInformation: true }
    subscribe: [{ topic: 'a/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionId: 9 }]
    publish:
      topic: 'a/{n}'
      topicAlias: true
      properties: { messageExpiry: 2m, contentType: text/plain, payloadFormat: utf8, responseTopic: 'r/{id}', correlationData: 42 }`),
      ),
    },
    {},
  );
  const [g] = options.groups;
  assert.deepEqual(g!.connectProperties, { userProperties: { site: 'p1' }, requestResponseInformation: true });
  assert.deepEqual(g!.subscriptions, [
    { filter: 'a/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionId: 9 },
  ]);
  assert.equal(g!.publish?.topicAlias, true);
  assert.deepEqual(g!.publish?.properties, {
    messageExpirySec: 120,
    contentType: 'text/plain',
    payloadUtf8: true,
    responseTopic: 'r/{id}',
    correlationData: '42',
  });
});

test('MQTT 5 settings are refused at their place: without mqttVersion 5, out of range, or where MQTT forbids them', (t) => {
  rejects(t, group(`    connect: { requestResponseInformation: true }`, 4), /groups\[0\]\.connect needs mqttVersion 5/);
  rejects(
    t,
    group(`    subscribe: [{ topic: 'a', noLocal: true }]`, 4),
    /groups\[0\]\.subscribe\[0\]\.noLocal needs mqttVersion 5/,
  );
  rejects(
    t,
    group(`    publish: { topic: 'a', topicAlias: true }`, 4),
    /groups\[0\]\.publish\.topicAlias needs mqttVersion 5/,
  );
  rejects(
    t,
    group(`    subscribe: [{ topic: '$share/g/a', noLocal: true }]`),
    /groups\[0\]\.subscribe\[0\]\.noLocal cannot be set on a shared subscription/,
  );
  rejects(
    t,
    group(`    subscribe: [{ topic: 'a', retainHandling: 3 }]`),
    /groups\[0\]\.subscribe\[0\]\.retainHandling must be 0 \(retained messages on every subscribe\), 1/,
  );
  rejects(
    t,
    group(`    subscribe: [{ topic: 'a', subscriptionId: 268435456 }]`),
    /groups\[0\]\.subscribe\[0\]\.subscriptionId must be at most/,
  );
  rejects(
    t,
    group(`    publish: { topic: 'a', properties: { messageExpiry: 0s } }`),
    /groups\[0\]\.publish\.properties\.messageExpiry must be at least 1s/,
  );
  rejects(
    t,
    group(`    publish: { topic: 'a', properties: { payloadFormat: json } }`),
    /groups\[0\]\.publish\.properties\.payloadFormat must be utf8 or bytes/,
  );
  rejects(
    t,
    group(`    publish: { topic: 'a', properties: { responseTopic: 'r/#' } }`),
    /groups\[0\]\.publish\.properties\.responseTopic/,
  );
  rejects(
    t,
    group(`    publish: { topic: 'a', properties: { expiry: 5s } }`),
    /groups\[0\]\.publish\.properties\.expiry is not a known setting here; expected one of userProperties, messageExpiry/,
  );
});

test('the PUBLISH size reckoned against a broker limit is the size mqtt-packet writes', () => {
  const properties = {
    messageExpiryInterval: 60,
    contentType: 'application/json',
    payloadFormatIndicator: true,
    responseTopic: 'replies/x',
    correlationData: Buffer.from('abc'),
    topicAlias: 3,
    userProperties: { a: 'b', 'mqtt-fleet': '0'.repeat(48) },
  };
  for (const [qos, payload] of [
    [0, 0],
    [1, 100],
    [2, 20_000],
  ] as const) {
    const packet = mqttPacket.generate(
      {
        cmd: 'publish',
        topic: 't/1',
        qos,
        messageId: qos > 0 ? 1 : undefined,
        payload: Buffer.alloc(payload),
        properties,
      } as never,
      { protocolVersion: 5 },
    );
    assert.equal(publishBytes('t/1', qos, properties, payload, true), packet.length, `QoS ${qos}, ${payload} bytes`);
  }
  // At a Remaining Length boundary (127 -> 128 takes a second byte) the largest payload steps back.
  const limit = 130;
  const most = largestPayload(limit, 't', 0, undefined, true);
  assert.ok(publishBytes('t', 0, undefined, most, true) <= limit);
  assert.ok(publishBytes('t', 0, undefined, most + 1, true) > limit);
});

test('the MQTT 5 flags need --mqtt-version 5, do not go with --scenario, and No Local is refused on a shared subscription', (t) => {
  const refused = (input: Parameters<typeof resolveOptions>[0], option: string, pattern: RegExp): void =>
    assert.throws(
      () => resolveOptions(input, {}),
      (err: unknown) => err instanceof UsageError && err.option === option && pattern.test(err.message),
      `expected ${option}: ${pattern}`,
    );
  refused({ topicAlias: true }, '--topic-alias', /--topic-alias needs --mqtt-version 5/);
  refused({ subRetainHandling: 1 }, '--sub-retain-handling', /needs --mqtt-version 5/);
  refused({ mqttVersion: '5', subRetainHandling: 3 }, '--sub-retain-handling', /must be 0 \(retained messages/);
  refused({ mqttVersion: '5', messageExpiry: '0s' }, '--message-expiry', /must be at least 1s/);
  refused(
    { mqttVersion: '5', subNoLocal: true, subTopic: '$share/g/x' },
    '--sub-no-local',
    /cannot be set on a shared subscription/,
  );
  refused(
    { scenario: file(t, group(`    publish: { topic: 'a' }`)), contentType: 'text/plain' },
    '--content-type',
    /does not go with --scenario/,
  );
  const [g] = resolveOptions({ mqttVersion: '5', topicAlias: true, messageExpiry: 90, subNoLocal: true }, {}).groups;
  assert.equal(g!.publish?.topicAlias, true);
  assert.deepEqual(g!.publish?.properties, { messageExpirySec: 90 });
  assert.deepEqual(g!.subscriptions, [{ filter: 'fleet/{i}', qos: 0, noLocal: true }]);
});
