import { pathToFileURL } from 'node:url';
import { loadModule } from './module-loader.js';

/**
 * Custom per-client code (`--workload ./client.mjs`): a module whose exported hooks run inside
 * the client's own thread. Types ship with the package: `import type { Workload } from 'mqtt-fleet'`.
 */
export interface WorkloadContext {
  /** The client's index in the fleet, and its MQTT client id. */
  readonly index: number;
  readonly clientId: string;
  /** The worker thread this client runs on (0: the main thread, in single-loop mode). */
  readonly threadId: number;
  /** Scratch space of this client's own, kept across hooks. */
  readonly state: Record<string, unknown>;
  /** This client's settings. */
  readonly options: { qos: 0 | 1 | 2; size: number; rate: number; topic: string | null; subscriptions: string[] };
  /**
   * Publish through this client's connection. Counted in the run's `published` (and `acked` once
   * written, at QoS 0, or acknowledged); the payload goes out as given, so receivers count it as
   * foreign traffic rather than in their sequence accounting. Rejects if the client is offline.
   */
  publish(topic: string, payload: string | Uint8Array, options?: { qos?: 0 | 1 | 2; retain?: boolean }): Promise<void>;
  /** A log line through the main thread's logger (stderr), tagged with this client. */
  log(message: string): void;
}

export interface WorkloadMessage {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  dup: boolean;
  /** MQTT 5 properties (user properties, content type, ...); undefined with MQTT 3.1.1. */
  properties?: Record<string, unknown>;
}

/** Which stream a generated payload is for. */
export interface PayloadStream {
  readonly index: number;
  readonly topic: string;
}

/** A request (MQTT 5: a message with a response topic) that a responder group received. */
export interface WorkloadRequest extends WorkloadMessage {
  responseTopic: string;
  /** The requester's correlation data, echoed in the response; undefined if the request had none. */
  correlationData: Buffer | undefined;
}

/** A workload module's exports: plain functions, not methods (nothing of theirs needs `this`). */
export interface Workload {
  /** Once per client, in its thread, before it first connects. */
  setup?: (ctx: WorkloadContext) => unknown;
  /** After every successful (re)connect, once subscribed. */
  onConnect?: (ctx: WorkloadContext, info: { sessionPresent: boolean; reconnect: boolean }) => unknown;
  /** Every message this client receives (after mqtt-fleet has counted it). Not awaited: keep it quick, or use --threads per-client. */
  onMessage?: (ctx: WorkloadContext, message: WorkloadMessage) => unknown;
  /** Every `tickMs` (default 1000) while the client is online and the run is publishing; skipped while a previous tick is still running. */
  tick?: (ctx: WorkloadContext) => unknown;
  tickMs?: number;
  /** Once at the end, while still connected (if it is). */
  teardown?: (ctx: WorkloadContext) => unknown;
  /**
   * With `payload: '@workload'`: each message's payload, from its sequence number (from 0 per
   * stream) and the stream it is for (its index in the group's `publish` list, 0 for one, and its
   * topic). Called on the publish path, synchronously: return the bytes, not a promise.
   */
  payload?: (ctx: WorkloadContext, seq: number, stream: PayloadStream) => string | Uint8Array;

  /**
   * Request/response: every request a `respond` group receives. Return (or resolve to) the
   * response payload (a string or bytes), undefined for the built-in echo of the request's
   * payload, or null to send no response. Awaited per request, never one after another: a delay
   * here delays that response only.
   */
  onRequest?: (ctx: WorkloadContext, request: WorkloadRequest) => unknown;
}

/** Every hook a workload module may export (HOOK_NAMES in hook-watch.ts follows this order). */
export const HOOKS = ['setup', 'onConnect', 'onMessage', 'tick', 'teardown', 'payload', 'onRequest'] as const;

/** Load a workload module by absolute path; its exports (or default export) are the hooks. */
export async function loadWorkload(path: string): Promise<Workload> {
  const module = (await loadModule(pathToFileURL(path).href)) as Record<string, unknown>;
  const source = (typeof module.default === 'object' && module.default !== null ? module.default : module) as Record<
    string,
    unknown
  >;
  const workload: Workload = {};
  for (const hook of HOOKS) {
    const fn = source[hook];
    if (fn === undefined) continue;
    if (typeof fn !== 'function') throw new TypeError(`workload ${path}: ${hook} must be a function`);
    (workload as Record<string, unknown>)[hook] = fn;
  }
  if (source.tickMs !== undefined) {
    if (typeof source.tickMs !== 'number' || !(source.tickMs >= 10))
      throw new TypeError(`workload ${path}: tickMs must be a number >= 10`);
    workload.tickMs = source.tickMs;
  }
  return workload;
}

/** Run a hook; a throw, a rejection or a hang past `timeoutMs` becomes a rejection naming the hook. */
export async function callHook(name: string, run: () => unknown, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(run),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw hookError(name, err);
  } finally {
    clearTimeout(timer);
  }
}

/** A hook's failure as the client's error: which hook, and what it threw. */
export function hookError(name: string, err: unknown): Error {
  return Object.assign(new Error(`workload ${name} failed: ${err instanceof Error ? err.message : String(err)}`), {
    code: 'WORKLOAD_HOOK',
  });
}
