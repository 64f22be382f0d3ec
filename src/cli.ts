#!/usr/bin/env node
// First: the process title hides argv (a password) and stop signals are handled; src/bin.ts does both even earlier.
import './run/process-title.js';
import { abortOnStopSignal, installSignals, unhandledSignal, type StopSignal } from './run/signals.js';
import { writeFile } from 'node:fs/promises';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import {
  checkBooleanValues,
  COMPARE_FLAGS,
  FIND_MAX_FLAGS,
  RUN_FLAGS,
  runFlag,
  runOptionsFrom,
} from './options/flags.js';
import { UsageError } from './errors.js';
import type { RunEvent, Summary } from './report/events.js';
import { ExitCode, isStopCode, stopExitCode, type StopReason } from './report/exit-codes.js';
import { onStdioFailed, stdioOpen, watchStdio, writeErr, writeOut } from './report/stdio.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from './report/log.js';
import { Redactor, secretsOf } from './report/secrets.js';
import { urlSecrets } from './mqtt/broker-url.js';

/*
 * Each command imports what it needs when it runs (`await import` below): every CLI start,
 * a refused one included, would otherwise load and compile MQTT.js, Aedes, Piscina, prom-client,
 * pino and the YAML parser, most of a second of CPU before the first line of the command.
 */

type Args = Record<string, unknown>;

/** Set when yargs rejects the command line; yargs may still call the command's handler after. */
let rejected = false;
/** The command line as given, for what yargs reads past: `--clean=nope`. */
let rawArgs: readonly string[] = [];

/**
 * What the CLI writes itself (errors, compare and merge output, reports) goes through this; a
 * run's own output goes through the run's redactor. It learns the secrets as they become known:
 * MQTT_PASSWORD at once, the command line's when a command starts, the resolved options' after.
 */
let redactor = new Redactor([process.env.MQTT_PASSWORD]);

/** The secrets of a command line before it is resolved: what an error about it might echo. */
function argvSecrets(args: Args): string[] {
  const list = (value: unknown): string[] =>
    value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
  return [...list(args.password), ...list(args.broker).flatMap(urlSecrets)];
}

/** One line, naming the problem, exit 2; never a stack trace for bad input. */
function usageFailure(message: string): void {
  if (rejected) return;
  rejected = true;
  writeErr(`mqtt-fleet: ${redactor.text(message.replace(/\s*\n\s*/g, ' ').trim())} (see mqtt-fleet --help)\n`);
  process.exitCode = ExitCode.Usage;
}

/** One JSON line on stdout, cleaned. */
function printJson(value: object): void {
  writeOut(`${JSON.stringify(redactor.value(value))}\n`);
}

async function runCommand(args: Args): Promise<void> {
  const [{ resolveOptions }, { checkMachineLimits }] = await Promise.all([
    import('./options/index.js'),
    import('./options/limits.js'),
  ]);
  // Resolved once, here: bad input fails before anything starts, and the redactor knows the secrets.
  const resolved = resolveOptions(runOptionsFrom(args));
  redactor = redactor.with(secretsOf(resolved));
  checkMachineLimits(resolved);
  const [{ createLogger }, { Progress }, { runResolved }, { formatSummary }, { publishingWindowMs }] =
    await Promise.all([
      import('./report/logger.js'),
      import('./report/progress.js'),
      import('./run/run.js'),
      import('./report/summary-table.js'),
      import('./metrics/planned.js'),
    ]);
  const json = args.json === true;
  const progress =
    !json && Progress.enabled(process.stderr)
      ? new Progress(process.stderr, resolved.clients, publishingWindowMs(resolved.groups))
      : null;
  const logger = redactor.logger(
    createLogger(
      args['log-level'] as LogLevel,
      args['log-format'] as LogFormat,
      progress ? (text) => progress.writeAbove(text) : undefined,
    ),
  );
  // Events come cleaned by run(), the boundary of everything a run emits.
  const onEvent = (event: RunEvent): void => {
    if (json) writeOut(`${JSON.stringify(event)}\n`);
    else if (event.type === 'message') {
      writeOut(
        `message client=${event.clientId} thread=${event.thread} topic=${event.topic} from=${event.from} seq=${event.seq} latency=${event.latencyMs}ms\n`,
      );
    }
    progress?.onEvent(event);
  };
  const controller = new AbortController();
  const release = stopCleanlyOn(controller, logger, 'stopping clients cleanly');
  let summary: Summary;
  try {
    summary = await runResolved(resolved, { signal: controller.signal, onEvent, logger });
  } finally {
    // Clear the progress line before anything else is written, the summary or an error.
    progress?.done();
    release();
  }
  writeErr(`\n${formatSummary(summary)}`);
  setExitCode(summary.exitCode);
}

