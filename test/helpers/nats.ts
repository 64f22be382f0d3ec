import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { withTimeout } from './wait.js';

const BINARY =
  process.env.NATS_SERVER ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');

/** A NATS server with JetStream and its MQTT listener on free loopback ports, in a temp dir. */
export class NatsServer {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'mqtt-fleet-nats-'));
  readonly log: string[] = [];

  private constructor(readonly mqttPort: number) {}

  static async start(): Promise<NatsServer> {
    const server = new NatsServer(await freePort());
    const conf = join(server.dir, 'nats.conf');
    writeFileSync(
      conf,
      [
        'server_name: mqtt_fleet_test',
        `listen: 127.0.0.1:${await freePort()}`,
        `jetstream { store_dir: "${join(server.dir, 'js')}" }`,
        `mqtt { listen: 127.0.0.1:${server.mqttPort} }`,
      ].join('\n'),
    );
    const child = spawn(BINARY, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    server.child = child;
    let buffered = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        server.log.push(...lines);
        if (lines.some((l) => l.includes('Server is ready'))) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`nats-server exited (${code}): ${server.log.slice(-3).join(' | ')}`)),
      );
    });
    ready.catch(() => {});
    await withTimeout(ready, 15_000, 'nats-server to be ready');
    return server;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await withTimeout(exited, 10_000, 'nats-server to exit');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
