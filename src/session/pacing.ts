/**
 * The adaptive connect window's rule (--connect-concurrency auto), applied once per round: a
 * window's worth of completed attempts. Delay-based, as TCP Vegas is, on the broker's part of
 * an attempt (CONNECT sent to CONNACK): the quickest ever is what it costs with nothing queued
 * (the base). When even a round's quickest waited well beyond it (and at least 30 ms), attempts
 * are queueing (in the broker's accept queue, or in our own loop, where more in flight buys
 * nothing): the window shrinks by a quarter. Otherwise it doubles up to 64, the old fixed
 * default (a busy machine's waits for a core are not the broker's); past 64 it grows by an
 * eighth a round only while the round's quickest and mean CONNACK stay near the base, and
 * holds otherwise. An attempt whose TCP connect took a second (a SYN lost to a full backlog
 * waits 1 s for its retransmit), or that failed after a second (a timeout), halves it, and doubling stops there from then
 * on. The round's quickest decides queueing, not its average, so that a GC pause or a late
 * timer in the round does not count as queueing.
 */
export const PACING = {
  /** The window a run starts with. */
  initial: 8,
  /**
   * Doubling stops here (or where a SYN was lost); above it the window grows by an eighth a
   * round, probing gently past what was the fixed default (64, under Mosquitto's backlog of 100)
   * rather than doubling past a backlog in one round.
   */
  ssthresh: 64,
  min: 2,
  /** Linux's default somaxconn: no listen backlog is larger by default. */
  max: 4096,
  /** An attempt this slow is a loss (a SYN retransmit waits 1 s). */
  lossMs: 1000,
  /**
   * Quick: the round's CONNACKs took at most base x factor + slack. Queueing: its quickest took
   * more than that and at least floorMs. The floor is for a busy machine, where a thread waits
   * for a core 10-50 ms at a time: that wait does not grow with the window, and shrinking the
   * window for it only slows the run.
   */
  queueFactor: 2,
  queueSlackMs: 5,
  queueFloorMs: 30,
} as const;

export interface RoundEnd {
  window: number;
  /** Grow by doubling below this (unless queueing): PACING.ssthresh, lowered to half the window at each loss. */
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
  if (r.roundMinMs > Math.max(quick, PACING.queueFloorMs))
    return { window: clamp((r.window * 3) / 4), ssthresh: r.ssthresh };
  // Below the old fixed default (or below where a SYN was last lost), back up by doubling unless
  // queueing: a busy machine's waits for a core (or threads starting) are not the broker's.
  if (r.window < r.ssthresh) return { window: clamp(Math.min(r.window * 2, r.ssthresh)), ssthresh: r.ssthresh };
  // Past it, only while the round's quickest and mean CONNACK are quick: connections waiting in
  // a broker's accept queue show in the mean before its backlog overflows and SYNs are dropped.
  if (r.roundMinMs > quick || (r.roundMeanMs !== null && r.roundMeanMs > quick))
    return { window: r.window, ssthresh: r.ssthresh };
  return { window: clamp(r.window + Math.max(1, r.window / 8)), ssthresh: r.ssthresh };
}
