/**
 * A CSV file of credentials (--credentials, a scenario's `credentials:`), read in chunks: the
 * main thread checks it before anything connects and notes where each of its clients' rows
 * starts (a byte offset); each lane then reads only its own clients' rows from there, so a
 * fleet's identities never sit in every thread's memory, and a thread per client reads one row,
 * not the file. Here, below the options layer, because the lanes read it too.
 *
 * The format (RFC 4180): a header row naming the columns, `username` and `password` at least
 * (any order, any case; other columns are ignored); fields may be quoted, with `""` for a quote,
 * and a quoted field may hold commas and line breaks; empty lines are skipped. With a `clientId`
 * column each client takes the (first) row of its id; without one, data row n (0-based, after
 * the header) is client n of its group ({n}; in a plain run, client {i}).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** The largest credentials file: a million clients with room for long names and passwords. */
export const CREDENTIALS_LIMIT = 256 * 1024 * 1024;
/** Read this much at a time; a record longer than that grows the buffer. */
const CHUNK_BYTES = 64 * 1024;

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/** A client's user name and password from the file; an empty field is left out (the run's own is used). */
export interface Credential {
  username?: string;
  password?: string;
}

/** Who a row may be for. */
export interface CredentialClient {
  /** Index in the fleet. */
  index: number;
  /** Index within the group: the data row of a file without a clientId column. */
  n: number;
  clientId: string;
}

/** What is wrong with the file, at a line where there is one; the caller names the option and the file. */
export class CredentialsError extends Error {
  constructor(
    message: string,
    readonly line: number | null = null,
  ) {
    super(line === null ? message : `line ${line}: ${message}`);
  }
}

interface CsvRecord {
  /** The line the record starts on, 1-based (counted from where reading started). */
  line: number;
  /** The byte offset in the file where the record starts. */
  offset: number;
  fields: string[];
}

/**
 * Parse one record of `buf` from `from`: its fields, where the next one starts, and the line
 * breaks it holds; null when the buffer ends inside it and more may follow. Bytes, not text:
 * the four bytes that matter are ASCII, never part of a UTF-8 sequence, and each field is
 * decoded on its own (a string of its own, not a slice keeping a chunk alive).
 */
function parseRecord(
  buf: Buffer,
  from: number,
  eof: boolean,
  line: number,
): { fields: string[]; next: number; breaks: number } | null {
  const fields: string[] = [];
  let i = from;
  let breaks = 0;
  for (;;) {
    if (buf[i] === QUOTE) {
      const parts: Buffer[] = [];
      let seg = i + 1;
      for (;;) {
        const q = buf.indexOf(QUOTE, seg);
        if (q < 0) {
          if (eof) throw new CredentialsError('a quoted field is never closed', line);
          return null;
        }
        if (q + 1 >= buf.length && !eof) return null;
        if (buf[q + 1] === QUOTE) {
          parts.push(buf.subarray(seg, q + 1));
          seg = q + 2;
          continue;
        }
        parts.push(buf.subarray(seg, q));
        i = q + 1;
        break;
      }
      const field = Buffer.concat(parts);
      for (let at = field.indexOf(LF); at >= 0; at = field.indexOf(LF, at + 1)) breaks++;
      fields.push(field.toString('utf8'));
      const c = buf[i];
      if (i < buf.length && c !== COMMA && c !== CR && c !== LF)
        throw new CredentialsError('a quote inside a quoted field must be doubled ("")', line + breaks);
    } else {
      let k = i;
      while (k < buf.length && buf[k] !== COMMA && buf[k] !== CR && buf[k] !== LF) {
        if (buf[k] === QUOTE)
          throw new CredentialsError('a quote inside an unquoted field (quote the whole field)', line + breaks);
        k++;
      }
      if (k >= buf.length && !eof) return null;
      fields.push(buf.toString('utf8', i, k));
      i = k;
    }
    if (i >= buf.length) return { fields, next: i, breaks };
    if (buf[i] === COMMA) {
      i++;
      continue;
    }
    // CRLF, LF or a lone CR ends the record; a CR at the end of the buffer may be half a CRLF.
    if (buf[i] === CR && i + 1 >= buf.length && !eof) return null;
    const next = buf[i] === CR && buf[i + 1] === LF ? i + 2 : i + 1;
    return { fields, next, breaks: breaks + 1 };
  }
}

