import type { TestContext } from 'node:test';
import type { AedesOptions } from 'aedes';
import { serveAedes, type AedesServer } from '../../src/broker/aedes-server.js';

/** An in-process Aedes on a free loopback port, closed when the test ends. */
export async function aedesForTest(t: TestContext, options: AedesOptions = {}): Promise<AedesServer & { url: string }> {
  const server = await serveAedes('127.0.0.1', 0, options);
  t.after(() => server.close());
  return Object.assign(server, { url: `mqtt://127.0.0.1:${server.port}` });
}
