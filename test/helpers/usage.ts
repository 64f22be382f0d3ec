import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.js';
import { runOptionsFrom } from '../../src/options/flags.js';
import { resolveOptions } from '../../src/options/index.js';
import { checkMachineLimits } from '../../src/options/limits.js';

/*
 * Bad input checked in this process, through the validation the CLI's commands call. A spawned
 * CLI costs a Node start-up (0.15-0.2 CPU-s) to prove what the CLI adds to a UsageError (exit 2,
 * the one line on stderr, nothing on stdout), which the files using these keep one spawn for;
 * the other cases of the same kind only need the message.
 */

/** A UsageError whose message is `line` exactly, or matches it. */
function isUsage(err: unknown, line: string | RegExp, what: string): true {
  assert.ok(err instanceof UsageError, `${what}: a UsageError, not ${String(err)}`);
  if (typeof line === 'string') assert.equal(err.message, line, what);
  else assert.match(err.message, line, what);
  return true;
}

/** `fn` throws a UsageError whose message is `line` (what the CLI prints between `mqtt-fleet: ` and its hint). */
export function throwsUsage(fn: () => unknown, line: string | RegExp, what = String(line)): void {
  assert.throws(fn, (err: unknown) => isUsage(err, line, what), `${what}: refused`);
}

/** As throwsUsage, for a promise that must reject; the UsageError it rejected with, for further checks. */
export async function rejectsUsage(
  promise: Promise<unknown>,
  line: string | RegExp,
  what = String(line),
): Promise<UsageError> {
  let refusal: UsageError | undefined;
  await assert.rejects(
    promise,
    (err: unknown) => {
      isUsage(err, line, what);
      refusal = err as UsageError;
      return true;
    },
    `${what}: refused`,
  );
  assert.ok(refusal);
  return refusal;
}

/**
 * What `run` says of `flags` (as yargs hands them to the command: flag names, values as typed, a
 * flag given twice as a list) in the steps the CLI's run command takes before anything starts
 * (runOptionsFrom, resolveOptions, checkMachineLimits), with no environment: the UsageError's
 * message, or null if they pass. Anything thrown that is not a UsageError is thrown on.
 */
export function runRefusal(flags: Record<string, unknown>): string | null {
  try {
    checkMachineLimits(resolveOptions(runOptionsFrom(flags), {}));
    return null;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return err.message;
  }
}

/** `run` refuses `flags` (see runRefusal) with `line`. */
export function refusedRun(flags: Record<string, unknown>, line: string | RegExp): void {
  const what = `run ${JSON.stringify(flags).slice(0, 100)}`;
  const message = runRefusal(flags);
  assert.ok(message !== null, `${what}: refused`);
  if (typeof line === 'string') assert.equal(message, line, what);
  else assert.match(message, line, what);
}
