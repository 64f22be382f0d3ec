import { readFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { UsageError } from '../errors.js';
import { fleetThreads, publishStreams, type GroupProfile } from '../group.js';
import type { ResolvedOptions } from './index.js';
import { largestPayload } from './packet-limits.js';
import { maskUrl } from '../mqtt/broker-url.js';
import { at } from '../mqtt/checked.js';

/**
 * Measured on a 2-core, 24 GiB machine with the code-cached bundle (bench W6): 1,000 threads, each
 * with its client connected, took 10.1 GB of RSS in all, 20 took 322 MB (about 10 MB a thread;
 * a bare Node worker takes 7.7-8.4 MB: bench FLOOR). Rounded up.
 */
export const RSS_PER_THREAD_MB = 11;
const RESERVE_MB = 2048;
/** A connection on a pool or the main loop: 40-50 KB measured (README, "One machine, as far as it goes"). */
const BYTES_PER_CONNECTION = 50 * 1024;
/**
 * Per worker thread, besides its connections: its event loop's epoll, its wakeup eventfd and a
 * pipe pair (measured with Node 20: 20 idle workers opened 80 descriptors).
 */
const FDS_PER_THREAD = 4;
/** Descriptors the process holds anyway: stdio, the main loop, the embedded broker's pipe, logs. */
const FDS_RESERVE = 64;

/** Open files a process needs for this many connections and worker threads: the one calculation. */
function filesNeeded(connections: number, threads: number): number {
  return connections + threads * FDS_PER_THREAD + FDS_RESERVE;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The groups as this process runs them: with --shard, only the clients whose index modulo N is
 * I, and no more threads than those clients; `perBroker`, how many of them connect to each of
 * the group's brokers (round-robin by index in the group). Counted, never listed: a limit must
 * be checked before anything is allocated per client.
 */
function localGroups(options: ResolvedOptions): (GroupProfile & { perBroker: number[] })[] {
  const shards = options.shard?.count ?? 1;
  const index = options.shard?.index ?? 0;
  return options.groups.map((g) => {
    // The group's n-th client (fleet index first + n) runs here when n is r, r + N, r + 2N, ...
    const r = (((index - g.first) % shards) + shards) % shards;
    const local = r < g.count ? Math.floor((g.count - 1 - r) / shards) + 1 : 0;
    // Its broker, (r + kN) mod B, repeats every B / gcd(N, B) steps of k.
    const brokers = Math.max(1, g.brokers.length);
    const period = brokers / gcd(shards, brokers);
    const perBroker = new Array<number>(brokers).fill(0);
    for (let k = 0; k < Math.min(period, local); k++) {
      const b = (r + k * shards) % brokers;
      perBroker[b] = at(perBroker, b) + Math.floor((local - 1 - k) / period) + 1;
    }
    return { ...g, perBroker, count: local, threads: Math.min(g.threads, local) };
  });
}

/** This process's open-files soft limit, from /proc (Linux); undefined where unknown. */
export function openFilesLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match && match[1] !== 'unlimited' ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** How many client threads this machine can hold now, and what bounds it. */
export function threadCapacity(): { threads: number; bound: string } {
  const byMemory = Math.floor((freemem() / 2 ** 20 - RESERVE_MB) / RSS_PER_THREAD_MB);
  const fds = openFilesLimit();
  // A thread per client: filesNeeded(n, n) <= fds.
  const byFds = fds === undefined ? Infinity : Math.floor((fds - FDS_RESERVE) / (FDS_PER_THREAD + 1));
  return byFds < byMemory
    ? {
        threads: Math.max(0, byFds),
        bound: `open-files limit ${fds}, ${FDS_PER_THREAD + 1} per thread with its connection`,
      }
    : {
        threads: Math.max(0, byMemory),
        bound: `${Math.round(freemem() / 2 ** 30)} GB available, about ${RSS_PER_THREAD_MB} MB per thread`,
      };
}

/** Refuse up front a thread-per-client run the machine cannot hold, rather than fail midway. */
export function checkThreadPerClient(options: ResolvedOptions, capacity = threadCapacity()): void {
  const groups = localGroups(options);
  const needed = fleetThreads(groups);
  if (groups.every((g) => g.mode !== 'thread-per-client') || needed <= capacity.threads) return;
  const clients = groups.reduce((n, g) => n + g.count, 0);
  throw new UsageError(
    '--threads',
    `--threads per-client with ${clients} clients${options.shard ? ' in this shard' : ''} needs ${needed} worker threads; this machine holds about ${capacity.threads} (${capacity.bound}): use a pool, --threads ${availableParallelism()}, or one loop, --threads 0`,
  );
}

/** The ephemeral port range connections come from (Linux), or the usual default. */
export function ephemeralPorts(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > 0 && high >= low) return high - low + 1;
  } catch {
    // not Linux: fall through
  }
  return 28_232;
}

