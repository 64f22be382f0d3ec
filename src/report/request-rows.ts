import type { Summary } from './events.js';
import { fmtInt, fmtMs } from './format.js';

/** The summary table's request/response rows: how every request ended, the responders' side, the round trip. */
export function requestRows(s: Summary, red: (text: string) => string): [string, string][] {
  const r = s.requests;
  if (r === null) return [];
  const bad = (n: number, text: string): string => (n > 0 ? red(text) : text);
  const rows: [string, string][] = [];
  if (r.sent > 0)
    rows.push([
      'requests',
      `${fmtInt(r.sent)} sent · ${fmtInt(r.answered)} answered · ${bad(r.timedOut, `${fmtInt(r.timedOut)} timed out`)}${r.late > 0 ? ` (${fmtInt(r.late)} answered late)` : ''} · ${fmtInt(r.pending)} pending${r.duplicates + r.stray > 0 ? ` · ${fmtInt(r.duplicates)} duplicate, ${fmtInt(r.stray)} stray responses` : ''}`,
    ]);
  if (r.requestsIn > 0)
    rows.push([
      'responders',
      `${fmtInt(r.requestsIn)} requests received · ${fmtInt(r.responded)} responses sent · ${fmtInt(r.dropped)} dropped by the hook · ${bad(r.unsent, `${fmtInt(r.unsent)} not sent`)}`,
    ]);
  const rt = r.roundTripMs;
  if (r.sent > 0)
    rows.push([
      'round trip',
      rt.count === 0
        ? 'no responses in time'
        : `p50 ${fmtMs(rt.p50)} · p90 ${fmtMs(rt.p90)} · p99 ${fmtMs(rt.p99)} · p99.9 ${fmtMs(rt.p999)} · max ${fmtMs(rt.max)}`,
    ]);
  return rows;
}
