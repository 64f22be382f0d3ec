import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh directory under the system temp dir, removed with everything in it when the test ends. */
export function tempDir(t: TestContext, label = 'test'): string {
  const dir = mkdtempSync(join(tmpdir(), `mqtt-fleet-${label}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file holding `text`, in a fresh temp dir removed when the test ends; returns its path. */
export function tempFile(t: TestContext, name: string, text: string, label = 'test'): string {
  const path = join(tempDir(t, label), name);
  writeFileSync(path, text);
  return path;
}
