/**
 * Named exit codes, as k6 does: scripts and CI can branch on them. The run picks one; the
 * summary line carries it and the summary table says what it means, so it is declared here.
 */
export const ExitCode = {
  /** Every client finished and nothing was lost where the QoS promised delivery. */
  Ok: 0,
  /** The run fell short: a client gave up or failed, or messages were lost at QoS 1 or 2. */
  Shortfall: 1,
  /** Bad input: an invalid option, before anything connected. */
  Usage: 2,
  /**
   * A --threshold was crossed (at the end, or during the run with --abort-on-fail), as k6 does.
   * Never hides a shortfall: a lost message or a client that gave up is still 1.
   */
  ThresholdCrossed: 99,
  /** Stopped by SIGHUP (the terminal went away) after a clean shutdown. */
  HangUp: 129,
  /** Stopped by SIGINT (Ctrl-C) after a clean shutdown. */
  Interrupted: 130,
  /**
   * --threads 0: a workload hook blocked the main event loop past --hook-timeout, so the
   * watchdog thread ended the process with SIGKILL (nothing else can stop a loop that never
   * yields); shells report 128 + 9.
   */
  Watchdog: 137,
  /** stdout or stderr was closed under us (`--json | head -1`, EPIPE): stopped cleanly, as SIGPIPE would have. */
  OutputClosed: 141,
  /** Stopped by SIGTERM after a clean shutdown. */
  Terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Why a run was stopped early: a signal, or its own output going away. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'EPIPE';

const STOP_CODES: Record<StopReason, ExitCode> = {
  SIGINT: ExitCode.Interrupted,
  SIGTERM: ExitCode.Terminated,
  SIGHUP: ExitCode.HangUp,
  EPIPE: ExitCode.OutputClosed,
};

/** An AbortSignal's reason as a stop reason: anything else (a library caller's own abort) counts as Ctrl-C. */
export function stopReason(reason: unknown): StopReason {
  return typeof reason === 'string' && reason in STOP_CODES ? (reason as StopReason) : 'SIGINT';
}

export function stopExitCode(reason: StopReason): ExitCode {
  return STOP_CODES[reason];
}

/** The exit codes that mean "stopped early, cleanly, with the figures so far". */
export function isStopCode(code: number): boolean {
  return Object.values(STOP_CODES).includes(code as ExitCode);
}
