/** A logger for run() that hands every info line (ctx.log lines, the metrics URL) to `onInfo` and drops the rest. */
export function infoLogger(onInfo: (line: string) => void): {
  debug(): void;
  warn(): void;
  error(): void;
  info(fields: object, msg?: string): void;
} {
  return { debug() {}, warn() {}, error() {}, info: (_: object, msg?: string) => onInfo(msg ?? '') };
}
