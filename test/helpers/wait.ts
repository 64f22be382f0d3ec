import { once, type EventEmitter } from 'node:events';

/** Every wait in the tests has a deadline: a hang fails with a message instead of timing out the file. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function onceWithin(emitter: EventEmitter, event: string, ms: number): Promise<unknown[]> {
  return withTimeout(once(emitter, event), ms, `'${event}'`);
}

/** Resolves when `check` first returns true; `check` runs on every `notify()`. */
export class Condition {
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  notify(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  until(check: () => boolean, ms: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return withTimeout(new Promise<void>((resolve) => this.waiters.push({ check, resolve })), ms, what);
  }
}
