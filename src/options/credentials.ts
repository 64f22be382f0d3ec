import { isAbsolute, relative, resolve as resolvePath } from 'node:path';
import { UsageError } from '../errors.js';
import type { GroupProfile } from '../group.js';
import { renderTemplate } from '../mqtt/templates.js';
import { CredentialsError, scanCredentials, type CredentialClient } from '../session/credentials.js';
import { MQTT_STRING_MAX } from './packet-limits.js';

const OPTION = '--credentials';

/** A --credentials path (a flag's: relative to the working directory; a scenario's: to its file), absolute. */
export function credentialsFile(label: string, given: unknown, dir: string = process.cwd()): string {
  if (typeof given !== 'string' || given === '')
    throw new UsageError(label, `${label} must name a CSV file (got ${JSON.stringify(given)})`);
  return resolvePath(dir, given);
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/**
 * Every credentials file this process's clients will read, checked before anything connects:
 * it opens, its header names the columns, and every client here has a row whose user name and
 * password MQTT can carry. Read in chunks, keeping only where each client's row starts (by fleet
 * index), for its lane to read it from there. A shard checks only its own clients. Bad input
 * names --credentials, the file and the client or line; no field's value is ever shown.
 */
export function checkCredentials(
  groups: readonly GroupProfile[],
  runId: string,
  shard: { index: number; count: number } | null,
): Map<number, number> {
  const offsets = new Map<number, number>();
  for (const group of groups) {
    const path = group.credentials;
    if (path === undefined || path === null) continue;
    const fail = (message: string): never => {
      throw new UsageError(OPTION, `${OPTION} ${shown(path)}: ${message}`);
    };
    const clients: CredentialClient[] = [];
    for (let n = 0; n < group.count; n++) {
      const index = group.first + n;
      if (shard && index % shard.count !== shard.index) continue;
      const clientId = renderTemplate(group.clientId, { i: index, n, id: '', group: group.name, run: runId });
      clients.push({ index, n, clientId });
    }
    if (clients.length === 0) continue;
    let scan: ReturnType<typeof scanCredentials>;
    try {
      scan = scanCredentials(path, clients, ({ index, clientId }, { username, password }, line, offset) => {
        offsets.set(index, offset);
        const where = `line ${line} (client ${clientId})`;
        for (const [what, value] of [
          ['user name', username],
          ['password', password],
        ] as const) {
          if (value !== undefined && Buffer.byteLength(value) > MQTT_STRING_MAX)
            fail(`${where}: the ${what} is over the ${MQTT_STRING_MAX} bytes MQTT allows`);
        }
        // [MQTT-3.1.2-22] MQTT 3.1.1 sends a password only with a user name.
        if (username === undefined && group.username === undefined && (password ?? group.password) !== undefined)
          fail(`${where}: a password needs a user name (the row's username is empty, and none is given)`);
      });
    } catch (err) {
      if (err instanceof CredentialsError) fail(err.message);
      throw err;
    }
    const first = scan.missing[0];
    if (first !== undefined) {
      const more = scan.missing.length > 1 ? `; ${scan.missing.length - 1} more clients have none either` : '';
      const which = scan.byId
        ? 'no row has its clientId'
        : `no clientId column, so it is data row ${first.n + 1}, and the file has fewer rows`;
      fail(`no row for client ${first.clientId} (${which})${more}`);
    }
  }
  return offsets;
}
