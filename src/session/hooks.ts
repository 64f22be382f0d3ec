import { toBuffer } from '../mqtt/payload.js';
import type { HookName, HookWatch } from './hook-watch.js';
import {
  callHook,
  hookError,
  type PayloadStream,
  type Workload,
  type WorkloadContext,
  type WorkloadRequest,
} from './workload.js';

/** What request() resolves to when the hook failed (the client fails with it): no response to send. */
export const HOOK_FAILED = Symbol('hook failed');

/**
 * A client's workload hooks, contained: every throw, rejection or hang becomes one failure report
 * for this client (`onFailure`), after which no further hook runs. The client's session then ends
 * as `failed`; every other client carries on.
 */
export class Hooks {
  private tickTimer: NodeJS.Timeout | null = null;
  private tornDown: Promise<void> | null = null;
  private ticking = false;
  private failed = false;

  constructor(
    private readonly workload: Workload,
    private readonly ctx: WorkloadContext,
    private readonly timeoutMs: number,
    private readonly onFailure: (err: Error) => void,
    /** Shows another thread which hook runs, should one block this thread for good. */
    private readonly watch: HookWatch,
  ) {}

  setup(): Promise<void> {
    return this.call('setup', () => this.workload.setup?.(this.ctx));
  }

  connected(info: { sessionPresent: boolean; reconnect: boolean }): Promise<void> {
    return this.call('onConnect', () => this.workload.onConnect?.(this.ctx, info));
  }

  /** Per message: not awaited, so a slow hook cannot pile messages up in memory; errors still count. */
  readonly message = (
    topic: string,
    payload: Buffer,
    packet: { qos: number; retain: boolean; dup: boolean; properties?: Record<string, unknown> },
  ): void => {
    const hook = this.workload.onMessage;
    if (!hook || this.failed) return;
    // Only the synchronous part is watched: its promise, if any, is not awaited.
    this.watch.enter();
    this.watch.running('onMessage', this.ctx.index);
    try {
      const result = hook(this.ctx, {
        topic,
        payload,
        qos: packet.qos,
        retain: packet.retain,
        dup: packet.dup,
        properties: packet.properties,
      });
      if (result instanceof Promise) result.catch((err: unknown) => this.fail('onMessage', err));
    } catch (err) {
      this.fail('onMessage', err);
    } finally {
      this.watch.leave();
    }
  };

  /**
   * A payload from the workload's `payload` function, on the publish path: synchronous, watched
   * like any hook. A throw, a promise or anything but a string or bytes fails the client, and
   * null tells its publisher to stop there rather than send something the user did not make.
   */
  readonly payload = (seq: number, stream: PayloadStream): Buffer | null => {
    const generate = this.workload.payload;
    if (!generate || this.failed) return null;
    this.watch.enter();
    this.watch.running('payload', this.ctx.index);
    try {
      const out: unknown = generate(this.ctx, seq, stream);
      if (typeof out === 'string' || out instanceof Uint8Array) return toBuffer(out);
      const got = out instanceof Promise ? 'a promise' : out === null ? 'null' : `a ${typeof out}`;
      throw new TypeError(`must return a string or a Uint8Array, synchronously (got ${got})`);
    } catch (err) {
      this.fail('payload', err);
      return null;
    } finally {
      this.watch.leave();
    }
  };
  /** The workload answers requests itself (session/responder.ts); else the built-in responder does. */
  get answersRequests(): boolean {
    return this.workload.onRequest !== undefined;
  }

  /** onRequest: what the hook returned or resolved to; HOOK_FAILED when it threw, rejected or hung (the client fails). */
  async request(request: WorkloadRequest): Promise<unknown> {
    const hook = this.workload.onRequest;
    if (!hook || this.failed) return HOOK_FAILED;
    let result: unknown;
    await this.call('onRequest', async () => {
      result = await hook(this.ctx, request);
      // Anything else is a mistake in the hook: the user should hear of it, not find responses missing.
      if (!(result === undefined || result === null || typeof result === 'string' || result instanceof Uint8Array))
        throw new TypeError(
          `must return a string, bytes, null (no response) or undefined (echo), not ${typeof result}`,
        );
    });
    return this.failed ? HOOK_FAILED : result;
  }

  startTicks(): void {
    const tick = this.workload.tick;
    if (!tick || this.tickTimer) return;
    this.tickTimer = setInterval(() => {
      if (this.ticking || this.failed) return;
      this.ticking = true;
      void this.call('tick', () => tick(this.ctx)).finally(() => (this.ticking = false));
    }, this.workload.tickMs ?? 1000);
  }

  stopTicks(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
  }

  /** Once: on the way out, while the client is still connected if it is. */
  teardown(): Promise<void> {
    this.stopTicks();
    this.tornDown ??= this.call('teardown', () => this.workload.teardown?.(this.ctx));
    return this.tornDown;
  }

  private async call(name: HookName, run: () => unknown): Promise<void> {
    if (this.failed) return;
    this.watch.enter();
    try {
      await callHook(
        name,
        () => {
          this.watch.running(name, this.ctx.index);
          return run();
        },
        this.timeoutMs,
      );
    } catch (err) {
      this.fail(name, err, false);
    } finally {
      this.watch.leave();
    }
  }

  private fail(name: string, err: unknown, wrap = true): void {
    if (this.failed) return;
    this.failed = true;
    this.stopTicks();
    const error = wrap ? hookError(name, err) : (err as Error);
    this.onFailure(error);
  }
}