/**
 * Until the returned function is called: the first stop signal (Ctrl-C, SIGTERM, SIGHUP) or a
 * closed stdout/stderr aborts `controller` (a clean stop with a summary), a second signal exits at once.
 */
function stopCleanlyOn(
  controller: AbortController,
  logger: { warn(obj: object, msg?: string): void },
  what: string,
): () => void {
  const stop = (reason: StopReason, why: string): void => {
    if (controller.signal.aborted) return;
    logger.warn({ reason }, `${why}: ${what} (press Ctrl-C again to quit at once)`);
    controller.abort(reason);
  };
  const releaseSignals = abortOnStopSignal(controller, (signal: StopSignal) => stop(signal, signal));
  const releaseStdio = onStdioFailed((stream, err) =>
    stop('EPIPE', `${stream} closed (${(err as NodeJS.ErrnoException).code ?? err.message})`),
  );
  return () => {
    releaseSignals();
    releaseStdio();
  };
}

/** The command's exit code, unless its output was cut short (stdout or stderr closed): then 141. */
function setExitCode(code: number): void {
  process.exitCode = isStopCode(code) || (stdioOpen('stdout') && stdioOpen('stderr')) ? code : ExitCode.OutputClosed;
}

/**
 * --report FILE of compare and find-max: written after every run, so checked now, where a bad path
 * cannot cost the runs. The checker is the caller's, loaded with the command.
 */
function reportFile(args: Args, check: (option: string, path: string) => unknown): string | undefined {
  if (Array.isArray(args.report)) throw new UsageError('--report', '--report was given more than once');
  const report = args.report as string | undefined;
  if (report !== undefined) check('--report', report);
  return report;
}

async function compareCommand(args: Args): Promise<void> {
  const [{ comparePlanned, parseModes, planCompare }, { checkOutputFile }] = await Promise.all([
    import('./run/compare.js'),
    import('./options/files.js'),
  ]);
  const input = runOptionsFrom({ ...args, threads: undefined });
  const modes = parseModes(args.threads as string | undefined);
  const json = args.json === true;
  const report = reportFile(args, checkOutputFile);
  // Every mode resolved once, here: bad input fails before anything starts, and the redactor knows the secrets.
  const plan = planCompare({ ...input, threads: modes });
  redactor = redactor.with(plan.runs.flatMap(secretsOf));
  const [{ createLogger }, { formatComparison }, { comparisonHtml }] = await Promise.all([
    import('./report/logger.js'),
    import('./report/compare-table.js'),
    import('./report/html.js'),
  ]);
  const logger = redactor.logger(createLogger(args['log-level'] as LogLevel, args['log-format'] as LogFormat));
  const controller = new AbortController();
  const release = stopCleanlyOn(controller, logger, 'stopping the current mode cleanly');
  try {
    const { comparison } = await comparePlanned(plan, {
      signal: controller.signal,
      logger,
      onSummary: (summary) => {
        if (json) printJson(summary);
        logger.info(
          { mode: summary.mode },
          `${summary.mode} (${summary.threads} threads): ${summary.receivedPerSec} msg/s in, p99 ${summary.latencyMs.p99} ms`,
        );
      },
    });
    if (json) printJson(comparison);
    writeErr(`\n${formatComparison(comparison)}`);
    if (report) {
      await writeFile(report, comparisonHtml(redactor.value(comparison)));
      logger.info({ report }, `report written to ${report}`);
    }
    setExitCode(comparison.exitCode);
  } finally {
    release();
  }
}

