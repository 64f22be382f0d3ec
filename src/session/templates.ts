import { UsageError } from '../errors.js';

/** Values a topic or client-id template may use. */
export interface TemplateVars {
  /** The client's index in the fleet, 0-based. */
  i: number;
  /** The client's MQTT client id. */
  id: string;
}

const TOKEN = /\{([^{}]*)\}/g;
const KNOWN = new Set(['i', 'id']);

/** Reject unknown `{tokens}`, wildcards where they cannot go, and empty topics. */
export function checkTemplate(option: string, template: string, allowWildcards: boolean): void {
  if (template.length === 0) throw new UsageError(option, `${option} must not be empty`);
  for (const match of template.matchAll(TOKEN)) {
    if (!KNOWN.has(match[1]!)) {
      throw new UsageError(option, `${option} has unknown placeholder {${match[1]}}; use {i} (client index) or {id} (client id)`);
    }
  }
  const plain = template.replace(TOKEN, 'x');
  if (/[{}]/.test(plain)) throw new UsageError(option, `${option} has an unbalanced brace: ${JSON.stringify(template)}`);
  if (plain.includes('\u0000')) throw new UsageError(option, `${option} must not contain NUL`);
  if (!allowWildcards && /[+#]/.test(plain)) {
    throw new UsageError(option, `${option} must not contain the wildcards + or # (got ${JSON.stringify(template)})`);
  }
  if (allowWildcards) {
    // [MQTT-4.7.1-2] '#' only as the last level; [MQTT-4.7.1-3] '+' fills a whole level.
    const levels = plain.split('/');
    levels.forEach((level, n) => {
      if (level.includes('#') && (level !== '#' || n !== levels.length - 1)) {
        throw new UsageError(option, `${option}: '#' must be a whole level and the last one (got ${JSON.stringify(template)})`);
      }
      if (level.includes('+') && level !== '+') {
        throw new UsageError(option, `${option}: '+' must fill a whole level (got ${JSON.stringify(template)})`);
      }
    });
  }
}

export function renderTemplate(template: string, vars: TemplateVars): string {
  return template.replace(TOKEN, (_, name: string) => (name === 'i' ? String(vars.i) : vars.id));
}

/** Does `topic` match the subscription `filter`? (MQTT 3.1.1 §4.7; `$` topics never match leading wildcards.) */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let n = 0; n < f.length; n++) {
    if (f[n] === '#') return true;
    if (n >= t.length) return false;
    if (f[n] !== '+' && f[n] !== t[n]) return false;
  }
  return f.length === t.length;
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}
