import { randomBytes } from 'node:crypto';
import { PAYLOAD_TOKEN } from './templates.js';

/** Per-message values of a payload template; the per-client ones are fixed at compile time. */
export interface MessageVars {
  seq: number;
  /** Send time, epoch ms. */
  ts: number;
}

/**
 * A payload template compiled once per client into literal parts and per-message slots, so
 * rendering a message is a join, not a regex pass: {seq}, {ts} (epoch ms) and {rand:N} (N
 * random bytes, hex) per message; {i}, {id}, {n}, {group} fixed per client.
 */
export function compilePayload(template: string, fixed: Record<string, string>): (vars: MessageVars) => Buffer {
  const parts: (string | ((v: MessageVars) => string))[] = [];
  let last = 0;
  for (const match of template.matchAll(PAYLOAD_TOKEN)) {
    parts.push(template.slice(last, match.index));
    const name = match[1]!;
    if (name === 'seq') parts.push((v) => String(v.seq));
    else if (name === 'ts') parts.push((v) => String(Math.round(v.ts)));
    else if (name.startsWith('rand:')) {
      const bytes = Number(name.slice(5));
      parts.push(() => randomBytes(bytes).toString('hex'));
    } else parts.push(fixed[name] ?? match[0]);
    last = match.index + match[0].length;
  }
  parts.push(template.slice(last));
  const merged = parts.filter((p) => p !== '');
  return (vars) => {
    let out = '';
    for (const part of merged) out += typeof part === 'string' ? part : part(vars);
    return Buffer.from(out);
  };
}
