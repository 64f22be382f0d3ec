/**
 * 50,000 concurrent MQTT connections on one machine whose open-files limit (20,000 per process
 * here) no single process may pass: the fleet runs as several shard processes (pool mode), each
 * under the limit, against as many Mosquitto instances, each under it too. Client i uses broker
 * i mod B and runs in shard i mod S, so with S = B every shard talks to one broker.
 *
 *   node dist/scripts/bench/connections.js                      # 50,000 clients, 3 shards, 3 brokers
 *   node dist/scripts/bench/connections.js --clients 20000 --shards 2
 *
 * All shards hold their connections until a common --start-at, when every client publishes one
 * message; just before it, the script counts the connections established on the brokers' ports.
 * stdout: one JSON line; stderr: progress and a Markdown table.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mergeResults } from '../../src/shard/merge.js';
import type { ShardResult } from '../../src/shard/result.js';
import { Mosquitto } from '../../test/helpers/mosquitto.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '50000' },
    shards: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    'connect-budget': { type: 'string', default: '120' },
  },
});
const clients = Number(values.clients);
const shards = Number(values.shards);
const log = (text: string): void => void process.stderr.write(`${text}\n`);
const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const brokers = await Promise.all(
  Array.from({ length: shards }, () =>
    Mosquitto.start('max_connections -1\nmax_queued_messages 0', { verbose: false }),
  ),
);
// Whatever happens below, the brokers this script started are stopped.
process.on('exit', () => brokers.forEach((b) => b.pid && process.kill(b.pid, 'SIGKILL')));
const dir = mkdtempSync(join(tmpdir(), 'mqtt-fleet-50k-'));
const started = Date.now();
const startAt = new Date(started + Number(values['connect-budget']) * 1000);
log(
  `${clients} clients in ${shards} shard processes against ${shards} Mosquittos; publishing at ${startAt.toISOString()}`,
);

interface Shard {
  pid: number;
  connected: number;
  allConnectedAt: number;
  exit: Promise<number | null>;
}
const running: Shard[] = Array.from({ length: shards }, (_, i) => {
  const args = [
    'run',
    '--shard',
    `${i}/${shards}`,
    '--run-id',
    'conn50k',
    '-c',
    String(clients),
    '--threads',
    values.threads,
    '--count',
    '1',
    '--rate',
    '1',
  ];
  args.push(
    '--sub-topic',
    '',
    '--start-at',
    startAt.toISOString(),
    '--stats-interval',
    '500ms',
    '--json',
    '--log-level',
    'warn',
    '--out',
    `result=${join(dir, `shard-${i}.json`)}`,
  );
  for (const b of brokers) args.push('-b', b.url);
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const shard: Shard = {
    pid: child.pid!,
    connected: 0,
    allConnectedAt: 0,
    exit: new Promise((resolve) => child.on('exit', resolve)),
  };
  const mine = Array.from({ length: clients }, (_, n) => n).filter((n) => n % shards === i).length;
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{"type":"stats"')) continue;
      shard.connected = (JSON.parse(line) as { connected: number }).connected;
      if (shard.connected === mine && shard.allConnectedAt === 0) shard.allConnectedAt = Date.now();
    }
  });
  return shard;
});

// Sample just before the common start: every shard holds all its connections then.
await new Promise<void>((resolve) => setTimeout(resolve, startAt.getTime() - Date.now() - 1500));
const ports = brokers.map((b) => b.port);
const established = execFileSync('ss', ['-Htn', 'state', 'established'], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
})
  .split('\n')
  .filter((l) => ports.some((p) => l.split(/\s+/)[2]?.endsWith(`:${p}`))).length;
const sample = {
  atMs: Date.now() - started,
  connected: running.reduce((n, s) => n + s.connected, 0),
  established,
  clientRssMb: running.map((s) => Math.round(rssMb(s.pid))),
  brokerRssMb: brokers.map((b) => Math.round(rssMb(b.pid!))),
};
log(
  `before the start: ${sample.connected} clients connected by their own count, ${sample.established} connections established on the brokers' ports`,
);
const codes = await Promise.all(running.map((s) => s.exit));
const results = Array.from(
  { length: shards },
  (_, i) => JSON.parse(readFileSync(join(dir, `shard-${i}.json`), 'utf8')) as ShardResult,
);
const { summary } = mergeResults(results);
await Promise.all(brokers.map((b) => b.stop()));
rmSync(dir, { recursive: true, force: true });

const allConnectedMs = Math.max(...running.map((s) => s.allConnectedAt)) - started;
const out = {
  type: 'connections',
  clients,
  shards,
  brokers: shards,
  exitCodes: codes,
  concurrent: { clientsConnected: sample.connected, establishedOnBrokers: sample.established },
  allConnectedMs,
  connectMsPerShard: results.map((r) => r.connectMs),
  clientRssMb: sample.clientRssMb,
  clientRssKbPerConnection: Math.round((sample.clientRssMb.reduce((a, b) => a + b, 0) * 1024) / clients),
  brokerRssMb: sample.brokerRssMb,
  brokerRssKbPerConnection: Math.round((sample.brokerRssMb.reduce((a, b) => a + b, 0) * 10240) / clients) / 10,
  merged: {
    connected: summary.connected,
    gaveUp: summary.gaveUp,
    published: summary.published,
    received: summary.received,
    lost: summary.lost,
  },
};
process.stdout.write(`${JSON.stringify(out)}\n`);
log('');
log(
  '| clients | shard processes x Mosquittos | connected at once | all connected after | connect time per shard | RSS per connection, mqtt-fleet | RSS per connection, Mosquitto |',
);
log('| ---: | ---: | ---: | ---: | --- | ---: | ---: |');
log(
  `| ${clients.toLocaleString('en-US')} | ${shards} x ${shards} | ${sample.connected.toLocaleString('en-US')} (${sample.established.toLocaleString('en-US')} sockets on the brokers) | ${(allConnectedMs / 1000).toFixed(1)} s | ${out.connectMsPerShard.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')} | ${out.clientRssKbPerConnection} KB | ${out.brokerRssKbPerConnection} KB |`,
);
process.exitCode = codes.every((c) => c === 0) ? 0 : 1;
