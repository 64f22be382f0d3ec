import { Writable } from 'node:stream';
import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from './log.js';
import { stdioFailed, writeErr } from './stdio.js';

/** Keys whose values never reach a log line. */
const REDACT = ['password', '*.password', 'options.password', 'settings.password', 'passwordFile'];

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