async function findMaxCommand(args: Args): Promise<void> {
  const input = runOptionsFrom(args);
  const json = args.json === true;
  const [{ findMax, planFindMax }, { findMaxHtml, formatFindMax, formatStep }, { checkOutputFile }, { createLogger }] =
    await Promise.all([
      import('./run/find-max.js'),
      import('./report/find-max.js'),
      import('./options/files.js'),
      import('./report/logger.js'),
    ]);
  const report = reportFile(args, checkOutputFile);
  for (const flag of ['start-rate', 'max-rate', 'step-duration', 'resolution'])
    if (Array.isArray(args[flag])) throw new UsageError(`--${flag}`, `--${flag} was given more than once`);
  const plan = planFindMax({
    ...input,
    startRate: args['start-rate'] as string | undefined,
    maxRate: args['max-rate'] as string | undefined,
    stepDuration: args['step-duration'] as string | undefined,
    resolution: args.resolution as string | undefined,
    confirm: args.confirm as boolean | undefined,
  });
  redactor = redactor.with(secretsOf(plan.first));
  const level = args['log-level'] as LogLevel;
  const format = args['log-format'] as LogFormat;
  const logger = redactor.logger(createLogger(level, format));
  // Each step is a run: its own start-up lines would bury the table; warnings and errors still show.
  const stepLevel: LogLevel =
    LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf('warn') && level !== 'info' ? level : 'warn';
  const controller = new AbortController();
  const release = stopCleanlyOn(controller, logger, 'stopping the current step cleanly');
  try {
    const result = await findMax(plan, {
      signal: controller.signal,
      logger: redactor.logger(createLogger(stepLevel, format)),
      onStep: (step) => {
        if (json) printJson(step);
        writeErr(`${formatStep(step)}\n`);
      },
    });
    if (json) printJson(result);
    writeErr(`\n${formatFindMax(result)}`);
    if (report) {
      await writeFile(report, findMaxHtml(redactor.value(result)));
      logger.info({ report }, `report written to ${report}`);
    }
    setExitCode(result.exitCode);
  } finally {
    release();
  }
}

async function mergeCommand(args: Args): Promise<void> {
  const [{ mergeResults }, { readShardResults }, { formatSummary }] = await Promise.all([
    import('./shard/merge.js'),
    import('./shard/result.js'),
    import('./report/summary-table.js'),
  ]);
  const files = (args.files as string[]).map(String);
  // Result files from elsewhere (or an older mqtt-fleet): no credentials go out even if one came in.
  const merged = mergeResults(readShardResults(files));
  const summary = Redactor.urls.value(merged.summary);
  const { missing, late } = merged;
  if (args.json === true) printJson(summary);
  for (const { shard, ms } of late) {
    writeErr(
      `mqtt-fleet: shard ${shard} was ready ${ms} ms after --start-at: what was sent to its subscribers before they subscribed counts as not subscribed, not lost\n`,
    );
  }
  writeErr(formatSummary(summary));
  if (missing.length > 0) {
    writeErr(
      `mqtt-fleet: merged ${summary.shards} of ${summary.shards! + missing.length} shards; missing ${missing.join(', ')}: their clients and streams are not counted\n`,
    );
    process.exitCode = ExitCode.Shortfall;
    return;
  }
  setExitCode(summary.exitCode);
}

async function reportCommand(args: Args): Promise<void> {
  const [{ readRun, runReportHtml }, { comparisonHtml }, { checkOutputFile, FILE_LIMITS, readOptionFile }] =
    await Promise.all([import('./report/run-report.js'), import('./report/html.js'), import('./options/files.js')]);
  const input = String(args.input);
  const output = String(args.output);
  checkOutputFile('--output', output);
  const record = Redactor.urls.value(readRun(input, readOptionFile('report', input, FILE_LIMITS.runData)));
  // `compare --json` output: the comparison's page, not its last mode's.
  await writeFile(output, record.comparison ? comparisonHtml(record.comparison) : runReportHtml(record, input));
  writeErr(`mqtt-fleet: report written to ${output}\n`);
}

