import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test, type TestContext } from 'node:test';
import { run, type RunEvent } from '../src/index.js';
import { UsageError } from '../src/errors.js';
import { CredentialsError, laneCredentials, scanCredentials } from '../src/session/credentials.js';
import { renderCredential } from '../src/mqtt/templates.js';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { processTree } from './helpers/proc.js';
import { tempDir } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';

const CLIENTS = 20;
/** Each device's password: distinct, with a comma and a quote, which the CSV must quote. */
const passwordOf = (i: number): string => `Qz,pw"${i}-s3cret`;
const userOf = (i: number): string => `dev${i}`;

/** A CSV field, quoted as RFC 4180 says when it must be. */
const field = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
const csv = (rows: string[][]): string => rows.map((r) => r.map(field).join(',')).join('\r\n');

/** The user name Mosquitto logged for each client id: `New client connected from ... as <id> (..., u'<user>').` */
function loggedUsers(log: readonly string[]): Map<string, string> {
  const users = new Map<string, string>();
  for (const line of log) {
    const match = / as (\S+) \(.*u'([^']*)'\)/.exec(line);
    if (match && line.includes('New client connected')) users.set(match[1]!, match[2]!);
  }
  return users;
}

/** A Mosquitto that lets in only dev0..dev19, each with its own password (mosquitto_passwd hashes them). */
async function authMosquitto(t: TestContext, dir: string): Promise<Mosquitto> {
  const passwords = join(dir, 'mosquitto.passwd');
  writeFileSync(passwords, Array.from({ length: CLIENTS }, (_, i) => `${userOf(i)}:${passwordOf(i)}\n`).join(''), {
    mode: 0o600,
  });
  execFileSync('mosquitto_passwd', ['-U', passwords]);
  assert.doesNotMatch(readFileSync(passwords, 'utf8'), /s3cret/, 'the password file holds hashes only');
  const mosquitto = await Mosquitto.start(['allow_anonymous false', `password_file ${passwords}`].join('\n'));
  t.after(() => mosquitto.stop());
  return mosquitto;
}

function assertNoPassword(outputs: Map<string, string>): void {
  const leaks: string[] = [];
  for (const [name, text] of outputs) {
    if (text.includes('s3cret'))
      leaks.push(`${name}: ...${text.slice(text.indexOf('s3cret') - 60, text.indexOf('s3cret') + 20)}`);
  }
  assert.deepEqual(leaks, [], 'no password in any output');
}