function openCsv(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CredentialsError(code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? 'unreadable'})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new CredentialsError('is not a regular file');
    if (stat.size > CREDENTIALS_LIMIT)
      throw new CredentialsError(`is ${stat.size} bytes, over the ${CREDENTIALS_LIMIT / 1024 / 1024} MiB limit`);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * The records of an open CSV file from byte `start` (a record's start), one at a time, read
 * `chunk` bytes at a time: never the whole file in memory. Empty lines are skipped.
 */
function* csvRecords(fd: number, start = 0, chunk = CHUNK_BYTES): Generator<CsvRecord> {
  let buf = Buffer.alloc(chunk);
  let filled = 0;
  let base = start;
  let line = 1;
  let eof = false;
  while (!eof || filled > 0) {
    if (!eof) {
      if (filled === buf.length) {
        // One record longer than the buffer: room for it.
        const bigger = Buffer.alloc(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const read = readSync(fd, buf, filled, buf.length - filled, base + filled);
      filled += read;
      eof = read === 0;
      // A file growing while we read is refused too, not read past the limit.
      if (base + filled > CREDENTIALS_LIMIT)
        throw new CredentialsError(`is over the ${CREDENTIALS_LIMIT / 1024 / 1024} MiB limit`);
    }
    const view = buf.subarray(0, filled);
    let from = 0;
    // A byte-order mark, as spreadsheets write, is not part of the first column's name.
    if (base === 0 && view[0] === 0xef && view[1] === 0xbb && view[2] === 0xbf) from = 3;
    for (;;) {
      if (from >= view.length) break;
      const record = parseRecord(view, from, eof, line);
      if (record === null) break;
      const empty = record.fields.length === 1 && record.fields[0] === '' && view[from] !== QUOTE;
      if (!empty) yield { line, offset: base + from, fields: record.fields };
      line += record.breaks;
      from = record.next;
    }
    // The unfinished record moves to the front, for the next read to complete.
    view.copy(buf, 0, from, filled);
    filled -= from;
    base += from;
    if (eof && filled > 0) throw new CredentialsError('ends inside a record', line);
  }
}

/** The columns of a header record: username, password, and clientId if there is one. */
function columnsOf(header: CsvRecord): { user: number; pass: number; id: number; count: number } {
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const column = (name: string): number => {
    const at = names.indexOf(name);
    if (at >= 0 && names.indexOf(name, at + 1) >= 0)
      throw new CredentialsError(`the header names the column ${name} twice`, header.line);
    return at;
  };
  const user = column('username');
  const pass = column('password');
  const id = column('clientid');
  if (user < 0 || pass < 0)
    throw new CredentialsError(
      `the header (${header.fields.join(',')}) needs the columns username and password (and clientId to key rows by client id)`,
      header.line,
    );
  return { user, pass, id, count: names.length };
}

function credentialOf(fields: readonly string[], columns: { user: number; pass: number }): Credential {
  const username = fields[columns.user] ?? '';
  const password = fields[columns.pass] ?? '';
  return { ...(username === '' ? {} : { username }), ...(password === '' ? {} : { password }) };
}

/**
 * Every row of the file that is for one of `clients`, passed to `found` (with its line and byte
 * offset), in file order; returns the clients with no row, and whether rows are keyed by a
 * clientId column. Nothing else is kept: the caller keeps what it needs. Throws
 * CredentialsError for a file that is not such a CSV.
 */
export function scanCredentials(
  path: string,
  clients: readonly CredentialClient[],
  found: (client: CredentialClient, credential: Credential, line: number, offset: number) => void,
): { missing: CredentialClient[]; byId: boolean } {
  const fd = openCsv(path);
  try {
    const records = csvRecords(fd);
    const header = records.next();
    if (header.done) throw new CredentialsError('is empty: it needs a header row naming username and password');
    const columns = columnsOf(header.value);
    const byId = columns.id >= 0;
    const waiting = new Map<string | number, CredentialClient>(clients.map((c) => [byId ? c.clientId : c.n, c]));
    const last = byId ? Infinity : clients.reduce((max, c) => Math.max(max, c.n), -1);
    // Keyed by clientId, a client's second row would be a silent choice between two identities:
    // refused, so the file is read to its end.
    const foundOn = new Map<string | number, number>();
    let row = 0;
    for (const record of records) {
      if (record.fields.length !== columns.count)
        throw new CredentialsError(
          `has ${record.fields.length} fields; the header names ${columns.count} columns`,
          record.line,
        );
      const key = byId ? (record.fields[columns.id] ?? '') : row;
      row++;
      const client = waiting.get(key);
      if (client === undefined) {
        const first = foundOn.get(key);
        if (first !== undefined)
          throw new CredentialsError(`a second row for client ${key} (the first is on line ${first})`, record.line);
        if (row > last) break;
        continue;
      }
      waiting.delete(key);
      if (byId) foundOn.set(key, record.line);
      found(client, credentialOf(record.fields, columns), record.line, record.offset);
      if (waiting.size === 0 && !byId) break;
    }
    return { missing: [...waiting.values()], byId };
  } finally {
    closeSync(fd);
  }
}

/** The first read of a lane: a row or a few; the buffer grows for more. */
const LANE_CHUNK_BYTES = 4096;

/**
 * A lane's own clients' credentials, by fleet index: `offsets` says where each client's row
 * starts (found by the main thread's check), so the lane reads from its first row to its last
 * and keeps only its own. A file changed since it was checked is an error, where it shows.
 */
export function laneCredentials(
  path: string,
  clients: readonly { index: number; clientId: string; credentialsAt?: number | undefined }[],
): Map<number, Credential> {
  const out = new Map<number, Credential>();
  const wanted = new Map<number, { index: number; clientId: string }>();
  for (const c of clients) if (c.credentialsAt !== undefined) wanted.set(c.credentialsAt, c);
  if (wanted.size === 0) return out;
  const fd = openCsv(path);
  try {
    const header = csvRecords(fd, 0, LANE_CHUNK_BYTES).next();
    if (header.done) throw new CredentialsError(`${path} is empty (changed since it was checked?)`);
    const columns = columnsOf(header.value);
    let first = Infinity;
    for (const offset of wanted.keys()) first = Math.min(first, offset);
    for (const record of csvRecords(fd, first, LANE_CHUNK_BYTES)) {
      const client = wanted.get(record.offset);
      if (client === undefined) continue;
      const id = columns.id < 0 ? client.clientId : record.fields[columns.id];
      if (record.fields.length !== columns.count || id !== client.clientId)
        throw new CredentialsError(`${path}: the row of client ${client.clientId} changed since it was checked`);
      out.set(client.index, credentialOf(record.fields, columns));
      wanted.delete(record.offset);
      if (wanted.size === 0) break;
    }
  } catch (err) {
    // Read from where the check found the rows: a malformed record here means the file changed.
    if (err instanceof CredentialsError && !err.message.startsWith(path))
      throw new CredentialsError(`${path} changed since it was checked (${err.message})`);
    throw err;
  } finally {
    closeSync(fd);
  }
  const left = [...wanted.values()][0];
  if (left !== undefined)
    throw new CredentialsError(`${path}: no row for client ${left.clientId} (changed since it was checked?)`);
  return out;
}
