import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import yargs from 'yargs';
import { COMPARE_FLAGS, RUN_FLAGS, runOptionsFrom } from '../../src/options/flags.js';
import { resolveOptions } from '../../src/index.js';
import { publishingWindowMs } from '../../src/metrics/planned.js';
import { parseModes } from '../../src/run/compare.js';
import { at } from '../../src/mqtt/checked.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(`${ROOT}README.md`, 'utf8');

/** The quick start's `npx mqtt-fleet run|compare` commands: their arguments and the time their comment promises. */
function quickStart(): { line: string; command: string; args: string[]; promisedS: number | null }[] {
  const block = at(/## Quick start\n\n```sh\n([\s\S]*?)```/.exec(README) ?? [], 1);
  return block
    .split('\n')
    .filter((line) => /^npx mqtt-fleet (run|compare)\b/.test(line))
    .map((line) => {
      const [commandLine = '', comment = ''] = line.split(/\s#\s/);
      // The first command of the line, up to a redirection or the next command.
      const words = (commandLine.split(/\s(?:>|&&)\s/)[0] ?? '')
        .trim()
        .split(/\s+/)
        .slice(2)
        .map((word) => word.replace(/^'(.*)'$/, '$1')); // the shell's quotes
      const promised = /~(\d+) s/.exec(comment);
      return { line, command: words[0] ?? '', args: words.slice(1), promisedS: promised ? Number(promised[1]) : null };
    });
}

test("every quick-start run finishes in seconds, and its comment says about how long (publishing time can't exceed it)", () => {
  const lines = quickStart();
  assert.ok(lines.length >= 3, 'the quick start has its run and compare lines');
  for (const { line, command, args, promisedS } of lines) {
    const flags = command === 'compare' ? COMPARE_FLAGS : RUN_FLAGS;
    const parsed = yargs(args).options(flags).strict().parseSync();
    const modes = command === 'compare' ? parseModes(parsed.threads as string | undefined).length : 1;
    const options = runOptionsFrom({ ...parsed, threads: command === 'compare' ? undefined : parsed.threads });
    if (options.scenario !== undefined) options.scenario = `${ROOT}${options.scenario}`;
    const window = publishingWindowMs(resolveOptions(options).groups);
    assert.notEqual(window, null, `${line}: a plan that ends in time`);
    const seconds = ((window ?? Infinity) * modes) / 1000;
    assert.ok(seconds <= 15, `${line}: ${seconds} s of publishing is not a quick start`);
    assert.notEqual(promisedS, null, `${line}: says how long it takes (~N s)`);
    assert.ok((promisedS ?? 0) >= seconds, `${line}: promises ~${promisedS} s but publishes for ${seconds} s`);
  }
});
