import { at } from './checked.js';

/** Values a topic, client-id or will template may use. */
export interface TemplateVars {
  /** The client's index in the fleet, 0-based. */
  i: number;
  /** The client's MQTT client id. */
  id: string;
  /** The client's index within its group. */
  n?: number;
  group?: string;
  run?: string;
}

const TOKEN = /\{([^{}]*)\}/g;
/** Placeholders in topics and wills. */
export const TOPIC_TOKENS = ['i', 'id', 'n', 'group'] as const;
/** Placeholders in client ids (the id itself is being made). */
export const CLIENT_ID_TOKENS = ['i', 'n', 'group', 'run'] as const;
/** Placeholders in payload templates, filled per message. */
export const PAYLOAD_TOKENS = ['i', 'id', 'n', 'group', 'seq', 'ts', 'rand:N'] as const;

function tokenAllowed(name: string, allowed: readonly string[]): boolean {
  if (allowed.includes(name)) return true;
  return allowed.includes('rand:N') && /^rand:\d{1,4}$/.test(name);
}

/** Placeholders in a payload: only `{name}` and `{name:N}`, so JSON's own braces stay literal. */
export const PAYLOAD_TOKEN = /\{([a-z]+(?::\d+)?)\}/g;

/**
 * A payload template: known placeholders only; any other braces are the payload's own. What is
 * wrong with it, naming `option`, or null: the options layer turns it into a UsageError.
 */
export function payloadTemplateProblem(option: string, template: string): string | null {
  for (const match of template.matchAll(PAYLOAD_TOKEN)) {
    const token = at(match, 1);
    if (!tokenAllowed(token, PAYLOAD_TOKENS))
      return `${option} has unknown placeholder {${token}}; use ${PAYLOAD_TOKENS.map((t) => `{${t}}`).join(', ')}`;
  }
  return null;
}

/** Unknown `{tokens}`, wildcards where they cannot go, and empty topics: what is wrong, naming `option`, or null. */
export function templateProblem(
  option: string,
  template: string,
  allowWildcards: boolean,
  allowed: readonly string[] = ['i', 'id'],
): string | null {
  if (template.length === 0) return `${option} must not be empty`;
  for (const match of template.matchAll(TOKEN)) {
    const token = at(match, 1);
    if (!tokenAllowed(token, allowed))
      return `${option} has unknown placeholder {${token}}; use ${allowed.map((t) => `{${t}}`).join(', ')}`;
  }
  const plain = template.replace(TOKEN, 'x');
  if (/[{}]/.test(plain)) return `${option} has an unbalanced brace: ${JSON.stringify(template)}`;
  if (plain.includes('\u0000')) return `${option} must not contain NUL`;
  if (!allowWildcards && /[+#]/.test(plain))
    return `${option} must not contain the wildcards + or # (got ${JSON.stringify(template)})`;
  if (allowWildcards) {
    const filter = shareOf(plain)?.filter ?? plain;
    if (filter === '')
      return `${option}: a shared subscription needs $share/<name>/<filter> (got ${JSON.stringify(template)})`;
    // [MQTT-4.7.1-2] '#' only as the last level; [MQTT-4.7.1-3] '+' fills a whole level.
    const levels = filter.split('/');
    for (const [n, level] of levels.entries()) {
      if (level.includes('#') && (level !== '#' || n !== levels.length - 1))
        return `${option}: '#' must be a whole level and the last one (got ${JSON.stringify(template)})`;
      if (level.includes('+') && level !== '+')
        return `${option}: '+' must fill a whole level (got ${JSON.stringify(template)})`;
    }
  }
  return null;
}

/** Placeholders a user name or password may use, filled as each client connects. */
export const CREDENTIAL_TOKENS = ['i', 'id', 'n', 'group'] as const;

/**
 * A user name or password for one client: only CREDENTIAL_TOKENS are filled, and any other braces
 * are its own, as a secret may hold any character (an existing `p{x}ss` stays as written).
 */
export function renderCredential(template: string, vars: TemplateVars): string {
  return template.replace(TOKEN, (whole, name: string) =>
    (CREDENTIAL_TOKENS as readonly string[]).includes(name) ? renderTemplate(whole, vars) : whole,
  );
}

export function renderTemplate(template: string, vars: TemplateVars): string {
  return template.replace(TOKEN, (_, name: string) => {
    switch (name) {
      case 'i':
        return String(vars.i);
      case 'id':
        return vars.id;
      case 'n':
        return String(vars.n ?? vars.i);
      case 'group':
        return vars.group ?? '';
      case 'run':
        return vars.run ?? '';
      default:
        return `{${name}}`;
    }
  });
}

/** `$share/<name>/<filter>` [MQTT 5 §4.8.2]: the share name and the filter; null for a plain filter. */
export function shareOf(filter: string): { name: string; filter: string } | null {
  const match = /^\$share\/([^/]+)\/(.*)$/.exec(filter);
  return match ? { name: at(match, 1), filter: at(match, 2) } : null;
}

/** Does `topic` match the subscription `filter`? (MQTT 3.1.1 §4.7; `$` topics never match leading wildcards.) */
export function topicMatches(filter: string, topic: string): boolean {
  const plain = shareOf(filter)?.filter ?? filter;
  if (plain === topic) return true;
  if (topic.startsWith('$') && (plain.startsWith('+') || plain.startsWith('#'))) return false;
  const f = plain.split('/');
  const t = topic.split('/');
  for (let n = 0; n < f.length; n++) {
    if (f[n] === '#') return true;
    if (n >= t.length) return false;
    if (f[n] !== '+' && f[n] !== t[n]) return false;
  }
  return f.length === t.length;
}

export function hasWildcard(filter: string): boolean {
  const plain = shareOf(filter)?.filter ?? filter;
  return plain.includes('+') || plain.includes('#');
}
