/**
 * Options given (flags, a scenario's defaults, a library caller) to resolved options: every
 * option parsed and every rule between them checked at once, before anything starts.
 */
import { refuse, UsageError } from '../errors.js';
import { checkMqtt5Flags, flagsGroupMqtt5 } from './mqtt5.js';
import { shareOf } from '../mqtt/templates.js';
import { stagesProblem } from './comings.js';
import { planLengthMs } from '../metrics/client-plan.js';
import { fleetThreads, type GroupProfile, type TlsOptions } from '../group.js';
import { identityFile, tlsSettings } from './identity.js';
import { camel } from './spec.js';
import { DEFAULTS, labelOf, OPTION_ENTRIES } from './table.js';
import type { ParsedOptions, ResolvedOptions, RunOptions } from './types.js';
import { checkFlatPackets, parseConnectRate, parseOutputs, parseShard, parseThresholds } from './parsers.js';
import {
  checkBrokerUrl,
  FILE_LIMITS,
  newRunId,
  parseBoolean,
  parseClientSet,
  parseDuration,
  parsePort,
  parsePublishDuration,
  parseSessionExpiry,
  parseThreads,
  planProblem,
  readOptionFile,
} from './parse.js';
import { checkMqttString } from './packet-limits.js';
import { resolveMaxPacketSize } from './packet-size.js';
import { definedOnly, scenarioDefaults } from './scenario/defaults.js';
import { resolveScenarioGroups, scenarioClientCount } from './scenario/groups.js';
import { loadScenario } from './scenario/load.js';
import { scenarioThresholds } from './scenario/thresholds.js';
import { at } from '../mqtt/checked.js';
import { RateSchedule } from '../metrics/schedule.js';
import { peakRate } from './stages.js';

/**
 * Parse and validate every option at once, before anything starts. Throws UsageError naming the
 * option (or, for a scenario, the file, line and path). Scenario `defaults` sit under the options
 * given here, which sit under each group's own settings.
 */
export function resolveOptions(input: RunOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  if (input.scenario === undefined) {
    const resolved = resolveFlat(input, env);
    checkMqtt5Flags(input, resolved.protocolVersion, false);
    if (resolved.subNoLocal && shareOf(resolved.subTopic))
      throw new UsageError(
        '--sub-no-local',
        '--sub-no-local cannot be set on a shared subscription ($share/...): MQTT forbids it',
      );
    resolved.groups = [groupFromFlags(resolved)];
    resolved.maxPacketSize = resolveMaxPacketSize(input.maxPacketSize, resolved.groups);
    checkFlatPackets(at(resolved.groups, 0), resolved.runId, input);
    return checkShardBroker(resolved);
  }
  for (const flag of ['clients', 'topic', 'subTopic', 'workClients'] as const) {
    if (input[flag] !== undefined)
      throw new UsageError(labelOf(flag), `${labelOf(flag)} does not go with --scenario: the scenario's groups say it`);
  }
  checkMqtt5Flags(input, 5, true);
  const scenario = loadScenario(input.scenario, env);
  const { defaults, spelling } = scenarioDefaults(scenario);
  const merged: RunOptions = { ...defaults, ...definedOnly(input) };
  delete merged.scenario;
  let resolved: ResolvedOptions;
  try {
    resolved = resolveFlat({ ...merged, clients: scenarioClientCount(scenario) }, env);
  } catch (err) {
    // A bad default from the file is reported at its line, not as a flag the user never typed.
    const key = err instanceof UsageError ? camel(err.option.replace(/^--/, '')) : '';
    if (err instanceof UsageError && key in defaults && !(key in definedOnly(input))) {
      scenario.fail(['defaults', spelling.get(key) ?? key], err.message.replace(err.option, '').trim());
    }
    throw err;
  }
  const groups = resolveScenarioGroups(scenario, resolved);
  resolved.groups = groups;
  resolved.maxPacketSize = resolveMaxPacketSize(merged.maxPacketSize, groups);
  resolved.scenario = scenario.file;
  resolved.thresholds.push(...scenarioThresholds(scenario, resolved.abortOnFail));
  // Read by run(): named brokers for every group need no embedded one.
  resolved.embeddedBroker = groups.some((g) => g.brokers.length === 0) && resolved.brokers.length === 0;
  // Nothing in mqtt-fleet reads these two for a scenario (the groups say it); kept true for library callers.
  const modes = new Set(groups.map((g) => g.mode));
  const [only, ...others] = modes;
  resolved.mode = only !== undefined && others.length === 0 ? only : resolved.mode;
  resolved.threads = fleetThreads(groups);
  return checkShardBroker(resolved);
}

