import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { createServer, type SecureVersion, type TLSSocket } from 'node:tls';
import { run } from '../src/index.js';
import { makeCerts, type TestCerts } from './helpers/certs.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { tempDir } from './helpers/temp.js';

/** A TLS front for a plain broker, as a load balancer would be: it records what each client said in its handshake. */
async function tlsFront(
  certs: TestCerts,
  brokerPort: number,
  maxVersion: SecureVersion,
): Promise<{
  port: number;
  hellos: { servername: string | false; alpn: string | false | null; version: string | null }[];
  close(): void;
}> {
  const hellos: { servername: string | false; alpn: string | false | null; version: string | null }[] = [];
  const server = createServer(
    {
      key: readFileSync(certs.key),
      cert: readFileSync(certs.cert),
      ALPNProtocols: ['mqtt'],
      maxVersion,
    },
    (socket: TLSSocket) => {
      hellos.push({
        servername: (socket as TLSSocket & { servername: string | false }).servername,
        alpn: socket.alpnProtocol,
        version: socket.getProtocol(),
      });
      const upstream = tcpConnect(brokerPort, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, hellos, close: () => server.close() };
}

test('TLS settings: --servername is the SNI sent, --alpn is offered, SSLKEYLOGFILE gets every session, --tls-min-version refuses an older broker', async (t) => {
  const certs = makeCerts();
  t.after(() => certs.remove());
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const front = await tlsFront(certs, mosquitto.port, 'TLSv1.3');
  t.after(() => front.close());
  const keylog = join(tempDir(t, 'keylog'), 'keys.log');
  const broker = `mqtts://127.0.0.1:${front.port}`;

  // By address: no SNI unless --servername gives one; the certificate is checked against it too.
  const plain = await run({ brokers: [broker], ca: certs.ca, clients: 2, count: 2, rate: 20, threads: '0' });
  assert.equal(plain.received, 4);
  assert.deepEqual(
    front.hellos.map((h) => [h.servername, h.alpn]),
    [
      [false, false],
      [false, false],
    ],
  );
  front.hellos.length = 0;
  process.env.SSLKEYLOGFILE = keylog;
  let named;
  try {
    named = await run({
      brokers: [broker],
      ca: certs.ca,
      clients: 3,
      count: 2,
      rate: 20,
      threads: '2',
      servername: 'localhost',
      alpn: 'mqtt,x-other',
      tlsMinVersion: 'TLSv1.3',
    });
  } finally {
    delete process.env.SSLKEYLOGFILE;
  }
  assert.equal(named.received, 6);
  assert.deepEqual(
    front.hellos.map((h) => [h.servername, h.alpn, h.version]),
    Array.from({ length: 3 }, () => ['localhost', 'mqtt', 'TLSv1.3']),
  );
  // TLS 1.3 key log lines, one set per connection.
  const secrets = readFileSync(keylog, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('CLIENT_TRAFFIC_SECRET_0 '));
  assert.equal(secrets.length, 3);

  // A broker that speaks at most TLS 1.2 is refused under --tls-min-version TLSv1.3, taken without it.
  const old = await tlsFront(certs, mosquitto.port, 'TLSv1.2');
  t.after(() => old.close());
  const oldBroker = `mqtts://localhost:${old.port}`;
  const refused = await run({
    brokers: [oldBroker],
    ca: certs.ca,
    clients: 1,
    count: 1,
    threads: '0',
    tlsMinVersion: 'TLSv1.3',
    reconnectAttempts: 1,
  });
  assert.equal(refused.connected, 0);
  assert.equal(old.hellos.length, 0, 'no handshake completed');
  const taken = await run({ brokers: [oldBroker], ca: certs.ca, clients: 1, count: 1, threads: '0' });
  assert.equal(taken.connected, 1);
  assert.equal(old.hellos[0]?.version, 'TLSv1.2');
});

test('TLS settings are checked: an unknown --tls-min-version, an empty --alpn, a bad --servername', async () => {
  const broker = ['mqtts://localhost:1'];
  await assert.rejects(
    run({ brokers: broker, tlsMinVersion: 'TLSv1.1' }),
    /--tls-min-version must be TLSv1.2 or TLSv1.3/,
  );
  await assert.rejects(run({ brokers: broker, alpn: ',' }), /--alpn needs protocol names/);
  await assert.rejects(run({ brokers: broker, servername: 'a b' }), /--servername must be a host name/);
});