async function brokerCommand(args: Args): Promise<void> {
  const { parsePort } = await import('./options/parse.js');
  const host = String(args.host);
  const port = parsePort('--port', args.port);
  const [{ createLogger }, { serveAedes }] = await Promise.all([
    import('./report/logger.js'),
    import('./broker/aedes-server.js'),
  ]);
  const logger = createLogger(args['log-level'] as LogLevel, args['log-format'] as LogFormat);
  const server = await serveAedes(host, port).catch((err: unknown) => {
    throw listenFailure(err, host, port);
  });
  server.broker.on('client', (client) => logger.debug({ client: client.id }, `client ${client.id} connected`));
  server.broker.on('clientDisconnect', (client) =>
    logger.debug({ client: client.id }, `client ${client.id} disconnected`),
  );
  const url = `mqtt://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
  logger.info({ url }, `embedded Aedes broker listening on ${url}; Ctrl-C stops it`);
  // Ctrl-C, SIGTERM or SIGHUP stop it (exit 0: the way to stop a broker); a second signal quits at once.
  const controller = new AbortController();
  const release = abortOnStopSignal(controller);
  const signal = await new Promise<StopSignal>((resolve) => {
    const stopped = (): void => resolve(controller.signal.reason as StopSignal);
    if (controller.signal.aborted) stopped();
    else controller.signal.addEventListener('abort', stopped, { once: true });
  });
  await server.close();
  release();
  logger.info({ signal }, 'broker stopped');
}

/** A listener that cannot start is bad input (exit 2) naming the option at fault; anything else is thrown on. */
function listenFailure(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EADDRINUSE':
      return new UsageError('--port', `--port ${port}: ${host}:${port} is already in use (EADDRINUSE)`);
    case 'EACCES':
      return new UsageError('--port', `--port ${port}: not allowed to listen on ${host}:${port} (EACCES)`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UsageError('--host', `--host ${host}: not an address of this machine (${code})`);
    default:
      return err;
  }
}

function handle(command: (args: Args) => Promise<void> | void) {
  return async (args: Args): Promise<void> => {
    if (rejected) return;
    redactor = redactor.with(argvSecrets(args));
    try {
      checkBooleanValues(rawArgs);
      await command(args);
    } catch (err) {
      if (err instanceof UsageError) return usageFailure(err.message);
      const message = err instanceof Error ? err.message : String(err);
      writeErr(`mqtt-fleet: error: ${redactor.text(message)}\n`);
      process.exitCode = ExitCode.Shortfall;
    }
  };
}

/** What cli() reaches of yargs' insides (not in its types): see there. */
interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } };
}

export function cli(argv: string[]): Argv {
  rawArgs = argv;
  const parser = yargs(argv)
    .scriptName('mqtt-fleet')
    .usage('$0 <command> [options]')
    .command(
      'run',
      'Run a fleet of MQTT clients and report throughput, latency and delivery',
      (y) => y.options(RUN_FLAGS),
      handle(runCommand),
    )
    .command(
      'compare',
      'Run the same workload once per thread mode and compare them side by side',
      (y) => y.options(COMPARE_FLAGS),
      handle(compareCommand),
    )
    .command(
      'find-max',
      'Raise the per-client rate step by step, then bisect, to the highest rate the broker sustains within thresholds (default: latency.p99<=50ms, lost==0)',
      (y) => y.options(FIND_MAX_FLAGS),
      handle(findMaxCommand),
    )
    .command(
      'merge <files..>',
      "Merge the results of a sharded run (--shard I/N --out result=FILE, or their --json output) into the fleet's summary",
      (y) =>
        y
          .positional('files', {
            type: 'string',
            array: true,
            description: 'Shard result files, or NDJSON holding shard-result lines',
            demandOption: true,
          })
          .options({ json: { ...runFlag('json'), description: "NDJSON on stdout: the fleet's merged summary line" } }),
      handle(mergeCommand),
    )
    .command(
      'report <input>',
      "Render a run's NDJSON (--json or --out ndjson=) as a self-contained HTML report",
      (y) =>
        y
          .positional('input', { type: 'string', description: 'NDJSON file of a run', demandOption: true })
          .options({ output: { alias: 'o', type: 'string', description: 'HTML file to write', demandOption: true } }),
      handle(reportCommand),
    )
    .command(
      'broker',
      'Run the embedded Aedes broker on its own until Ctrl-C',
      (y) =>
        y.options({
          host: { type: 'string', default: '127.0.0.1', description: 'Address to listen on' },
          port: { alias: 'p', type: 'string', default: '1883', description: 'Port to listen on (0 = any free port)' },
          'log-level': runFlag('log-level'),
          'log-format': runFlag('log-format'),
        }),
      handle(brokerCommand),
    )
    .demandCommand(1, 'name a command: run, compare, merge, report or broker')
    .strict()
    .fail((message, err) => {
      if (err && !(err instanceof UsageError)) throw err;
      usageFailure(err instanceof UsageError ? err.message : message);
    })
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(120, process.stdout.columns ?? 100));
  // Before it calls a command's handler, yargs renders the whole --help text (every run flag) to
  // keep in case the handler shows it; ours never do. That is a third of a second of CPU on every
  // start, a refused one included: it renders help only when help is shown. (Should yargs rename
  // this, the assignment does nothing and the CLI is merely slower to start.)
  const usage = (parser as unknown as YargsInternals).getInternalMethods?.().getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => {};
  return parser;
}

// Containment: a stray error anywhere must not take the run down before its summary is printed.
watchStdio();
installSignals();
process.on('uncaughtException', (err) => {
  writeErr(`mqtt-fleet: internal error (carrying on): ${redactor.text(err.stack ?? err.message)}\n`);
});
process.on('unhandledRejection', (reason) => {
  const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
  writeErr(`mqtt-fleet: internal error (carrying on): ${redactor.text(text)}\n`);
});

await cli(hideBin(process.argv)).parseAsync();
// A signal no command was in charge of (it came during a quick command, or after the summary): its code.
const late = unhandledSignal();
if (late && !isStopCode(Number(process.exitCode ?? 0))) process.exitCode = stopExitCode(late);
