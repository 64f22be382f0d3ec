/**
 * Epoch milliseconds with sub-microsecond resolution. Worker threads share the main thread's
 * timeOrigin, so stamps from different threads (and processes on one host) compare directly.
 */
const origin = performance.timeOrigin;
export const now = (): number => origin + performance.now();
