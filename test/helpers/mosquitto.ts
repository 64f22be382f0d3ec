import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { withTimeout } from './wait.js';

const START_TIMEOUT_MS = 10_000;
/** Debian installs it in /usr/sbin, which is not on every user's PATH. */
const BINARY = process.env.MOSQUITTO ?? (existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto');

/**
 * A real Mosquitto on a free loopback port with a config of our own, so tests can kill it,
 * pause it and start it again on the same port. Its log (stderr) is kept for assertions.
 */
export class Mosquitto {
  private child: ChildProcess | null = null;
  readonly log: string[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'mqtt-fleet-mosquitto-'));
  private readonly conf = join(this.dir, 'mosquitto.conf');

  private constructor(
    readonly port: number,
    extraConfig: string,
    verbose: boolean,
    persistent: boolean,
  ) {
    writeFileSync(
      this.conf,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'log_dest stderr',
        // Every packet logged, for assertions; benchmarks keep the broker quiet instead.
        ...(verbose
          ? ['log_type all']
          : ['log_type error', 'log_type warning', 'log_type notice', 'log_type information']),
        'connection_messages true',
        'log_timestamp false',
        // Started as root it would switch to user mosquitto, which cannot write our temp dir.
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        // Persistent: its state survives a SIGTERM and restart, in our temp dir.
        ...(persistent ? ['persistence true', `persistence_location ${this.dir}/`] : ['persistence false']),
        'max_queued_messages 100000',
        extraConfig,
      ].join('\n'),
    );
  }

  static async start(extraConfig = '', options: { verbose?: boolean; persistent?: boolean } = {}): Promise<Mosquitto> {
    // Test files run side by side: another one may take the free port before Mosquitto binds it.
    for (let attempt = 1; ; attempt++) {
      const broker = new Mosquitto(await freePort(), extraConfig, options.verbose ?? true, options.persistent ?? false);
      try {
        await broker.restart();
        return broker;
      } catch (err) {
        rmSync(broker.dir, { recursive: true, force: true });
        if (attempt === 3 || !broker.log.some((line) => line.includes('Address already in use'))) throw err;
      }
    }
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Start (again) on the same port; resolves once it reports it is running. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('mosquitto is already running');
    const child = spawn(BINARY, ['-c', this.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let buffered = '';
    const started = new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          this.log.push(line);
          if (/mosquitto version .* running/.test(line)) resolve();
        }
      });
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        reject(
          new Error(`mosquitto exited (${code ?? signal}) before it was running: ${this.log.slice(-5).join(' | ')}`),
        );
      });
    });
    started.catch(() => {});
    await withTimeout(started, START_TIMEOUT_MS, `mosquitto to start on port ${this.port}`);
  }

  /** Send a signal and, unless it only pauses or resumes, wait until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      child.kill(signal);
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await withTimeout(exited, 10_000, `mosquitto to exit on ${signal}`);
    this.child = null;
  }

  /**
   * The ids among `clientIds` that the broker logged no DISCONNECT packet from (verbose logging
   * only): an empty list means every one of them left cleanly. Matches the whole id, so client 1
   * is not vouched for by client 10's DISCONNECT.
   */
  withoutDisconnect(clientIds: string[]): string[] {
    const disconnected = new Set(
      this.log.map((line) => /^Received DISCONNECT from (\S+)$/.exec(line)?.[1]).filter((id) => id !== undefined),
    );
    return clientIds.filter((id) => !disconnected.has(id));
  }

  /** Log lines about one client id. */
  linesAbout(clientId: string): string[] {
    return this.log.filter((line) => line.includes(clientId));
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