/** Shards each starting an embedded broker would be separate fleets, which `merge` would add up as one. */
function checkShardBroker(resolved: ResolvedOptions): ResolvedOptions {
  if (resolved.shard && resolved.embeddedBroker) {
    throw new UsageError(
      '--shard',
      '--shard needs --broker (or brokers for every scenario group): each shard would start an embedded broker of its own, and their results would not be one fleet',
    );
  }
  return resolved;
}

/**
 * Every option that stands alone, through its table entry's parser: the value given, else its
 * default, else its `absent` value (copied, so no two runs share one).
 */
function parseEach(input: RunOptions): ParsedOptions {
  const given: Record<string, unknown> = input;
  const parsed: Record<string, unknown> = {};
  for (const [key, spec] of OPTION_ENTRIES) {
    if (spec.parse === undefined) continue;
    // A default stands in for undefined and null alike; without one, null is the parser's to refuse.
    const value = spec.default === undefined ? given[key] : (given[key] ?? spec.default);
    // Each parser checks what it is given: a library caller's value has only been typed, not checked.
    const parse = spec.parse as (label: string, value: unknown) => unknown;
    parsed[spec.resolved ?? key] = value === undefined ? structuredClone(spec.absent) : parse(labelOf(key), value);
  }
  return parsed as ParsedOptions;
}

/** The options of a plain run (or a scenario's run-wide ones): those that stand alone, then those that depend on others. */
function resolveFlat(input: RunOptions, env: NodeJS.ProcessEnv): ResolvedOptions {
  const parsed = parseEach(input);
  const { clients, rate, count, workMs, stages } = parsed;
  // An empty list is the embedded broker; an empty URL in it is refused, not dropped.
  const brokers = (input.brokers === undefined ? [] : Array.isArray(input.brokers) ? input.brokers : [input.brokers])
    .map(String)
    .map((url) => checkBrokerUrl(url));
  // What a publisher that comes and goes would send on a ramp is not planned yet: refused, not miscounted.
  if (stages !== null && parsed.clientStages !== null)
    throw new UsageError('--client-stages', '--client-stages does not go with --stages yet: give a fixed --rate');
  if (stages !== null) {
    for (const key of ['rate', 'duration', 'count'] as const) {
      if (input[key] !== undefined)
        throw new UsageError(
          labelOf(key),
          `${labelOf(key)} does not go with --stages: the stages say the rate and, by their sum, how long publishing lasts`,
        );
    }
  }
  // Staged: publishing lasts the stages' sum, which groups that give only a rate inherit too.
  let durationMs =
    stages !== null
      ? new RateSchedule(stages).durationMs
      : input.duration === undefined
        ? undefined
        : parsePublishDuration('--duration', input.duration);
  // A plan of connected clients publishes for as long as it lasts, unless told otherwise.
  if (count === undefined && durationMs === undefined)
    durationMs =
      parsed.clientStages !== null ? planLengthMs(parsed.clientStages) : parseDuration('--duration', DEFAULTS.duration);
  refuse('--client-stages', stagesProblem('--client-stages', parsed.clientStages, clients));
  if (rate === 0 && count === undefined) {
    throw new UsageError('--rate', '--rate 0 (unpaced) needs --count, so the run has a bound');
  }
  if (parsed.warmupMs > 0 && durationMs !== undefined && parsed.warmupMs >= durationMs) {
    throw new UsageError(
      '--warmup',
      `--warmup must be shorter than the publishing time (--duration ${durationMs} ms, --warmup ${parsed.warmupMs} ms): nothing would be measured`,
    );
  }
  const plan = stages === null ? planProblem({ rate, count, durationMs }) : null;
  if (plan !== null) throw new UsageError('--rate', `--rate ${plan}`);
  const { mode, threads } = parseThreads(input.threads ?? DEFAULTS.threads);
  const runId = input.runId ?? env.MQTT_FLEET_RUN_ID ?? newRunId();
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(runId))
    throw new UsageError('--run-id', '--run-id must be 1-32 letters, digits, - or _');
  const idPrefix = input.idPrefix ?? `mqtt-fleet-${runId}-`;
  if (input.workClients !== undefined && workMs === 0)
    throw new UsageError('--work-clients', '--work-clients needs --work');
  if (input.metricsHost !== undefined && input.metricsPort === undefined)
    throw new UsageError('--metrics-host', '--metrics-host needs --metrics-port');
  const workClients =
    workMs > 0 ? parseClientSet('--work-clients', input.workClients ?? DEFAULTS.workClients, clients) : [];
  const username = input.username ?? env.MQTT_USERNAME;
  if (input.passwordFile !== undefined && input.password !== undefined) {
    throw new UsageError('--password-file', '--password-file and --password both give a password: use one');
  }
  const password =
    input.passwordFile !== undefined
      ? at(readOptionFile('--password-file', input.passwordFile, FILE_LIMITS.password).split(/\r?\n/), 0)
      : (input.password ?? env.MQTT_PASSWORD);
  // A scenario's defaults (or a library caller) may give a number: refused without showing it.
  if (password !== undefined && typeof password !== 'string')
    throw new UsageError(
      '--password',
      `--password must be a string (got a ${typeof password}; the value is not shown)`,
    );
  // Checked here as well as per group: a scenario's groups inherit them.
  checkMqttString('--username', username, 'a user name');
  checkMqttString(input.passwordFile !== undefined ? '--password-file' : '--password', password, 'a password');
  let sessionExpirySec: number | undefined;
  if (input.sessionExpiry !== undefined) {
    if (parsed.protocolVersion !== 5)
      throw new UsageError(
        '--session-expiry',
        '--session-expiry needs --mqtt-version 5 (MQTT 3.1.1 has no session expiry)',
      );
    sessionExpirySec = parseSessionExpiry('--session-expiry', input.sessionExpiry);
  }
  const tls: TlsOptions = {
    rejectUnauthorized: !parseBoolean('--insecure', input.insecure ?? DEFAULTS.insecure),
    ...(input.ca === undefined ? {} : { ca: readOptionFile('--ca', input.ca, FILE_LIMITS.pem) }),
  };
  if (input.cert !== undefined) {
    const { contents, template } = identityFile('--cert', input.cert, process.cwd());
    if (template === undefined) tls.cert = contents;
    else tls.certFile = template;
  }
  if (input.key !== undefined) {
    const { contents, template } = identityFile('--key', input.key, process.cwd());
    if (template === undefined) tls.key = contents;
    else tls.keyFile = template;
  }
  Object.assign(tls, tlsSettings(input, env));
  if ((input.cert === undefined) !== (input.key === undefined)) {
    throw new UsageError(
      input.cert === undefined ? '--cert' : '--key',
      '--cert and --key go together: a client certificate needs its key',
    );
  }
  // With --credentials, each row may give the user name.
  if (password !== undefined && username === undefined && parsed.credentials === null) {
    throw new UsageError(
      '--password',
      '--password needs --username (MQTT 3.1.1 sends a password only with a user name)',
    );
  }
  const shard = parseShard(input, env, clients);
  const resolved: ResolvedOptions = {
    ...parsed,
    runId,
    brokers,
    embeddedBroker: brokers.length === 0,
    durationMs,
    username,
    password,
    idPrefix,
    // Set by resolveOptions once the groups, and so the largest payload, are known.
    maxPacketSize: 0,
    mode,
    threads: threads === 'per-client' ? clients : threads,
    workClients,
    connectRate: parseConnectRate(input.connectRate ?? DEFAULTS.connectRate, clients),
    sessionExpirySec,
    tls,
    groups: [],
    scenario: null,
    metrics:
      input.metricsPort === undefined
        ? null
        : { host: input.metricsHost ?? DEFAULTS.metricsHost, port: parsePort('--metrics-port', input.metricsPort) },
    shard,
    outputs: parseOutputs(input.out, shard),
    thresholds: parseThresholds(input.threshold, parsed.abortOnFail),
  };
  if (resolved.shard && input.runId === undefined && env.MQTT_FLEET_RUN_ID === undefined) {
    throw new UsageError(
      '--shard',
      '--shard needs --run-id (or MQTT_FLEET_RUN_ID), the same for every shard, so client ids and payload tags agree',
    );
  }
  if (resolved.mode === 'pool' && resolved.threads > clients) resolved.threads = clients;
  return resolved;
}

