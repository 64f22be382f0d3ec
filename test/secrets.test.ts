import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { tempFile } from './helpers/temp.js';
import { withTimeout } from './helpers/wait.js';

const SECRET = 'hunter2-Zq8v';
const URL_SECRET = 'urlpass-Xk3m';

test('passwords from argv, URLs, the environment and files never appear in any output or the process title', async (t) => {
  const broker = await aedesForTest(t);
  broker.broker.authenticate = (_client, username, password, done) => {
    const ok = username === 'alice' && [SECRET, URL_SECRET].includes(password?.toString() ?? '');
    done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
  };
  const passwordFile = tempFile(t, 'password', `${SECRET}\n`, 'secret');
  const host = `127.0.0.1:${broker.port}`;
  const runs: { name: string; args: string[]; env?: NodeJS.ProcessEnv; ok: boolean }[] = [
    { name: 'argv', args: ['-b', `mqtt://${host}`, '-u', 'alice', '-P', SECRET], ok: true },
    { name: 'url', args: ['-b', `mqtt://alice:${URL_SECRET}@${host}`], ok: true },
    { name: 'env', args: ['-b', `mqtt://${host}`], env: { MQTT_USERNAME: 'alice', MQTT_PASSWORD: SECRET }, ok: true },
    { name: 'file', args: ['-b', `mqtt://${host}`, '-u', 'alice', '--password-file', passwordFile], ok: true },
    { name: 'refused', args: ['-b', `mqtt://alice:${URL_SECRET}x@${host}`, '-u', 'alice', '-P', `${SECRET}x`], ok: false },
  ];
  for (const r of runs) {
    const cli = spawnCli(t, ['run', ...r.args, '-c', '2', '--count', '20', '--rate', '20', '--json', '--log-level', 'trace', '--print-messages'], { json: true, env: r.env });
    await cli.changed.until(() => cli.lines.some((l) => l.type === 'status' && ['ready', 'gave-up'].includes(l.state as string)), 20_000, `${r.name}: the clients to get going`);
    const cmdline = readFileSync(`/proc/${cli.child.pid}/cmdline`, 'utf8');
    const { code } = await withTimeout(cli.exit, 30_000, `${r.name}: the run to finish`);
    assert.equal(code, r.ok ? 0 : 1, `${r.name}: ${cli.stderr()}`);
    for (const [stream, text] of [['stdout', cli.stdout()], ['stderr', cli.stderr()], ['process title', cmdline]] as const) {
      assert.ok(!text.includes(SECRET) && !text.includes(URL_SECRET), `${r.name}: a password appeared in ${stream}`);
    }
    if (r.name === 'url') assert.match(cli.stdout(), /"brokers":\["mqtt:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+"\]/, 'the broker URL is shown with its credentials masked');
    if (!r.ok) assert.match(cli.stdout(), /bad user name or password/);
  }
});
