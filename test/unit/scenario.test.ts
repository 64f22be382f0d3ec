import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { resolveOptions } from '../../src/index.js';
import { tempDir, tempFile } from '../helpers/temp.js';
import { at } from '../../src/mqtt/checked.js';

const file = (t: TestContext, name: string, text: string): string => tempFile(t, name, text, 'scenario');

function rejects(path: string, pattern: RegExp, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => resolveOptions({ scenario: path }, env),
    (err: unknown) => err instanceof UsageError && err.option === '--scenario' && pattern.test(err.message),
    `expected ${pattern}`,
  );
}

test('scenario problems are reported with file, line, column, path and what was expected', (t) => {
  const good = `groups:\n  - name: a\n    count: 2\n    publish: { topic: 't/{n}', rate: 5 }\n`;
  const bad = (text: string): string => file(t, 'fleet.yaml', text);
  rejects(
    bad(`groups:\n  - name: a\n    count: 2\n    publish:\n      topic: t/{n}\n      rate: fast\n`),
    /fleet\.yaml:6:13: groups\[0\]\.publish\.rate must be a number \(got "fast"\)/,
  );
  rejects(bad(`groups:\n  - name: a\n`), /fleet\.yaml:2:\d+: groups\[0\]\.count is required/);
  rejects(
    bad(`group:\n  - name: a\n`),
    /fleet\.yaml:1:1: group is not a scenario key; expected one of name, description, defaults, brokers, groups/,
  );
  rejects(
    bad(`groups:\n  - name: a\n    count: 1\n    brokers: [nowhere]\n`),
    /fleet\.yaml:4:15: groups\[0\]\.brokers\[0\] is neither a broker named under `brokers` \(none\) nor a URL/,
  );
  rejects(
    bad(`groups:\n  - name: a\n    count: 1\n    subscribe: ['a/#/b']\n`),
    /groups\[0\]\.subscribe\[0\]: '#' must be a whole level/,
  );
  rejects(
    bad(`groups:\n  - name: a\n    count: 1\n    publish: { topic: 't', qos: 3 }\n`),
    /fleet\.yaml:4:\d+: groups\[0\]\.publish\.qos must be 0, 1 or 2 \(got 3\)/,
  );
  rejects(
    bad(`groups:\n  - name: a\n    count: 1\n    colour: red\n`),
    /fleet\.yaml:4:5: groups\[0\]\.colour is not a known setting here/,
  );
  rejects(
    bad(`groups:\n  - { name: a, count: 1 }\n  - { name: a, count: 1 }\n`),
    /groups\[1\]\.name repeats the group name "a"/,
  );
  rejects(
    bad(`brokers:\n  b: ''\n${good}`),
    /^\S*fleet\.yaml:2:6: brokers\.b\.url must be a non-empty string \(got an empty string\)$/,
  );
  rejects(bad(`defaults:\n  qos: 3\n${good}`), /fleet\.yaml:2:8: defaults\.qos must be 0, 1 or 2 \(got 3\)/);
  rejects(bad(`defaults:\n  speed: 3\n${good}`), /fleet\.yaml:2:3: defaults\.speed is not a run option/);
  rejects(
    bad(
      `groups:\n  - name: a\n    count: 1\n    publish: { topic: 't', payload: 'x', properties: { userProperties: { a: b } } }\n`,
    ),
    /groups\[0\]\.publish\.properties need mqttVersion 5/,
  );
  rejects(
    bad(`brokers:\n  b: \${NOT_SET_ANYWHERE}\n${good}`),
    /fleet\.yaml:2:6: brokers\.b uses \$\{NOT_SET_ANYWHERE\}, which is not set/,
  );
  rejects(bad(`groups: [\n`), /fleet\.yaml:\d+:\d+: /);
  rejects(join(tmpdir(), 'no-such-scenario.yaml'), /--scenario: cannot read .* \(ENOENT\)/);
});

