import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

export interface AedesServer {
  readonly host: string;
  readonly port: number;
  readonly broker: Aedes;
  close(): Promise<void>;
}

/** An Aedes broker on a TCP listener; port 0 picks a free port. */
export async function serveAedes(host: string, port: number, options: AedesOptions = {}): Promise<AedesServer> {
  const broker = await Aedes.createBroker(options);
  // Nagle's algorithm would add up to 40 ms to every small message's latency.
  const server: Server = createServer({ noDelay: true }, broker.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // The broker's timers would keep the process alive for ever (`broker --port <taken>` never exited).
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;
  return {
    host: address.address,
    port: address.port,
    broker,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close();
        broker.close(() => resolve());
      });
      return closing;
    },
  };
}
