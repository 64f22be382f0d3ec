/**
 * A CSV file of credentials (--credentials, a scenario's `credentials:`), read in chunks: the
 * main thread checks it before anything connects, and each lane keeps only its own clients'
 * rows, so a fleet's identities never sit in every thread's memory. Here, below the options
 * layer, because the lanes read it too.
 *
 * The format (RFC 4180): a header row naming the columns, `username` and `password` at least
 * (any order, any case; other columns are ignored); fields may be quoted, with `""` for a quote,
 * and a quoted field may hold commas and line breaks; empty lines are skipped. With a `clientId`
 * column each row is the client of that id; without one, data row n (0-based, after the header)
 * is client n of its group ({n}; in a plain run, client {i}).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** The largest credentials file: a million clients with room for long names and passwords. */
export const CREDENTIALS_LIMIT = 256 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
/** What ends a stretch of unquoted text. */
const SPECIAL = /[",\r\n]/g;

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
  /** The line the record starts on, 1-based. */
  line: number;
  fields: string[];
}

/** The records of a CSV file, one at a time, read CHUNK_BYTES at a time: never the whole file in memory. */
function* csvRecords(path: string): Generator<CsvRecord> {
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
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.alloc(CHUNK_BYTES);
    let line = 1;
    let start = 1;
    let fields: string[] = [];
    let field = '';
    // Where in a field: unquoted text, inside quotes, or just after a quote inside quotes.
    let state: 'plain' | 'quoted' | 'quote' = 'plain';
    let quotedRecord = false;
    let total = 0;
    let first = true;
    const end = (): CsvRecord | null => {
      fields.push(field);
      const record = fields;
      const empty = record.length === 1 && record[0] === '' && !quotedRecord;
      fields = [];
      field = '';
      quotedRecord = false;
      return empty ? null : { line: start, fields: record };
    };
    for (;;) {
      const read = readSync(fd, buffer, 0, CHUNK_BYTES, null);
      total += read;
      // A file growing while we read is refused too, not read past the limit.
      if (total > CREDENTIALS_LIMIT)
        throw new CredentialsError(`is over the ${CREDENTIALS_LIMIT / 1024 / 1024} MiB limit`);
      let text = read === 0 ? decoder.end() : decoder.write(buffer.subarray(0, read));
      // A byte-order mark, as spreadsheets write, is not part of the first column's name.
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      let i = 0;
      while (i < text.length) {
        if (state === 'quoted') {
          // Up to the next quote in one piece: a quoted field may hold commas and line breaks.
          const quote = text.indexOf('"', i);
          const part = text.slice(i, quote < 0 ? text.length : quote);
          for (let at = part.indexOf('\n'); at >= 0; at = part.indexOf('\n', at + 1)) line++;
          field += part;
          if (quote < 0) break;
          state = 'quote';
          i = quote + 1;
          continue;
        }
        if (state === 'quote') {
          // After a quote inside quotes: another (an escaped quote), or the end of the field.
          const c = text[i];
          if (c === '"') {
            field += c;
            state = 'quoted';
            i++;
            continue;
          }
          if (c !== ',' && c !== '\n' && c !== '\r')
            throw new CredentialsError('a quote inside a quoted field must be doubled ("")', line);
          state = 'plain';
        }
        SPECIAL.lastIndex = i;
        const to = SPECIAL.exec(text)?.index ?? text.length;
        if (to > i) {
          field += text.slice(i, to);
          i = to;
          continue;
        }
        const c = text[i];
        i++;
        if (c === ',') {
          fields.push(field);
          field = '';
        } else if (c === '"') {
          if (field !== '')
            throw new CredentialsError('a quote inside an unquoted field (quote the whole field)', line);
          state = 'quoted';
          quotedRecord = true;
        } else {
          // CRLF: the CR ends the record and the LF an empty one, which is skipped like any empty line.
          const record = end();
          if (c === '\n') line++;
          start = line;
          if (record) yield record;
        }
      }
      if (read === 0) break;
    }
    if (state === 'quoted') throw new CredentialsError('a quoted field is never closed', start);
    const last = end();
    if (last) yield last;
  } finally {
    closeSync(fd);
  }
}

/**
 * Every row of the file that is for one of `clients`, passed to `found` (with its line), in file
 * order; returns the clients with no row, and whether rows are keyed by a clientId column. Nothing else is kept: the caller keeps what it needs.
 * Throws CredentialsError for a file that is not such a CSV.
 */
export function scanCredentials(
  path: string,
  clients: readonly CredentialClient[],
  found: (client: CredentialClient, credential: Credential, line: number) => void,
): { missing: CredentialClient[]; byId: boolean } {
  const records = csvRecords(path);
  const header = records.next();
  if (header.done) throw new CredentialsError('is empty: it needs a header row naming username and password');
  const names = header.value.fields.map((f) => f.trim().toLowerCase());
  const column = (name: string): number => {
    const at = names.indexOf(name);
    if (at >= 0 && names.indexOf(name, at + 1) >= 0)
      throw new CredentialsError(`the header names the column ${name} twice`, header.value.line);
    return at;
  };
  const user = column('username');
  const pass = column('password');
  const idColumn = column('clientid');
  if (user < 0 || pass < 0)
    throw new CredentialsError(
      `the header (${header.value.fields.join(',')}) needs the columns username and password (and clientId to key rows by client id)`,
      header.value.line,
    );
  const byId = idColumn >= 0;
  const waiting = new Map<string | number, CredentialClient>(clients.map((c) => [byId ? c.clientId : c.n, c]));
  const last = byId ? Infinity : clients.reduce((max, c) => Math.max(max, c.n), -1);
  let row = 0;
  for (const record of records) {
    if (record.fields.length !== names.length)
      throw new CredentialsError(
        `has ${record.fields.length} fields; the header names ${names.length} columns`,
        record.line,
      );
    const key = byId ? (record.fields[idColumn] ?? '') : row;
    row++;
    const client = waiting.get(key);
    if (client === undefined) {
      if (row > last) break;
      continue;
    }
    waiting.delete(key);
    const username = record.fields[user] ?? '';
    const password = record.fields[pass] ?? '';
    found(client, { ...(username === '' ? {} : { username }), ...(password === '' ? {} : { password }) }, record.line);
    if (waiting.size === 0) break;
  }
  return { missing: [...waiting.values()], byId };
}

/** A copy of its own: a field is a slice of the chunk it was read in, which would otherwise stay in memory with it. */
function own(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/**
 * A lane's own clients' credentials, by fleet index: the file is read once, in chunks, and
 * only these clients' rows are kept. The main thread has checked it; a file changed since is an error.
 */
export function laneCredentials(path: string, clients: readonly CredentialClient[]): Map<number, Credential> {
  const out = new Map<number, Credential>();
  const { missing } = scanCredentials(path, clients, (client, { username, password }) =>
    out.set(client.index, {
      ...(username === undefined ? {} : { username: own(username) }),
      ...(password === undefined ? {} : { password: own(password) }),
    }),
  );
  const first = missing[0];
  if (first !== undefined)
    throw new CredentialsError(`${path}: no row for client ${first.clientId} (changed since it was checked?)`);
  return out;
}
