/**
 * Broker URLs and the credentials they may carry (`mqtt://user:pass@host`): found and masked
 * wherever they appear, by a scan that imports nothing of ours, so that every layer (an error
 * serialized in a worker, an option check, the redactor every output passes through) masks
 * them alike.
 */

/** What stands for a secret in any output. */
export const MASK = '***';

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
  return span
    ? `${url.slice(0, span.start)}${maskUserinfo(url.slice(span.start, span.end))}${url.slice(span.end)}`
    : url;
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
