/**
 * The embedded broker's own process, so its CPU and memory stay out of the measured process
 * and its event loop never competes with the clients'. Controlled over IPC by the parent.
 */
import { serveAedes } from '../src/broker/aedes-server.js';
import type { BrokerChildMessage, BrokerParentMessage } from '../src/protocol.js';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 0);
const send = (message: BrokerChildMessage): void => {
  process.send?.(message);
};

// Ctrl-C (and a closed terminal's SIGHUP) reach the whole process group; the parent decides when
// we stop, after its clients left (and should it die, the IPC channel closing stops us below).
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});

try {
  const server = await serveAedes(host, port);
  const stop = async (): Promise<void> => {
    await server.close();
    process.disconnect?.();
    process.exitCode = 0;
  };
  process.on('message', (message: BrokerParentMessage) => {
    if (message.type === 'stop') void stop();
  });
  // Parent gone (crashed or killed): do not linger.
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  send({ type: 'listening', host: server.host, port: server.port });
} catch (err) {
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
}
