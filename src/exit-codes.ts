/** Named exit codes, as k6 does: scripts and CI can branch on them. */
export const ExitCode = {
  /** Every client finished and nothing was lost where the QoS promised delivery. */
  Ok: 0,
  /** The run fell short: a client gave up or failed, or messages were lost at QoS 1 or 2. */
  Shortfall: 1,
  /** Bad input: an invalid option, before anything connected. */
  Usage: 2,
  /** Stopped by SIGINT (Ctrl-C) after a clean shutdown. */
  Interrupted: 130,
  /** Stopped by SIGTERM after a clean shutdown. */
  Terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
