import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isFresh } from '../hosts/bundled.js';
import type { BrokerChildMessage, BrokerParentMessage } from '../protocol.js';

const BUNDLE = fileURLToPath(new URL('../../workers/broker-process.bundle.mjs', import.meta.url));
const PLAIN = fileURLToPath(new URL('../../workers/broker-process.js', import.meta.url));
/** Without a fresh bundle (no `npm run build` since `tsc`), the plain module: slower to start, the same code. */
const ENTRY = isFresh(BUNDLE, PLAIN) ? BUNDLE : PLAIN;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface EmbeddedBroker {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Start the embedded Aedes broker in a child process on `host:port` (0 = a free port). */
export async function startBroker(options: { host?: string; port?: number } = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const child = fork(ENTRY, [host, String(port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  const address = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`embedded broker did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`embedded broker exited with code ${code} before listening`)));
    child.on('message', (message: BrokerChildMessage) => {
      if (message.type === 'failed')
        return fail(new Error(`embedded broker could not listen on ${host}:${port}: ${message.message}`));
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      resolve({ host: message.host, port: message.port });
    });
  });
  let stopping: Promise<void> | null = null;
  return {
    url: `mqtt://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`,
    host: address.host,
    port: address.port,
    pid: child.pid!,
    stop: () => (stopping ??= stopChild(child)),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop: BrokerParentMessage = { type: 'stop' };
  if (child.connected) child.send(stop);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