test('per-device user names and passwords: from a CSV (by row, by clientId, in a scenario) and from templates; the file wins; no password in any output', async (t) => {
  const dir = tempDir(t, 'credentials');
  const mosquitto = await authMosquitto(t, dir);
  const byRow = join(dir, 'devices.csv');
  // Row n is client n; an extra column is ignored; CRLF line ends, a blank line and a BOM are taken as written.
  writeFileSync(
    byRow,
    `\ufeff${csv([['username', 'password', 'note'], ...Array.from({ length: CLIENTS }, (_, i) => [userOf(i), passwordOf(i), `meter ${i}`])])}\r\n\r\n`,
  );

  // The CLI with every output: each client logs in as its own device, and no password shows anywhere.
  const out = { ndjson: join(dir, 'run.ndjson'), csv: join(dir, 'run.csv') };
  const cli = spawnCli(
    t,
    [
      'run',
      '-b',
      mosquitto.url,
      '-c',
      String(CLIENTS),
      '--threads',
      '2',
      '--id-prefix',
      'meter-',
      '--count',
      '2',
      '--rate',
      '20',
      '--qos',
      '1',
      '--credentials',
      relative(process.cwd(), byRow),
      '--json',
      '--log-level',
      'trace',
      '--print-messages',
      '--out',
      `ndjson=${out.ndjson}`,
      '--out',
      `csv=${out.csv}`,
    ],
    { json: true },
  );
  await cli.changed.until(
    () => cli.lines.some((l) => l.type === 'status' && l.state === 'ready'),
    20_000,
    'a client to log in',
  );
  const outputs = new Map<string, string>();
  for (const p of processTree(cli.child.pid!)) outputs.set(`/proc/${p.pid}/cmdline`, p.cmdline);
  const { code } = await withTimeout(cli.exit, 60_000, 'the run to finish');
  assert.equal(code, 0, cli.stderr());
  const summary = cli.lines.find((l) => l.type === 'summary')!;
  assert.equal(summary.connected, CLIENTS, cli.stderr());
  assert.equal(summary.received, CLIENTS * 2);
  outputs.set('stdout', cli.stdout());
  outputs.set('stderr', cli.stderr());
  for (const [kind, path] of Object.entries(out)) outputs.set(`--out ${kind}`, readFileSync(path, 'utf8'));
  assertNoPassword(outputs);
  const users = loggedUsers(mosquitto.log);
  for (let i = 0; i < CLIENTS; i++)
    assert.equal(users.get(`meter-${i}`), userOf(i), `meter-${i} logged in as its device`);

  // Templates: --username dev{i} --password with {i}, filled per client as it connects.
  mosquitto.log.length = 0;
  const templated = spawnCli(
    t,
    [
      'run',
      '-b',
      mosquitto.url,
      '-c',
      String(CLIENTS),
      '--threads',
      '2',
      '--id-prefix',
      'tpl-',
      '--count',
      '2',
      '--rate',
      '20',
      '--username',
      'dev{i}',
      '--password',
      passwordOf(0).replace('0', '{i}'),
      '--json',
      '--log-level',
      'trace',
    ],
    { json: true },
  );
  assert.equal((await withTimeout(templated.exit, 60_000, 'the templated run')).code, 0, templated.stderr());
  assert.equal(templated.lines.find((l) => l.type === 'summary')!.connected, CLIENTS);
  const tplUsers = loggedUsers(mosquitto.log);
  for (let i = 0; i < CLIENTS; i++) assert.equal(tplUsers.get(`tpl-${i}`), userOf(i));
  assertNoPassword(
    new Map([
      ['templated stdout', templated.stdout()],
      ['templated stderr', templated.stderr()],
    ]),
  );

  // Keyed by clientId, rows in any order: the file wins over --username and --password; an empty
  // field leaves the run's own (row of dev4: no user name, so the template's); one wrong password is refused.
  const byId = join(dir, 'by-id.csv');
  const rows = Array.from({ length: CLIENTS }, (_, i) => [
    `id-${i}`,
    i === 4 ? '' : userOf(i),
    i === 7 ? 'Qz-wrong-s3cret' : passwordOf(i),
  ]).reverse();
  writeFileSync(byId, csv([['password', 'ClientId', 'username'], ...rows.map(([id, u, p]) => [p!, id!, u!])]));
  mosquitto.log.length = 0;
  const statuses: RunEvent[] = [];
  const mixed = await run({
    brokers: [mosquitto.url],
    clients: CLIENTS,
    threads: '3',
    idPrefix: 'id-',
    count: 2,
    rate: 20,
    username: 'dev{i}',
    password: 'Qz-nobody-s3cret',
    credentials: byId,
    onEvent: (e) => statuses.push(e),
  });
  assert.equal(mixed.connected, CLIENTS - 1);
  assert.equal(mixed.gaveUp + mixed.failed, 1);
  const refusal = statuses.find((e) => e.type === 'status' && e.client === 7 && e.error !== undefined);
  assert.ok(refusal && refusal.type === 'status');
  assert.match(refusal.error!.message, /not authori[sz]ed|bad user name or password/);
  const idUsers = loggedUsers(mosquitto.log);
  assert.equal(idUsers.get('id-4'), 'dev4', "an empty user name field leaves --username's");
  assert.equal(idUsers.has('id-7'), false, 'the wrong password was refused');
  for (let i = 0; i < CLIENTS; i++) if (i !== 7) assert.equal(idUsers.get(`id-${i}`), userOf(i));

  // A scenario: a group's file is relative to the scenario file, the defaults' too.
  const scenario = join(dir, 'fleet.yaml');
  writeFileSync(
    scenario,
    [
      'defaults:',
      '  credentials: devices.csv',
      'groups:',
      '  - name: first',
      '    count: 3',
      `    brokers: ['${mosquitto.url}']`,
      "    clientId: 'first-{n}'",
      "    publish: { topic: 'first/{n}', count: 1, rate: 10 }",
      '  - name: second',
      '    count: 2',
      `    brokers: ['${mosquitto.url}']`,
      "    clientId: 'id-{n}'",
      "    publish: { topic: 'second/{n}', count: 1, rate: 10 }",
      '    credentials: ./by-id.csv',
    ].join('\n'),
  );
  mosquitto.log.length = 0;
  const fromScenario = await run({ scenario });
  assert.equal(fromScenario.connected, 5);
  const scnUsers = loggedUsers(mosquitto.log);
  assert.deepEqual(
    ['first-0', 'first-1', 'first-2', 'id-0', 'id-1'].map((id) => scnUsers.get(id)),
    ['dev0', 'dev1', 'dev2', 'dev0', 'dev1'],
    'row n is client n of its group; by id, the row of that id',
  );
});

