import { accessSync, closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { UsageError } from '../errors.js';
import { CREDENTIALS_LIMIT } from '../session/credentials.js';

const MIB = 1024 * 1024;

/**
 * The most each kind of input file may hold (README, "Bounds"): a certificate, key or password
 * is a few KB, a CSV of credentials room for a million clients, a scenario a few hundred lines, a workload a bundled module; a run's NDJSON for
 * `report` or a result for `merge` can be large, but each must fit one string.
 */
export const FILE_LIMITS = {
  pem: MIB,
  password: MIB,
  credentials: CREDENTIALS_LIMIT,
  scenario: 4 * MIB,
  workload: 16 * MIB,
  runData: 256 * MIB,
} as const;

function sizeText(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

function cannotRead(option: string, path: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
  return new UsageError(option, `${option}: cannot read ${JSON.stringify(path)} (${code})`);
}

/**
 * Open `path` for reading, refusing what cannot be an option file before a byte is read: a
 * directory, a device (`/dev/zero` never ends), a FIFO (opened without blocking, so one without
 * a writer cannot hang us), or a file larger than `limit`. Returns the descriptor and its size.
 */
function openOptionFile(option: string, path: string, limit: number): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw cannotRead(option, path, err);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new UsageError(option, `${option}: cannot read ${JSON.stringify(path)} (EISDIR)`);
    if (!stat.isFile()) throw new UsageError(option, `${option}: ${JSON.stringify(path)} is not a regular file`);
    if (stat.size > limit)
      throw new UsageError(
        option,
        `${option}: ${JSON.stringify(path)} is ${stat.size} bytes, over the ${sizeText(limit)} limit`,
      );
    return { fd, size: stat.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** A readable regular file of at most `limit` bytes (a workload module, imported later by the workers). */
export function checkOptionFile(option: string, path: string, limit: number): void {
  closeSync(openOptionFile(option, path, limit).fd);
}

/**
 * A file's contents, read once, up front: for an option (certificates, a password, a scenario)
 * or a command's input (`report`, `merge`), at most `limit` bytes. The one "cannot read"
 * message, naming `option`.
 */
export function readOptionFile(option: string, path: string, limit: number): string {
  const { fd, size } = openOptionFile(option, path, limit);
  try {
    // One byte more than allowed: a file growing while we read is refused too, not cut short.
    const buffer = Buffer.alloc(Math.min(size, limit) + 1);
    let length = 0;
    for (let n; length < buffer.length && (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0;)
      length += n;
    if (length > limit)
      throw new UsageError(option, `${option}: ${JSON.stringify(path)} is over the ${sizeText(limit)} limit`);
    return buffer.toString('utf8', 0, length);
  } catch (err) {
    throw err instanceof UsageError ? err : cannotRead(option, path, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * A file this command will write, checked now rather than after the run: not a directory, and
 * writable, or creatable in an existing, writable directory. `label` names it in the message
 * (`--out csv`). Returns the absolute path.
 */
export function checkOutputFile(option: string, path: string, label = option): string {
  const absolute = resolvePath(path);
  const where = existsSync(absolute) ? absolute : dirname(absolute);
  if (where !== absolute) {
    if (!existsSync(where))
      throw new UsageError(option, `${label}: no such directory ${JSON.stringify(dirname(path))}`);
    if (!statSync(where).isDirectory())
      throw new UsageError(option, `${label}: ${JSON.stringify(dirname(path))} is not a directory`);
  } else if (statSync(absolute).isDirectory()) {
    throw new UsageError(option, `${label}: ${JSON.stringify(path)} is a directory; name a file`);
  }
  try {
    accessSync(where, constants.W_OK);
  } catch (err) {
    throw new UsageError(
      option,
      `${label}: cannot write ${JSON.stringify(path)} (${(err as NodeJS.ErrnoException).code ?? 'not writable'})`,
    );
  }
  return absolute;
}
