import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, relative, resolve as resolvePath } from 'node:path';
import { UsageError } from '../errors.js';
import { at } from '../mqtt/checked.js';
import { renderTemplate, templateProblem } from '../mqtt/templates.js';
import { brokerOf, TLS_VERSIONS, type GroupProfile, type TlsOptions } from '../group.js';
import { checkOutputFile, FILE_LIMITS, readOptionFile } from './files.js';

/** Placeholders a per-client certificate or key path may use. */
export const IDENTITY_TOKENS = ['i', 'id', 'n', 'group'] as const;

/**
 * A --cert or --key path: a plain path is one file for every client, read now; a path with
 * placeholders (`certs/{id}.pem`) names each client's own file, kept as an absolute template
 * and read by the client itself when it connects, so a fleet's identities never sit in memory together.
 */
export function identityFile(
  option: string,
  given: string,
  dir: string,
): { contents: string; template?: undefined } | { template: string; contents?: undefined } {
  const absolute = resolvePath(dir, given);
  if (!/\{[^{}]*\}/.test(given)) return { contents: readOptionFile(option, absolute, FILE_LIMITS.pem) };
  const problem = templateProblem(option, given, true, IDENTITY_TOKENS);
  if (problem) throw new UsageError(option, problem);
  return { template: absolute };
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** Why `path` cannot be a client's certificate or key, or null: a stat and an access, nothing read. */
function fileProblem(path: string): string | null {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return `not a regular file ${shown(path)}`;
    if (stat.size > FILE_LIMITS.pem) return `${shown(path)} is ${stat.size} bytes, over the 1 MiB limit`;
    accessSync(path, constants.R_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `no such file ${shown(path)}` : `cannot read ${shown(path)} (${code ?? 'unreadable'})`;
  }
}

/**
 * Every per-client certificate and key this process's clients will read, checked before anything
 * connects: a missing file is bad input naming the file and the client, not a failed connection
 * minutes into a run. A shard checks only its own clients (each host may hold only its own).
 */
export function checkIdentities(
  groups: readonly GroupProfile[],
  runId: string,
  shard: { index: number; count: number } | null,
): void {
  for (const group of groups) {
    const templated = group.brokers.some((b) => b.tls.certFile !== undefined || b.tls.keyFile !== undefined);
    if (!templated) continue;
    for (let n = 0; n < group.count; n++) {
      const i = group.first + n;
      if (shard && i % shard.count !== shard.index) continue;
      // A client checks only the broker it will use.
      const broker = at(group.brokers, brokerOf(group, n));
      const id = renderTemplate(group.clientId, { i, n, id: '', group: group.name, run: runId });
      for (const [option, template] of [
        ['--cert', broker.tls.certFile],
        ['--key', broker.tls.keyFile],
      ] as const) {
        if (template === undefined) continue;
        const problem = fileProblem(identityPath(template, { i, n, id, group: group.name }));
        if (problem) throw new UsageError(option, `${option} ${shown(template)}: client ${id}: ${problem}`);
      }
    }
  }
}

/** A client's own certificate or key path. */
export function identityPath(template: string, vars: { i: number; n: number; id: string; group: string }): string {
  return renderTemplate(template, vars);
}

/** --tls-min-version, --servername, --alpn and SSLKEYLOGFILE: how every TLS connection is made. */
export function tlsSettings(
  input: { tlsMinVersion?: string | undefined; servername?: string | undefined; alpn?: string | string[] | undefined },
  env: NodeJS.ProcessEnv,
): Pick<TlsOptions, 'minVersion' | 'servername' | 'alpn' | 'keylog'> {
  const out: Pick<TlsOptions, 'minVersion' | 'servername' | 'alpn' | 'keylog'> = {};
  if (input.tlsMinVersion !== undefined) {
    const version = TLS_VERSIONS.find((v) => v === input.tlsMinVersion);
    if (version === undefined)
      throw new UsageError(
        '--tls-min-version',
        `--tls-min-version must be ${TLS_VERSIONS.join(' or ')} (got ${JSON.stringify(input.tlsMinVersion)})`,
      );
    out.minVersion = version;
  }
  if (input.servername !== undefined) {
    if (typeof input.servername !== 'string' || !/^[A-Za-z0-9.-]{1,253}$/.test(input.servername))
      throw new UsageError(
        '--servername',
        `--servername must be a host name (got ${JSON.stringify(input.servername)})`,
      );
    out.servername = input.servername;
  }
  if (input.alpn !== undefined) {
    const list = (Array.isArray(input.alpn) ? input.alpn : [input.alpn]).flatMap((a) => String(a).split(','));
    const protocols = list.map((a) => a.trim()).filter((a) => a !== '');
    // [RFC 7301 3.1]: each protocol name is 1 to 255 bytes.
    const bad = protocols.find((a) => Buffer.byteLength(a) > 255);
    if (protocols.length === 0 || bad !== undefined)
      throw new UsageError('--alpn', '--alpn needs protocol names of 1 to 255 bytes (e.g. --alpn mqtt)');
    out.alpn = protocols;
  }
  // The convention of browsers and curl: where TLS secrets go for Wireshark to decrypt a capture.
  if (env.SSLKEYLOGFILE) out.keylog = checkOutputFile('SSLKEYLOGFILE', env.SSLKEYLOGFILE);
  return out;
}
