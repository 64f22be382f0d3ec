import { redactUrlCredentials } from './mqtt/broker-url.js';

/** A problem with what the user asked for: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    /** The option at fault, e.g. `--qos`; named in the message too. */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/** A check's finding, if any, as a UsageError naming `option`. */
export function refuse(option: string, problem: string | null): void {
  if (problem !== null) throw new UsageError(option, problem);
}

/** Errors cross threads as plain data (structured clone drops class and extra fields). */
export interface SerializedError {
  name: string;
  message: string;
  code?: string | number;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const out: SerializedError = { name: err.name, message: redactUrlCredentials(err.message) };
    if (typeof code === 'string' || typeof code === 'number') out.code = code;
    return out;
  }
  return { name: 'Error', message: redactUrlCredentials(String(err)) };
}

/** One short line for humans: `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1883`. */
export function describeError(err: SerializedError): string {
  // A refusal's message names its CONNACK code already (mqtt/refusal.ts): `CONNACK_4:` before it says nothing more.
  const named =
    err.code === undefined || err.message.includes(String(err.code)) || /^CONNACK_\d+$/.test(String(err.code));
  if (!named) return `${err.code}: ${err.message}`;
  return err.message;
}