test('a credentials file that cannot serve every client stops the run before anything connects: exit 2, naming --credentials, the file and the client', async (t) => {
  const dir = tempDir(t, 'credentials-bad');
  const mosquitto = await authMosquitto(t, dir);
  const common = { brokers: [mosquitto.url], clients: 5, idPrefix: 'bad-', count: 1, rate: 10 };
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const cases: [string, string, RegExp][] = [
    ['missing', join(dir, 'nope.csv'), /--credentials .*nope\.csv: no such file/],
    [
      'no password column',
      write('cols.csv', 'username\ndev0\n'),
      /cols\.csv: line 1: the header \(username\) needs the columns username and password/,
    ],
    [
      'too few rows',
      write('short.csv', csv([['username', 'password'], ...[0, 1, 2].map((i) => [userOf(i), passwordOf(i)])])),
      /short\.csv: no row for client bad-3 \(no clientId column, so it is data row 4, and the file has fewer rows\); 1 more clients have none either/,
    ],
    [
      'a client id missing',
      write(
        'ids.csv',
        csv([['clientId', 'username', 'password'], ...[0, 1, 3, 4].map((i) => [`bad-${i}`, userOf(i), passwordOf(i)])]),
      ),
      /ids\.csv: no row for client bad-2 \(no row has its clientId\)/,
    ],
    [
      // After every client's row: the check reads on to the end for it.
      'a client id twice',
      write(
        'twice.csv',
        csv([
          ['clientId', 'username', 'password'],
          ...[0, 1, 2, 3, 4, 2].map((i) => [`bad-${i}`, userOf(i), passwordOf(i)]),
        ]),
      ),
      /twice\.csv: line 7: a second row for client bad-2 \(the first is on line 4\)/,
    ],
    [
      'a short row',
      write('ragged.csv', 'username,password\ndev0,x\ndev1\n'),
      /ragged\.csv: line 3: has 1 fields; the header names 2 columns/,
    ],
    [
      'a stray quote',
      write('quote.csv', 'username,password\ndev0,a"b\n'),
      /quote\.csv: line 2: a quote inside an unquoted field/,
    ],
    ['a directory', dir, /is not a regular file|EISDIR/],
  ];
  for (const [name, path, message] of cases) {
    await assert.rejects(
      run({ ...common, credentials: path }),
      (err: unknown) => err instanceof UsageError && err.option === '--credentials' && message.test(err.message),
      name,
    );
  }
  // A password with no user name anywhere: named by line and client.
  await assert.rejects(
    run({ ...common, credentials: write('nouser.csv', 'username,password\n,pw\n') }),
    /nouser\.csv: line 2 \(client bad-0\): a password needs a user name/,
  );
  assert.equal(loggedUsers(mosquitto.log).size, 0, 'no client connected');
  assert.equal(mosquitto.log.filter((l) => l.includes('New connection')).length, 0, 'no connection was even opened');

  // The CLI: exit 2, one line.
  const cli = spawnCli(t, [
    'run',
    '-b',
    mosquitto.url,
    '-c',
    '5',
    '--id-prefix',
    'bad-',
    '--credentials',
    join(dir, 'short.csv'),
  ]);
  assert.equal((await withTimeout(cli.exit, 30_000, 'the CLI exits')).code, 2);
  assert.match(cli.stderr(), /^mqtt-fleet: --credentials .*short\.csv: no row for client bad-3 .*\n$/);
  assert.equal(mosquitto.log.filter((l) => l.includes('New connection')).length, 0);
});

