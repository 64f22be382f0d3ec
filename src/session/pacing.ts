/**
 * The adaptive connect window's rule (--connect-concurrency auto), applied once per round: a
 * window's worth of completed attempts. Delay-based, as TCP Vegas is, on the broker's part of
 * an attempt (CONNECT sent to CONNACK): the quickest ever is what it costs with nothing queued
 * (the base). While a round's quickest stays near it, more attempts in flight are served as
 * fast, so the window grows (doubling up to 64 or the first round that is not quick, then by
 * an eighth a round while the round's mean CONNACK is quick too).
 * When even the round's quickest waited well beyond it, attempts are queueing (in the broker's
 * accept queue, or in our own loop, where more in flight buys nothing): it shrinks by a quarter;
 * in between, it holds.
 * An attempt that took a second (a SYN lost to a full backlog waits 1 s for its retransmit, a
 * CONNACK that slow, a timeout) halves it. The round's quickest, not its average, so that a GC
 * pause or a late timer in the round does not count as queueing.
 */
export const PACING = {
  /** The window a run starts with. */
  initial: 8,
  /**
   * Doubling stops here (or at the first round that is not quick); above it the window grows by
   * an eighth a round, probing gently past what was the fixed default (64, under Mosquitto's
   * backlog of 100) before a burst of doublings could overflow a backlog in one round.
   */
  ssthresh: 64,
  min: 2,
  /** Linux's default somaxconn: no listen backlog is larger by default. */
  max: 4096,
  /** An attempt this slow is a loss (a SYN retransmit waits 1 s). */
  lossMs: 1000,
  /**
   * Quick: the round's quickest CONNACK took at most base x factor + slack; the window grows.
   * Queueing: it took more than that and at least floorMs; the window shrinks. In between it
   * holds. The floor is for a busy machine, where a thread waits for a core 10-50 ms at a time:
   * that delay does not grow with the window, and shrinking the window for it only slows the run.
   */
  queueFactor: 2,
  queueSlackMs: 5,
  queueFloorMs: 30,
} as const;

export interface RoundEnd {
  window: number;
  /** Grow by doubling below this; it is set at each back-off. */
  ssthresh: number;
  /** The quickest attempt ever (ms). */
  baseMs: number;
  /** The quickest successful attempt of the round (ms); null when none succeeded. */
  roundMinMs: number | null;
  /** The round's mean CONNACK (ms); null when none came. */
  roundMeanMs: number | null;
  /** Attempts of the round that took PACING.lossMs or longer. */
  losses: number;
}

export function nextWindow(r: RoundEnd): { window: number; ssthresh: number } {
  const clamp = (w: number): number => Math.max(PACING.min, Math.min(PACING.max, Math.round(w)));
  if (r.losses > 0) {
    const window = clamp(r.window / 2);
    return { window, ssthresh: window };
  }
  // Nothing connected and nothing slow: the broker refused or reset quickly; hold.
  if (r.roundMinMs === null) return { window: r.window, ssthresh: r.ssthresh };
  const quick = r.baseMs * PACING.queueFactor + PACING.queueSlackMs;
  if (r.roundMinMs > Math.max(quick, PACING.queueFloorMs)) {
    const window = clamp((r.window * 3) / 4);
    return { window, ssthresh: window };
  }
  // Not quick, not yet queueing for certain (a busy machine's waits for a core look like this):
  // hold, and grow only gently from here on.
  if (r.roundMinMs > quick) return { window: r.window, ssthresh: Math.min(r.ssthresh, r.window) };
  if (r.window < r.ssthresh) return { window: clamp(r.window * 2), ssthresh: r.ssthresh };
  // Past it, only while the round's mean is quick too: connections waiting in a broker's accept
  // queue show there first, before its backlog overflows and SYNs are dropped.
  if (r.roundMeanMs !== null && r.roundMeanMs > quick) return { window: r.window, ssthresh: r.ssthresh };
  return { window: clamp(r.window + Math.max(1, r.window / 8)), ssthresh: r.ssthresh };
}
