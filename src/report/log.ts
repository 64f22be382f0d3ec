import { Writable } from 'node:stream';
import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import { stdioFailed, writeErr } from './stdio.js';

/** The little a run needs from a logger; pino's Logger satisfies it. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const noop = (): void => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Keys whose values never reach a log line. */
const REDACT = ['password', '*.password', 'options.password', 'settings.password', 'passwordFile'];

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Logs go to stderr only, so stdout stays data. Readable lines by default, wherever stderr goes
 * (`2> run.log` reads like the terminal; on a terminal through `sink`, so they scroll above the
 * progress line); JSON lines only when asked (`--log-format json`). Colour only on a TTY without NO_COLOR.
 */
export function createLogger(
  level: LogLevel = 'info',
  format: LogFormat = 'pretty',
  sink?: (text: string) => void,
): PinoLogger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: null };
  if (format === 'json') {
    const destination = pino.destination({ fd: 2, sync: true });
    const logger = pino(options, destination);
    // A closed stderr (EPIPE) is noted once, not thrown out of whichever line logged; nothing more is written.
    destination.on('error', (err: Error) => {
      logger.level = 'silent';
      stdioFailed('stderr', err);
    });
    return logger;
  }
  const write = sink ?? writeErr;
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      write(chunk.toString());
      done();
    },
  });
  return pino(
    options,
    pretty({
      destination,
      sync: true,
      colorize: process.stderr.isTTY === true && !process.env.NO_COLOR,
      ignore: 'pid,hostname',
      translateTime: 'HH:MM:ss.l',
      hideObject: true,
    }),
  );
}
