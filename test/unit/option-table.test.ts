import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMPARE_FLAGS, RUN_FLAGS, runOptionsFrom } from '../../src/options/flags.js';
import { UsageError } from '../../src/errors.js';
import { latencyGroups, planSessions, planLanes } from '../../src/options/plan.js';
import { DEFAULTS, flagOf, OPTIONS, resolveOptions } from '../../src/options/index.js';
import type { OptionSpec } from '../../src/options/spec.js';
import { tempFile } from '../helpers/temp.js';

const entries = Object.entries(OPTIONS) as [keyof typeof OPTIONS, OptionSpec][];
const runEntries = entries.filter(([, spec]) => !spec.cliOnly);

test('every run option of the table is a flag of run and compare, and comes back under its key', () => {
  assert.deepEqual(
    Object.keys(RUN_FLAGS),
    entries.map(([key]) => flagOf(key)),
    '--help lists the table in its order',
  );
  for (const [key] of runEntries) assert.ok(flagOf(key) in COMPARE_FLAGS, `compare takes --${flagOf(key)}`);
  const args = Object.fromEntries(runEntries.map(([key], n) => [flagOf(key), `value-${n}`]));
  assert.deepEqual(runOptionsFrom(args), Object.fromEntries(runEntries.map(([key], n) => [key, `value-${n}`])));
  assert.deepEqual(
    runOptionsFrom({ json: true, 'log-level': 'warn' }),
    {},
    'flags of the CLI alone are not run options',
  );
  // A list where the option takes one, and one value where it takes a list.
  assert.throws(
    () => runOptionsFrom({ qos: ['1', '2'] }),
    (err: unknown) => err instanceof UsageError && err.message === '--qos was given more than once',
  );
  assert.deepEqual(runOptionsFrom({ broker: ['mqtt://a', 'mqtt://b'], out: 'csv=x.csv' }), {
    brokers: ['mqtt://a', 'mqtt://b'],
    out: 'csv=x.csv',
  });
});

test("a scenario's defaults take exactly the run options they took before the table", (t) => {
  // The list options.ts kept by hand (SCENARIO_DEFAULT_KEYS), pinned: the table must say the same.
  const before = [
    'brokers',
    'qos',
    'size',
    'rate',
    'count',
    'duration',
    'retain',
    'clean',
    'keepalive',
    'username',
    'password',
    'idPrefix',
    'reconnectAttempts',
    'reconnectDelay',
    'connectTimeout',
    'drainTimeout',
    'barrier',
    'threads',
    'maxInflight',
    'printMessages',
    'statsInterval',
    'runId',
    'work',
    'connectRate',
    'connectConcurrency',
    'mqttVersion',
    'sessionExpiry',
    'retryRefused',
    'passwordFile',
    'ca',
    'cert',
    'key',
    'insecure',
    'workload',
    'hookTimeout',
    'maxPacketSize',
    // Added since: the schedule's phase, the warm-up, and the rate's stages.
    'phase',
    'warmup',
    'stages',
    // Thresholds judged during the run, for the file's thresholds and --threshold alike.
    'abortOnFail',
    // And how clients come and go.
    'clientStages',
    'clientLeave',
    'churn',
    // How TLS is spoken.
    'tlsMinVersion',
    'servername',
    'alpn',
    // Per-client user names and passwords.
    'credentials',
    // Which MQTT client each session uses.
    'mqttClient',
  ];
  const notADefault = /is not a run option that a scenario can default/;
  for (const [key] of runEntries) {
    const path = tempFile(
      t,
      'fleet.yaml',
      `defaults:\n  ${key}: 'x'\ngroups:\n  - { name: a, count: 1 }\n`,
      'option-table',
    );
    let message = '';
    try {
      resolveOptions({ scenario: path }, {});
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      message = err.message;
    }
    if (before.includes(key))
      assert.doesNotMatch(message, notADefault, `defaults.${key} is a run option a scenario can default`);
    else assert.match(message, notADefault, `defaults.${key} is refused`);
  }
});

test('DEFAULTS keeps every value it had, and each resolves to what a run uses when nothing is given', () => {
  const before = {
    clients: 20,
    qos: 0,
    size: 64,
    rate: 10,
    duration: '10s',
    topic: 'fleet/{i}',
    subTopic: 'fleet/{i}',
    keepalive: 60,
    reconnectAttempts: 3,
    reconnectDelay: '1s',
    connectTimeout: '10s',
    drainTimeout: '5s',
    threads: 'per-client',
    maxInflight: 20,
    // Was 64 (fixed); the adaptive window is the default since issue 16.
    connectConcurrency: 'auto',
    hookTimeout: '5s',
    statsInterval: '1s',
  };
  for (const [key, value] of Object.entries(before)) assert.equal(DEFAULTS[key as keyof typeof DEFAULTS], value, key);
  // --work-clients needs --work, --metrics-host needs --metrics-port: their defaults apply only with those.
  const given = Object.fromEntries(
    Object.entries(DEFAULTS).filter(([key]) => key !== 'workClients' && key !== 'metricsHost'),
  );
  const env = { MQTT_FLEET_RUN_ID: 'defaults' };
  assert.deepEqual(resolveOptions(given, env), resolveOptions({}, env));
});

test('every session is given the run-wide options the table marks for workers, as they were resolved', () => {
  const options = resolveOptions(
    {
      clients: 2,
      threads: 0,
      reconnectAttempts: 7,
      reconnectDelay: '3s',
      connectTimeout: '4s',
      maxPacketSize: '2mib',
      maxInflight: 9,
      barrier: false,
      printMessages: true,
      retryRefused: true,
      drainTimeout: '6s',
      hookTimeout: '7s',
    },
    {},
  );
  const specs = planSessions(options);
  const [lane] = planLanes(options, specs, latencyGroups(options));
  assert.ok(lane);
  const { settings } = lane;
  assert.deepEqual(
    {
      reconnectAttempts: settings.reconnectAttempts,
      reconnectDelayMs: settings.reconnectDelayMs,
      connectTimeoutMs: settings.connectTimeoutMs,
      maxPacketSize: settings.maxPacketSize,
      maxInflight: settings.maxInflight,
      barrier: settings.barrier,
      printMessages: settings.printMessages,
      retryRefused: settings.retryRefused,
      drainTimeoutMs: settings.drainTimeoutMs,
      hookTimeoutMs: settings.hookTimeoutMs,
    },
    {
      reconnectAttempts: 7,
      reconnectDelayMs: 3000,
      connectTimeoutMs: 4000,
      maxPacketSize: 2 * 1024 * 1024,
      maxInflight: 9,
      barrier: false,
      printMessages: true,
      retryRefused: true,
      drainTimeoutMs: 6000,
      hookTimeoutMs: 7000,
    },
  );
});
