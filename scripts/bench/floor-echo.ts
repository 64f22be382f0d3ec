/**
 * The floor benchmark's echo server: one process, one event loop, every byte written back on the
 * connection it came in on. The stand-in for the broker, with nothing of MQTT: what is left of a
 * client's cost against it is Node's (sockets, timers, threads). Prints `{"port":N}` once
 * listening; exits when its stdin closes (the runner ended or died).
 *
 *   node dist/scripts/bench/floor-echo.js [--nagle]   # --nagle: Nagle on for its writes, as Mosquitto's default
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { nagle: { type: 'boolean', default: false } } });

// As the bench's Mosquitto (`set_tcp_nodelay true`): every echo its own segment, unless --nagle.
const server = createServer({ noDelay: !values.nagle }, (socket) => {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('echo server: no TCP address');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
