import { statSync } from 'node:fs';

/**
 * Whether a bundle (`npm run build`) holds the code its entry module now has. `tsc` alone
 * rewrites every emitted module but not the bundles, and a thread or broker started from an
 * older bundle would run the code before the change, silently. Not older, rather than newer:
 * an npm tarball gives every file the same time, and the bundle beside its entry is then fresh.
 */
export function isFresh(bundle: string, entry: string): boolean {
  const made = statSync(bundle, { throwIfNoEntry: false });
  if (!made) return false;
  const written = statSync(entry, { throwIfNoEntry: false });
  return !written || made.mtimeMs >= written.mtimeMs;
}