/**
 * Refuse up front a run this process cannot hold open: more sockets and threads than its
 * open-files limit, or more connections to one broker than one source address has ports.
 */
export function checkSocketLimits(
  options: ResolvedOptions,
  limits = { openFiles: openFilesLimit(), ports: ephemeralPorts() },
): void {
  const groups = localGroups(options);
  const perBroker = new Map<string, number>();
  let clients = 0;
  for (const g of groups) {
    clients += g.count;
    g.perBroker.forEach((count, b) => {
      const url = g.brokers.length === 0 ? 'the embedded broker' : maskUrl(at(g.brokers, b).url);
      perBroker.set(url, (perBroker.get(url) ?? 0) + count);
    });
  }
  const threads = fleetThreads(groups);
  const needed = filesNeeded(clients, threads);
  if (limits.openFiles !== undefined && needed > limits.openFiles) {
    throw new UsageError(
      '--clients',
      `this run needs about ${needed} open files (${clients} connections, ${threads} threads) but this process may open ${limits.openFiles}: raise the limit (ulimit -n ${needed}), or split the fleet over processes with --shard I/N; the broker needs as many (Mosquitto: max_connections, and its own ulimit -n)`,
    );
  }
  const sources = Math.max(1, options.localAddresses.length);
  for (const [url, count] of perBroker) {
    if (count / sources > limits.ports) {
      throw new UsageError(
        '--local-address',
        `${count} connections to ${url} from ${sources === 1 ? 'one source address' : `${sources} source addresses`} need more than the ${limits.ports} ephemeral ports each has: spread them with --local-address (e.g. 127.0.1.0/24 for a loopback broker), or over more brokers`,
      );
    }
  }
}

/**
 * Refuse up front a run whose payloads and connections would not fit in memory (an abort for
 * want of memory midway is no result). Each publisher holds its payload and the messages it has
 * not yet had acknowledged (QoS 1/2: up to --max-inflight; QoS 0: the one being written); each
 * subscriber a message being received and its copy; the embedded broker each message in
 * transit, twice; each connection about 50 KB, each thread its RSS_PER_THREAD_MB. Measured: one client publishing and receiving 268 MB at QoS 1 peaked
 * at 1.1 GB of RSS, about four payloads and the process.
 */
export function checkMemory(options: ResolvedOptions, availableBytes = freemem()): void {
  const groups = localGroups(options);
  const incoming = Math.max(0, ...options.groups.map(largestPayload));
  let payloads = 0;
  let rest = 0;
  for (const g of groups) {
    for (const publish of publishStreams(g)) {
      const held = publish.qos === 0 ? 1 : Math.min(options.maxInflight, publish.count ?? options.maxInflight);
      // The embedded broker is ours too: it holds each message in transit, received and forwarded.
      payloads += g.count * largestPayload(g) * (1 + held + (options.embeddedBroker ? 2 : 0));
    }
    if (g.subscriptions.length > 0) payloads += g.count * incoming * 2;
    rest += g.mode === 'thread-per-client' ? g.count * RSS_PER_THREAD_MB * 2 ** 20 : g.count * BYTES_PER_CONNECTION;
  }
  const available = availableBytes - RESERVE_MB * 2 ** 20;
  if (payloads + rest <= available) return;
  const clients = groups.reduce((n, g) => n + g.count, 0);
  const gb = (bytes: number): string => `${Number((bytes / 2 ** 30).toFixed(1))} GB`;
  const option = payloads > rest ? '--size' : '--clients';
  throw new UsageError(
    option,
    `${option}: ${clients} clients${options.shard ? ' in this shard' : ''} need about ${gb(payloads + rest)} of memory, ${gb(payloads)} of it for payloads of up to ${incoming} bytes (each publisher holds its payload and its unacknowledged messages, up to --max-inflight at QoS 1/2; each subscriber one being received${options.embeddedBroker ? '; the embedded broker each one in transit' : ''}), and this machine has ${gb(Math.max(0, available))} to spare: lower --size, --clients or --max-inflight, or split the fleet with --shard`,
  );
}

/** Every machine-limit check, in the order that gives the most useful message: threads, files and ports, memory. */
export function checkMachineLimits(options: ResolvedOptions): void {
  checkThreadPerClient(options);
  checkSocketLimits(options);
  checkMemory(options);
}