test('the CSV reader: quoted commas, quotes and line breaks, CRLF, blank lines; each lane keeps only its own rows', (t) => {
  const dir = tempDir(t, 'credentials-csv');
  const path = join(dir, 'c.csv');
  writeFileSync(path, 'Username , PASSWORD\r\n\r\n"a,1","p""1\r\nx"\n\nb2,p2\nc3,""\n"d4",p4');
  const clients = [0, 1, 2, 3].map((n) => ({ index: 100 + n, n, clientId: `c${n}` }));
  const seen: [number, unknown, number][] = [];
  const offsets = new Map<number, number>();
  const { missing, byId } = scanCredentials(path, clients, (c, cred, line, offset) => {
    seen.push([c.index, cred, line]);
    offsets.set(c.index, offset);
  });
  assert.deepEqual(missing, []);
  assert.equal(byId, false);
  assert.deepEqual(seen, [
    [100, { username: 'a,1', password: 'p"1\r\nx' }, 3],
    [101, { username: 'b2', password: 'p2' }, 6],
    [102, { username: 'c3' }, 7],
    [103, { username: 'd4', password: 'p4' }, 8],
  ]);
  // Each row starts where the check found it: a lane of clients 1 and 3 reads from there and keeps two rows.
  assert.deepEqual([...offsets.values()], [23, 40, 46, 52]);
  const lane = laneCredentials(
    path,
    [clients[1]!, clients[3]!].map((c) => ({ ...c, credentialsAt: offsets.get(c.index)! })),
  );
  assert.deepEqual(
    [...lane],
    [
      [101, { username: 'b2', password: 'p2' }],
      [103, { username: 'd4', password: 'p4' }],
    ],
  );
  // A row that moved since the check is not taken for another's.
  writeFileSync(path, 'Username , PASSWORD\r\n\r\nb2,p2\n"a,1","p""1\r\nx"\n\nc3,""\n"d4",p4');
  assert.throws(
    () => laneCredentials(path, [{ ...clients[1]!, credentialsAt: offsets.get(101)! }]),
    /changed since it was checked/,
  );
  // Fields across the 64 KiB chunks the file is read in, multi-byte characters split between them.
  const long = 'é'.repeat(40_000);
  writeFileSync(path, `username,password\n"${long}","x,""y"\n${long}${long},"${long}"\n`);
  const split: unknown[] = [];
  scanCredentials(path, clients.slice(0, 2), (_c, cred) => split.push(cred));
  assert.deepEqual(split, [
    { username: long, password: 'x,"y' },
    { username: long + long, password: long },
  ]);
  writeFileSync(path, 'username,password\n"open,pw\n');
  assert.throws(
    () => scanCredentials(path, clients, () => {}),
    (err: unknown) => err instanceof CredentialsError && /line 2: a quoted field is never closed/.test(err.message),
  );
});

test('a user name or password template fills {i}, {id}, {n} and {group} only: other braces are the secret as written', () => {
  const vars = { i: 12, n: 2, id: 'meter-12', group: 'meters' };
  assert.equal(renderCredential('p{x}{run}{}-{i}-{n}-{id}-{group}', vars), 'p{x}{run}{}-12-2-meter-12-meters');
  assert.equal(renderCredential('{{i}}', vars), '{12}');
});