test('groups are held to the same rules as the flags: keepalive, session expiry and size maxima, MQTT version spellings, workload file', (t) => {
  const group = (settings: string): string => file(t, 'fleet.yaml', `groups:\n  - name: a\n    count: 1\n${settings}`);
  rejects(
    group(`    keepalive: 70000\n`),
    /fleet\.yaml:4:16: groups\[0\]\.keepalive must be at most 65535s \(got 70000s\)/,
  );
  rejects(
    group(`    mqttVersion: 5\n    sessionExpiry: 4294967296\n`),
    /fleet\.yaml:5:20: groups\[0\]\.sessionExpiry must be at most 4294967295s/,
  );
  rejects(
    group(`    publish: { topic: t, size: 257mib }\n`),
    /fleet\.yaml:4:\d+: groups\[0\]\.publish\.size must be at most 268435455 bytes, MQTT's largest packet/,
  );
  rejects(
    group(`    publish: { topic: t, size: 10 }\n`),
    /groups\[0\]\.publish\.size must be at least 32 bytes, the payload header/,
  );
  rejects(group(`    mqttVersion: 3\n`), /groups\[0\]\.mqttVersion must be 3\.1\.1 or 5 \(got "3"\)/);
  rejects(
    group(`    publish: { topic: t, payload: { a: 1 } }\n`),
    /fleet\.yaml:4:\d+: groups\[0\]\.publish\.payload must be text, not a mapping or a list/,
  );
  rejects(
    group(`    will: { topic: w, payload: [1, 2] }\n`),
    /fleet\.yaml:4:\d+: groups\[0\]\.will\.payload must be text, not a mapping or a list/,
  );
  rejects(group(`    workload: nowhere.mjs\n`), /fleet\.yaml:4:15: groups\[0\]\.workload: no such file "nowhere\.mjs"/);
  const o = resolveOptions(
    { scenario: group(`    mqttVersion: ' V5 '\n    keepalive: 65535\n    sessionExpiry: 4294967295\n`) },
    {},
  );
  assert.deepEqual(
    [at(o.groups, 0).protocolVersion, at(o.groups, 0).keepaliveSec, at(o.groups, 0).sessionExpirySec],
    [5, 65535, 4294967295],
  );
  assert.equal(at(resolveOptions({ scenario: group(`    mqttVersion: v3.1.1\n`) }, {}).groups, 0).protocolVersion, 4);
});

test('a JSON scenario, environment references with defaults, and CLI flags over scenario defaults', (t) => {
  const path = file(
    t,
    'fleet.json',
    JSON.stringify({
      defaults: { duration: '8s', qos: 1 },
      brokers: { main: '${MAIN:-mqtt://127.0.0.1:1}' },
      groups: [
        { name: 'pub', count: 3, brokers: ['main'], publish: { topic: 'p/{n}', rate: 2 } },
        {
          name: 'sub',
          count: 2,
          brokers: ['main'],
          threads: 0,
          subscribe: ['p/+'],
          publish: { topic: 's/{n}', duration: '1s' },
        },
      ],
    }),
  );
  const o = resolveOptions({ scenario: path, duration: '2s' }, { MAIN: 'mqtt://127.0.0.1:2' });
  assert.deepEqual(
    o.groups.map((g) => [g.name, g.first, g.count, g.mode, at(g.brokers, 0).url]),
    [
      ['pub', 0, 3, 'thread-per-client', 'mqtt://127.0.0.1:2'],
      ['sub', 3, 2, 'single-loop', 'mqtt://127.0.0.1:2'],
    ],
  );
  assert.equal(at(o.groups, 0).publish!.durationMs, 2000, 'the CLI flag overrides the scenario default');
  assert.equal(at(o.groups, 1).publish!.durationMs, 1000, "the group's own setting wins");
  assert.equal(at(o.groups, 0).publish!.qos, 1, 'scenario default');
  assert.equal(o.clients, 5);
  assert.throws(() => resolveOptions({ scenario: path, clients: 4 }, {}), /--clients does not go with --scenario/);
});

test('a relative path from the environment is relative to the working directory; one written in the file, to the file', (t) => {
  const scenario = file(
    t,
    'fleet.yaml',
    `brokers:\n  cloud: { url: 'mqtts://127.0.0.1:1', ca: '\${CA:-./ca.pem}' }\ngroups:\n  - { name: a, count: 1, brokers: [cloud] }\n`,
  );
  writeFileSync(join(dirname(scenario), 'ca.pem'), 'beside the scenario');
  const shell = tempDir(t, 'shell');
  writeFileSync(join(shell, 'ca.pem'), 'where the user stands');
  const before = process.cwd();
  process.chdir(shell);
  t.after(() => process.chdir(before));
  const ca = (env: NodeJS.ProcessEnv): unknown => at(at(resolveOptions({ scenario }, env).groups, 0).brokers, 0).tls.ca;
  assert.equal(
    ca({ CA: './ca.pem' }),
    'where the user stands',
    "`CA=./ca.pem mqtt-fleet run ...` means the shell's ./ca.pem",
  );
  assert.equal(ca({}), 'beside the scenario', "the file's own default is relative to the file");
});
