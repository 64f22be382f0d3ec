/**
 * Secrets and the one redactor every output passes through. A secret is a password (from
 * --password, MQTT_PASSWORD, --password-file, a scenario), the userinfo of a broker URL, or TLS
 * key material. Output is cleaned twice over: broker URLs are masked wherever they appear, and
 * every known secret is masked wherever it appears, whatever carried it there (an error message,
 * a workload's log line, a broker's reply). URLs are read by mqtt/broker-url.ts.
 */
import type { Logger } from './log.js';
import { MASK, redactUrlCredentials, urlSecrets } from '../mqtt/broker-url.js';

/**
 * Secrets shorter than this are masked only where they are a whole value: masking every `ab`
 * in every topic and client id would garble the output and protect little (such a password
 * falls to guessing anyway).
 */
export const MASK_ANYWHERE_FROM = 4;

/** Where a resolved run (options/types.ts ResolvedOptions) keeps secrets; named by shape, so the report layer need not import the options layer. */
interface SecretHolder {
  password?: string | undefined;
  tls: { key?: string | undefined };
  brokers: readonly string[];
  groups: readonly {
    password?: string | undefined;
    brokers: readonly { url: string; tls: { key?: string | undefined } }[];
  }[];
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
    // A line below the log level is dropped by the logger: not cleaned first (a debug line per
    // client state change would be 15,000 cleanings while 5,000 clients connect, for nothing).
    const enabled = (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.bind(log);
    const wrap =
      (level: keyof Logger) =>
      (obj: object, msg?: string): void => {
        if (enabled && !enabled(level)) return;
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
      // Keys, not entries: this runs for every event of a run (five per client as a fleet
      // connects), and entries would allocate a pair per field.
      for (const k of Object.keys(value)) {
        const v = value[k];
        const cleaned = this.clean(v, k);
        if (cleaned !== v) (copy ??= { ...value })[k] = cleaned;
      }
      return copy ?? value;
    }
    return value;
  }
}
