/**
 * Secrets and the one redactor every output passes through. A secret is a password (from
 * --password, MQTT_PASSWORD, --password-file, a scenario), the userinfo of a broker URL, or TLS
 * key material. Output is cleaned twice over: broker URLs are masked wherever they appear, and
 * every known secret is masked wherever it appears, whatever carried it there (an error message,
 * a workload's log line, a broker's reply).
 */
import type { Logger } from './log.js';

export const MASK = '***';

/**
 * Secrets shorter than this are masked only where they are a whole value: masking every `ab`
 * in every topic and client id would garble the output and protect little (such a password
 * falls to guessing anyway).
 */
export const MASK_ANYWHERE_FROM = 4;

/** `***:***` for `user:pass`, keeping the shape (`***`, `:***`, `***:`) so a reader sees what was given. */
function maskUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? undefined : userinfo.slice(colon + 1);
  return `${user ? MASK : ''}${password ? `:${MASK}` : password === undefined ? '' : ':'}`;
}

/** What ends a URL's authority in free text: the URL standard's `/ ? #`, and white space and quotes. */
const AUTHORITY_END = /[\s/?#"'<>`]/;

/**
 * Hide the credentials of every URL in `text`: `mqtt://user:pass@host` becomes `mqtt://***:***@host`.
 * The userinfo runs from `//` to the LAST `@` before the authority ends: per the URL standard it
 * may itself hold `@` (`mqtt://u:Part1@Part2@host` is user `u`, password `Part1@Part2`). A scan,
 * not a regular expression: linear whatever the text (a workload may log anything).
 */
export function redactUrlCredentials(text: string): string {
  if (!text.includes('@')) return text;
  let out = '';
  let copied = 0;
  for (let slashes = text.indexOf('//'); slashes >= 0; slashes = text.indexOf('//', slashes + 2)) {
    let at = -1;
    for (let i = slashes + 2; i < text.length && !AUTHORITY_END.test(text.charAt(i)); i++) if (text[i] === '@') at = i;
    if (at < 0) continue;
    out += `${text.slice(copied, slashes + 2)}${maskUserinfo(text.slice(slashes + 2, at))}`;
    copied = at;
    slashes = at - 1;
  }
  return out + text.slice(copied);
}

/** Schemes whose URLs the URL standard also ends the authority of at `\`. */
const SPECIAL = new Set(['ws:', 'wss:', 'http:', 'https:', 'ftp:', 'file:']);

/**
 * Where the userinfo of one URL, as the user wrote it, lies: `url.slice(start, end)`, `end`
 * being the `@` before the host. A URL the parser refuses (or finds no host in) is read the
 * safe way: everything between the scheme's `//` (or the start) and the last `@` counts.
 */
function userinfoSpan(url: string): { start: number; end: number } | null {
  const scheme = /^\s*[a-z][a-z0-9+.-]*:/i.exec(url);
  const slashes = url.indexOf('//', scheme ? scheme[0].length : 0);
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // refused: the safe reading below
  }
  if (parsed && parsed.hostname !== '' && scheme && slashes === scheme[0].length) {
    if (parsed.username === '' && parsed.password === '') return null;
    const start = slashes + 2;
    const stops = SPECIAL.has(parsed.protocol) ? /[/?#\\]/ : /[/?#]/;
    const stop = url.slice(start).search(stops);
    const end = url.lastIndexOf('@', stop < 0 ? url.length : start + stop);
    if (end >= start) return { start, end };
  }
  const end = url.lastIndexOf('@');
  if (end < 0) return null;
  const start = slashes >= 0 && slashes < end ? slashes + 2 : 0;
  return { start, end };
}

/** One broker URL fit to show: its userinfo masked (`mqtt://***:***@host`), whatever it holds. */
export function maskUrl(url: string): string {
  const span = userinfoSpan(url);
  return span ? `${url.slice(0, span.start)}${maskUserinfo(url.slice(span.start, span.end))}${url.slice(span.end)}` : url;
}

/** The URL without its userinfo: what names the broker (its cluster), credentials apart. */
export function urlWithoutCredentials(url: string): string {
  const span = userinfoSpan(url);
  return span ? `${url.slice(0, span.start)}${url.slice(span.end + 1)}` : url;
}

/**
 * The password of a URL in every form it may be shown in: as written, as the URL parser encodes
 * it (`Part1%40Part2`), and decoded (`Part1@Part2`, what the broker receives).
 */
export function urlSecrets(url: string): string[] {
  const span = userinfoSpan(url);
  if (!span) return [];
  const userinfo = url.slice(span.start, span.end);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return [];
  const written = userinfo.slice(colon + 1);
  const forms = [written];
  try {
    const parsed = new URL(url).password;
    forms.push(parsed, decodeURIComponent(parsed), encodeURIComponent(decodeURIComponent(parsed)));
  } catch {
    // not a URL the parser takes: the written form is all there is
  }
  try {
    forms.push(decodeURIComponent(written));
  } catch {
    // a stray `%`: the written form stands
  }
  return forms;
}

/** Where a resolved run (options/types.ts ResolvedOptions) keeps secrets; named by shape, so the report layer need not import the options layer. */
interface SecretHolder {
  password?: string | undefined;
  tls: { key?: string | undefined };
  brokers: readonly string[];
  groups: readonly { password?: string | undefined; brokers: readonly { url: string; tls: { key?: string | undefined } }[] }[];
}

/** Every secret a resolved run holds: passwords (its own and each group's), URL passwords, TLS keys. */
export function secretsOf(options: SecretHolder): string[] {
  const out: (string | undefined)[] = [options.password, options.tls.key];
  for (const url of options.brokers) out.push(...urlSecrets(url));
  for (const group of options.groups) {
    out.push(group.password);
    for (const broker of group.brokers) out.push(...urlSecrets(broker.url), broker.tls.key);
  }
  return out.filter((s): s is string => typeof s === 'string' && s !== '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Masks URL credentials and known secrets in text and in plain data. Built once from a run's
 * resolved options (`Redactor.of`), it is the boundary every output of the run passes through:
 * events (stdout, --out files, the shard result), log lines, the summary, the metrics labels.
 */
export class Redactor {
  /** URL credentials only: for output whose secrets are not known here (a report or merge of files). */
  static readonly urls = new Redactor([]);

  private readonly anywhere: string[];
  private readonly whole: Set<string>;

  constructor(secrets: Iterable<string | undefined>) {
    const unique = [...new Set([...secrets].filter((s): s is string => typeof s === 'string' && s !== ''))];
    // Longest first: a secret that holds another is masked whole, not in pieces.
    this.anywhere = unique.filter((s) => s.length >= MASK_ANYWHERE_FROM).sort((a, b) => b.length - a.length);
    this.whole = new Set(unique.filter((s) => s.length < MASK_ANYWHERE_FROM));
  }

  static of(options: SecretHolder): Redactor {
    return new Redactor(secretsOf(options));
  }

  /** This redactor's secrets and `more`. */
  with(more: Iterable<string | undefined>): Redactor {
    return new Redactor([...this.anywhere, ...this.whole, ...more]);
  }

  text(text: string): string {
    if (this.whole.has(text)) return MASK;
    let out = redactUrlCredentials(text);
    for (const secret of this.anywhere) if (out.includes(secret)) out = out.replaceAll(secret, MASK);
    return this.whole.has(out) ? MASK : out;
  }

  /**
   * `value` with every string in it cleaned (and any `password` field masked), copying only what
   * changes. `type` fields are left alone: they are this program's vocabulary, never user data,
   * and readers (merge, report) dispatch on them.
   */
  value<T>(value: T): T {
    return this.clean(value, undefined) as T;
  }

  /** `log` with every message and field cleaned before it is written. */
  logger(log: Logger): Logger {
    const wrap =
      (level: keyof Logger) =>
      (obj: object, msg?: string): void => {
        if (msg === undefined) log[level](this.value(obj));
        else log[level](this.value(obj), this.text(msg));
      };
    return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
  }

  private clean(value: unknown, key: string | undefined): unknown {
    if (typeof value === 'string') return key === 'type' ? value : key === 'password' ? MASK : this.text(value);
    if (Array.isArray(value)) {
      let copy: unknown[] | null = null;
      for (let i = 0; i < value.length; i++) {
        const cleaned = this.clean(value[i], undefined);
        if (cleaned !== value[i]) (copy ??= value.slice())[i] = cleaned;
      }
      return copy ?? value;
    }
    if (isPlainObject(value)) {
      let copy: Record<string, unknown> | null = null;
      for (const [k, v] of Object.entries(value)) {
        const cleaned = this.clean(v, k);
        if (cleaned !== v) (copy ??= { ...value })[k] = cleaned;
      }
      return copy ?? value;
    }
    return value;
  }
}
