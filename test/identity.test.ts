import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../src/index.js';
import { UsageError } from '../src/errors.js';
import { makeCerts, makeClientCerts } from './helpers/certs.js';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { freePort } from './helpers/ports.js';
import { withTimeout } from './helpers/wait.js';

const CLIENTS = 50;

/** The user name Mosquitto logged for each client id: `New client connected from ... as <id> (..., u'<user>').` */
function loggedUsers(log: readonly string[]): Map<string, string> {
  const users = new Map<string, string>();
  for (const line of log) {
    const match = / as (\S+) \(.*u'([^']*)'\)/.exec(line);
    if (match && line.includes('New client connected')) users.set(match[1]!, match[2]!);
  }
  return users;
}

test('an identity per device: 50 clients, each with its own certificate, connect as themselves; a missing one stops the run before anything connects', async (t) => {
  const certs = makeCerts();
  t.after(() => certs.remove());
  const ids = Array.from({ length: CLIENTS }, (_, i) => `dev-${i}`);
  const started = performance.now();
  const dir = makeClientCerts(certs, ids);
  t.diagnostic(`${CLIENTS} client certificates in ${Math.round(performance.now() - started)} ms`);
  const port = await freePort();
  const mosquitto = await Mosquitto.start(
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${certs.ca}`,
      `certfile ${certs.cert}`,
      `keyfile ${certs.key}`,
      'require_certificate true',
      'use_identity_as_username true',
    ].join('\n'),
  );
  t.after(() => mosquitto.stop());
  const broker = `mqtts://localhost:${port}`;
  const common = { brokers: [broker], ca: certs.ca, idPrefix: 'dev-', count: 2, rate: 20, qos: 1 as const };

  const summary = await run({
    ...common,
    clients: CLIENTS,
    threads: '2',
    cert: join(dir, '{id}.pem'),
    key: join(dir, '{id}.key'),
  });
  assert.equal(summary.connected, CLIENTS);
  assert.equal(summary.failed, 0);
  assert.equal(summary.received, CLIENTS * 2);
  // The broker took each client's user name from its certificate's CN: every client its own.
  const users = loggedUsers(mosquitto.log);
  for (const id of ids) assert.equal(users.get(id), id, `${id} connected as ${users.get(id)}`);

  // A scenario's broker names per-client files relative to the scenario file.
  const scenario = join(certs.dir, 'identities.yaml');
  writeFileSync(
    scenario,
    [
      'brokers:',
      `  secure: { url: '${broker}', ca: '${certs.ca}', cert: 'clients/{id}.pem', key: 'clients/{id}.key' }`,
      'groups:',
      '  - name: meters',
      '    count: 3',
      '    brokers: [secure]',
      "    clientId: 'dev-{n}'",
      "    subscribe: ['meters/{n}']",
      "    publish: { topic: 'meters/{n}', count: 2, rate: 20 }",
    ].join('\n'),
  );
  mosquitto.log.length = 0;
  const fromScenario = await run({ scenario });
  assert.equal(fromScenario.connected, 3);
  assert.equal(fromScenario.received, 6);
  const scenarioUsers = loggedUsers(mosquitto.log);
  for (const id of ['dev-0', 'dev-1', 'dev-2']) assert.equal(scenarioUsers.get(id), id);

  // One certificate gone: refused before anything connects, naming the file and the client.
  rmSync(join(dir, 'dev-7.pem'));
  mosquitto.log.length = 0;
  await assert.rejects(
    run({ ...common, clients: CLIENTS, threads: '2', cert: join(dir, '{id}.pem'), key: join(dir, '{id}.key') }),
    (err: unknown) =>
      err instanceof UsageError &&
      err.option === '--cert' &&
      err.message.includes('client dev-7: no such file') &&
      err.message.includes(join(dir, 'dev-7.pem')),
  );
  assert.equal(loggedUsers(mosquitto.log).size, 0, 'no client connected');
  // The CLI: exit 2, one line naming the file and the client.
  const cli = spawnCli(t, [
    'run',
    '--broker',
    broker,
    '--ca',
    certs.ca,
    '--id-prefix',
    'dev-',
    '--clients',
    String(CLIENTS),
    '--count',
    '2',
    '--cert',
    join(dir, '{id}.pem'),
    '--key',
    join(dir, '{id}.key'),
  ]);
  const { code } = await withTimeout(cli.exit, 30_000, 'the CLI exits');
  assert.equal(code, 2);
  assert.match(cli.stderr(), /--cert .*\{id\}\.pem: client dev-7: no such file .*dev-7\.pem/);
  assert.equal(loggedUsers(mosquitto.log).size, 0, 'no client connected');
});

test('per-client certificate paths: unknown placeholders are refused, and --cert still needs --key', async () => {
  await assert.rejects(
    run({ brokers: ['mqtts://localhost:1'], cert: 'certs/{nope}.pem', key: 'certs/{id}.key' }),
    /--cert has unknown placeholder \{nope\}/,
  );
  await assert.rejects(
    run({ brokers: ['mqtts://localhost:1'], cert: 'certs/{id}.pem' }),
    /--cert and --key go together/,
  );
});