/** The one group of a plain run, from its flags. */
function groupFromFlags(o: ResolvedOptions): GroupProfile {
  const v5 = flagsGroupMqtt5(o);
  return {
    name: 'fleet',
    first: 0,
    count: o.clients,
    brokers: o.brokers.map((url) => ({ url, cluster: 'default', tls: o.tls })),
    clientId: `${o.idPrefix}{i}`,
    username: o.username,
    password: o.password,
    credentials: o.credentials,
    protocolVersion: o.protocolVersion,
    clean: o.clean,
    sessionExpirySec: o.sessionExpirySec,
    keepaliveSec: o.keepaliveSec,
    subscriptions: o.subTopic === '' ? [] : [{ filter: o.subTopic, qos: o.qos, ...v5.subscription }],
    publish: {
      topic: o.topic,
      qos: o.qos,
      retain: o.retain,
      rate: o.stages === null ? o.rate : peakRate(o.stages),
      count: o.count,
      durationMs: o.durationMs,
      stages: o.stages,
      size: o.size,
      payload: null,
      userProperties: null,
      properties: v5.properties,
      topicAlias: v5.topicAlias,
      tracking: 'payload',
      phase: o.phase,
    },
    will: null,
    mode: o.mode,
    threads: o.threads,
    workload: o.workload,
    comings: { clientStages: o.clientStages, clientLeave: o.clientLeave, churn: o.churn },
  };
}
