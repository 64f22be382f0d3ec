import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { UsageError } from '../errors.js';
import { checkOptionFile } from './files.js';
import { MQTT_REMAINING_MAX } from './packet-limits.js';

/** `payload: '@file:samples/*.json'`: the payload comes from files, round-robin. */
export const FILE_PREFIX = '@file:';
/** `payload: '@workload'`: the payload comes from the workload module's `payload(ctx, seq, stream)`. */
export const GENERATOR = '@workload';

/** Enough for any sample set; every lane holds every file of its group in memory. */
const MAX_FILES = 4096;

/** A payload file set: absolute paths in name order (the round-robin order), and the largest's size. */
export interface PayloadFiles {
  files: string[];
  largest: number;
}

/**
 * Expand `@file:PATTERN` (relative to `dir`) into the files it names, each checked now (a regular,
 * readable file that fits one MQTT packet), so a pattern that matches nothing or a file that
 * cannot be read stops the run before it starts, not in every client. `*` and `?` may stand in the
 * file name only: a sample set is one folder, and a name order is the round-robin order.
 */
export function payloadFiles(option: string, value: string, dir: string): PayloadFiles {
  const pattern = value.slice(FILE_PREFIX.length);
  if (pattern === '') throw new UsageError(option, `${option}: ${FILE_PREFIX} needs a file or a pattern after it`);
  const absolute = resolvePath(dir, pattern);
  const folder = dirname(absolute);
  const name = basename(absolute);
  if (/[*?[\]{}]/.test(folder))
    throw new UsageError(
      option,
      `${option}: ${JSON.stringify(value)} has a wildcard in a folder name; only the file name may have * or ?`,
    );
  if (/[[\]{}]/.test(name))
    throw new UsageError(option, `${option}: ${JSON.stringify(value)}: only * and ? are wildcards here`);
  let files: string[];
  if (!/[*?]/.test(name)) files = [absolute];
  else {
    const match = new RegExp(
      `^${name
        .replace(/[.+^$()|\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      's',
    );
    let entries: string[];
    try {
      entries = readdirSync(folder);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new UsageError(option, `${option}: ${JSON.stringify(value)}: cannot read the folder (${code})`);
    }
    // Hidden files only when the pattern asks for them, as a shell glob does.
    files = entries
      .filter((e) => match.test(e) && (name.startsWith('.') || !e.startsWith('.')))
      .sort()
      .map((e) => resolvePath(folder, e))
      .filter((f) => statSync(f, { throwIfNoEntry: false })?.isDirectory() !== true);
    if (files.length === 0) throw new UsageError(option, `${option}: ${JSON.stringify(value)} matches no file`);
  }
  if (files.length > MAX_FILES)
    throw new UsageError(
      option,
      `${option}: ${JSON.stringify(value)} matches ${files.length} files; at most ${MAX_FILES}`,
    );
  let largest = 0;
  for (const file of files) {
    // A regular, readable file that one PUBLISH can carry; the message names the file.
    checkOptionFile(option, file, MQTT_REMAINING_MAX);
    largest = Math.max(largest, statSync(file).size);
  }
  return { files, largest };
}
