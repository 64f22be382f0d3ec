/**
 * `fn` over `items`, at most `limit` at once; results in the order of `items`.
 *
 * Independent waits in one test (CLI processes refusing bad input, a report beside a merge) overlap
 * instead of adding up. The limit keeps a burst of process start-ups from starving the test files
 * that run beside this one on a small machine.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, n: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const n = next++;
      results[n] = await fn(items[n]!, n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
