/**
 * Checks for what holds by construction, so that a broken invariant fails loudly, naming what
 * broke, instead of passing `undefined` on. Imports nothing of ours: every layer may use it.
 */

/** A broken invariant of mqtt-fleet itself: a bug, never bad input or a broker's doing. */
export class InternalError extends Error {
  override readonly name = 'InternalError';
}

/**
 * `list[index]` where the index is valid by construction (a loop bound, a pair in a flattened
 * list, a fixed-size table): throws an InternalError if it is not. Elements may not be
 * `undefined`, so "absent" and "present" cannot be confused.
 */
export function at<T extends NonNullable<unknown> | null>(list: ArrayLike<T>, index: number): T {
  const value = list[index];
  if (value === undefined) throw new InternalError(`index ${index} is outside a list of ${list.length}`);
  return value;
}

/** `map.get(key)` where the key is present by construction: throws an InternalError if it is not. */
export function known<K, V extends NonNullable<unknown> | null>(map: ReadonlyMap<K, V>, key: K): V {
  const value = map.get(key);
  if (value === undefined) throw new InternalError(`no entry for ${String(key)}`);
  return value;
}
