import { PAYLOAD_TOKEN } from '../mqtt/templates.js';
import { at } from '../mqtt/checked.js';

/** Renders one message from its sequence number and send time (epoch ms): no object per message. */
type Render = (seq: number, ts: number) => Buffer;

/**
 * A payload template compiled once per client into literal parts and per-message slots, so
 * rendering a message is a join, not a regex pass: {seq}, {ts} (epoch ms) and {rand:N} (N
 * random bytes, hex) per message; {i}, {id}, {n}, {group} fixed per client.
 */
export function compilePayload(template: string, fixed: Record<string, string>): Render {
  const parts: (string | ((seq: number, ts: number) => string))[] = [];
  let last = 0;
  for (const match of template.matchAll(PAYLOAD_TOKEN)) {
    parts.push(template.slice(last, match.index));
    const name = at(match, 1);
    if (name === 'seq') parts.push((seq) => String(seq));
    else if (name === 'ts') parts.push((_, ts) => String(Math.round(ts)));
    else if (name.startsWith('rand:')) {
      const bytes = Number(name.slice(5));
      parts.push(() => randomHex(bytes));
    } else parts.push(fixed[name] ?? match[0]);
    last = match.index + match[0].length;
  }
  parts.push(template.slice(last));
  const merged = parts.filter((p) => p !== '');
  return (seq, ts) => {
    let out = '';
    for (const part of merged) out += typeof part === 'string' ? part : part(seq, ts);
    return Buffer.from(out);
  };
}

/**
 * `bytes` random bytes in hex, from Web Crypto (at most 9,999: {rand:N} has up to 4 digits, within
 * its 65,536 per call): node:crypto's modules would cost every thread about 8 ms of CPU to load
 * for the few runs whose payloads ask for random bytes; the global loads them on first use.
 */
function randomHex(bytes: number): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}
