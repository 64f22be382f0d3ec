import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  remove(): void;
}

/** A throwaway CA and a server certificate for localhost/127.0.0.1, made with openssl. */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-fleet-certs-'));
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=mqtt-fleet test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  const ext = join(dir, 'ext.cnf');
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ${ext}`]);
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.pem',
  );
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A client certificate and key per id, signed by `certs`' CA, in `dir`/<id>.pem and <id>.key:
 * CN = the id (what Mosquitto's use_identity_as_username takes as the user name). One openssl
 * call each, with a P-256 key (milliseconds, where RSA takes tens). Returns the directory.
 */
export function makeClientCerts(certs: TestCerts, ids: readonly string[], dir = join(certs.dir, 'clients')): string {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'client.cnf');
  writeFileSync(
    config,
    '[req]\ndistinguished_name=dn\nx509_extensions=v3\n[dn]\n[v3]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n',
  );
  for (const id of ids) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-config',
        config,
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${id}`,
        '-CA',
        certs.ca,
        '-CAkey',
        join(certs.dir, 'ca.key'),
        '-keyout',
        join(dir, `${id}.key`),
        '-out',
        join(dir, `${id}.pem`),
      ],
      { stdio: 'ignore' },
    );
  }
  return dir;
}
