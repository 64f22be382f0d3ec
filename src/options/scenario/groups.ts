import { resolve } from 'node:path';
import { refuse, UsageError } from '../../errors.js';
import type {
  BrokerRef,
  ClientStage,
  Comings,
  GroupProfile,
  PublishPlan,
  Stage,
  Subscription,
  TlsOptions,
  Will,
} from '../../group.js';
import { RateSchedule } from '../../metrics/schedule.js';
import { parseStages, peakRate } from '../stages.js';
import { parseChurn, parseClientStages, parseLeaveMode, stagesProblem } from '../comings.js';
import { planLengthMs } from '../../metrics/client-plan.js';
import type { ResolvedOptions } from '../types.js';
import { formatCount, MAX_CLIENTS } from '../bounds.js';
import { groupPacketProblem, type PacketProblem } from '../packet-limits.js';
import {
  checkBrokerUrl,
  FILE_LIMITS,
  parseBoolean,
  parseKeepalive,
  parseMessageCount,
  parseMqttVersion,
  parsePayloadSize,
  parsePositiveCount,
  parsePublishDuration,
  parseQos,
  parsePhase,
  parseRate,
  parseSessionExpiry,
  parseThreads,
  planProblem,
  readOptionFile,
  resolveWorkload,
} from '../parse.js';
import { urlWithoutCredentials } from '../../mqtt/broker-url.js';
import { CLIENT_ID_TOKENS, payloadTemplateProblem, TOPIC_TOKENS } from '../../mqtt/templates.js';
import { identityFile } from '../identity.js';
import { credentialsFile } from '../credentials.js';
import { at, isPlainObject, type Path, type Scenario } from './load.js';
import { checkKeys, needsMqtt5, stringAt, templateAt } from './checks.js';
import {
  connectProperties,
  publishProperties,
  SUBSCRIPTION_OPTION_KEYS,
  subscriptionOptions,
  topicAlias,
} from './mqtt5.js';
import { FILE_PREFIX, GENERATOR, payloadFiles } from '../payload-files.js';
import { MAX_STREAMS } from '../../mqtt/payload.js';
import { requestPlan, respondPlan, type RequestContext } from './request.js';

const GROUP_KEYS = new Set([
  'name',
  'count',
  'brokers',
  'threads',
  'clientId',
  'username',
  'password',
  'credentials',
  'mqttVersion',
  'clean',
  'sessionExpiry',
  'connect',
  'keepalive',
  'subscribe',
  'publish',
  'will',
  'workload',
  'clientStages',
  'clientLeave',
  'churn',
  'request',
  'respond',
]);
const PUBLISH_KEYS = new Set([
  'topic',
  'qos',
  'retain',
  'rate',
  'count',
  'duration',
  'size',
  'payload',
  'properties',
  'topicAlias',
  'phase',
  'stages',
]);
const WILL_KEYS = new Set(['topic', 'payload', 'qos', 'retain']);
const BROKER_KEYS = new Set(['url', 'ca', 'cert', 'key', 'insecure', 'cluster']);

function qosAt(scenario: Scenario, path: Path, value: unknown): 0 | 1 | 2 {
  return at(scenario, path, (label) => parseQos(label, value));
}

function boolAt(scenario: Scenario, path: Path, value: unknown, fallback: boolean): boolean {
  return value === undefined ? fallback : at(scenario, path, (label) => parseBoolean(label, value));
}

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}

/** The scenario's named brokers: a URL, or { url, ca, cert, key, insecure, cluster }. */
function namedBrokers(scenario: Scenario, base: ResolvedOptions): Map<string, BrokerRef> {
  const out = new Map<string, BrokerRef>();
  for (const [name, entry] of Object.entries(scenario.brokers)) {
    const path = ['brokers', name];
    const spec = typeof entry === 'string' ? { url: entry } : entry;
    if (!isPlainObject(spec)) scenario.fail(path, 'must be a URL or { url, ca, cert, key, insecure, cluster }');
    checkKeys(scenario, spec, BROKER_KEYS, path);
    const s = spec;
    const url = at(scenario, [...path, 'url'], (label) =>
      checkBrokerUrl(stringAt(scenario, [...path, 'url'], s.url, true), label),
    );
    const file = (key: 'ca'): string | undefined =>
      s[key] === undefined
        ? undefined
        : at(scenario, [...path, key], (label) =>
            readOptionFile(
              label,
              resolve(scenario.baseOf([...path, key]), stringAt(scenario, [...path, key], s[key])),
              FILE_LIMITS.pem,
            ),
          );
    // A cert or key path with placeholders is each client's own file, read when it connects.
    const identity = (key: 'cert' | 'key'): ReturnType<typeof identityFile> | undefined =>
      s[key] === undefined
        ? undefined
        : at(scenario, [...path, key], (label) =>
            identityFile(label, stringAt(scenario, [...path, key], s[key]), scenario.baseOf([...path, key])),
          );
    const cert = identity('cert');
    const key = identity('key');
    const tls: TlsOptions = {
      rejectUnauthorized: !boolAt(scenario, [...path, 'insecure'], s.insecure, !base.tls.rejectUnauthorized),
      ...(s.ca === undefined ? (base.tls.ca === undefined ? {} : { ca: base.tls.ca }) : { ca: file('ca')! }),
      // How TLS is spoken (--tls-min-version, --servername, --alpn, SSLKEYLOGFILE) is the run's.
      ...pick(base.tls, ['minVersion', 'servername', 'alpn', 'keylog']),
      ...(cert?.contents === undefined ? {} : { cert: cert.contents }),
      ...(cert?.template === undefined ? {} : { certFile: cert.template }),
      ...(key?.contents === undefined ? {} : { key: key.contents }),
      ...(key?.template === undefined ? {} : { keyFile: key.template }),
    };
    if ((cert === undefined) !== (key === undefined)) scenario.fail(path, 'needs both cert and key, or neither');
    const cluster = s.cluster === undefined ? name : stringAt(scenario, [...path, 'cluster'], s.cluster);
    out.set(name, { url, cluster, tls });
  }
  return out;
}

/** Every group's client count, checked, before anything else needs the fleet's size: at most MAX_CLIENTS in all. */
export function scenarioClientCount(scenario: Scenario): number {
  let total = 0;
  scenario.groups.forEach((g, n) => {
    if (!isPlainObject(g)) scenario.fail(['groups', n], 'must be a mapping with at least `name` and `count`');
    total += at(scenario, ['groups', n, 'count'], (label) => {
      if (g.count === undefined) throw new UsageError(label, `${label} is required: how many clients the group has`);
      return parsePositiveCount(label, g.count, MAX_CLIENTS);
    });
    if (total > MAX_CLIENTS)
      scenario.fail(
        ['groups', n, 'count'],
        `brings the fleet to ${total} clients; a fleet has at most ${formatCount(MAX_CLIENTS)}`,
      );
  });
  return total;
}

/**
 * Resolve a scenario's groups against the run's options (scenario defaults under CLI flags):
 * every setting a group leaves out comes from those.
 */
export function resolveScenarioGroups(scenario: Scenario, base: ResolvedOptions): GroupProfile[] {
  const brokers = namedBrokers(scenario, base);
  const names = new Set<string>();
  let first = 0;
  return scenario.groups.map((raw, n) => {
    const path: Path = ['groups', n];
    const g = raw as Record<string, unknown>;
    checkKeys(scenario, g, GROUP_KEYS, path);
    const name = stringAt(scenario, [...path, 'name'], g.name);
    if (!/^[A-Za-z0-9_-]+$/.test(name))
      scenario.fail([...path, 'name'], `must be letters, digits, - or _ (got ${JSON.stringify(name)})`);
    if (names.has(name)) scenario.fail([...path, 'name'], `repeats the group name ${JSON.stringify(name)}`);
    names.add(name);
    const count = at(scenario, [...path, 'count'], (label) => parsePositiveCount(label, g.count, MAX_CLIENTS));
    const protocolVersion =
      g.mqttVersion === undefined
        ? base.protocolVersion
        : at(scenario, [...path, 'mqttVersion'], (label) => parseMqttVersion(label, g.mqttVersion));
    let sessionExpirySec = base.sessionExpirySec;
    if (g.sessionExpiry !== undefined) {
      needsMqtt5(scenario, [...path, 'sessionExpiry'], protocolVersion, 'needs mqttVersion 5');
      sessionExpirySec = at(scenario, [...path, 'sessionExpiry'], (label) =>
        parseSessionExpiry(label, g.sessionExpiry),
      );
    }
    const { mode, threads } =
      g.threads === undefined
        ? { mode: base.mode, threads: undefined }
        : at(scenario, [...path, 'threads'], () => parseThreads(g.threads));
    const workerThreads =
      mode === 'single-loop'
        ? 0
        : mode === 'thread-per-client'
          ? count
          : Math.min(count, threads === undefined ? base.threads : (threads as number));
    const comings: Comings = {
      clientStages:
        g.clientStages === undefined
          ? base.clientStages
          : at(scenario, [...path, 'clientStages'], (label) => parseClientStages(label, g.clientStages)),
      clientLeave:
        g.clientLeave === undefined
          ? base.clientLeave
          : at(scenario, [...path, 'clientLeave'], (label) => parseLeaveMode(label, g.clientLeave)),
      churn:
        g.churn === undefined || g.churn === null
          ? base.churn
          : at(scenario, [...path, 'churn'], (label) => parseChurn(label, g.churn)),
    };
    at(scenario, [...path, g.clientStages === undefined ? 'count' : 'clientStages'], (label) =>
      refuse(label, stagesProblem(label, comings.clientStages, count)),
    );
    const streams = publishStreams(
      scenario,
      [...path, 'publish'],
      g.publish,
      base,
      protocolVersion,
      comings.clientStages,
    );
    const group: GroupProfile = {
      name,
      first,
      count,
      brokers: groupBrokers(scenario, [...path, 'brokers'], g.brokers, brokers, base),
      clientId:
        g.clientId === undefined
          ? `mqtt-fleet-{run}-{group}-{n}`
          : templateAt(scenario, [...path, 'clientId'], g.clientId, false, CLIENT_ID_TOKENS),
      username: g.username === undefined ? base.username : stringAt(scenario, [...path, 'username'], g.username),
      password: g.password === undefined ? base.password : stringAt(scenario, [...path, 'password'], g.password, true),
      // Relative to the file that names it, as every path in a scenario.
      credentials:
        g.credentials === undefined
          ? base.credentials
          : at(scenario, [...path, 'credentials'], (label) =>
              credentialsFile(
                label,
                stringAt(scenario, [...path, 'credentials'], g.credentials),
                scenario.baseOf([...path, 'credentials']),
              ),
            ),
      protocolVersion,
      clean: boolAt(scenario, [...path, 'clean'], g.clean, base.clean),
      sessionExpirySec,
      connectProperties: connectProperties(scenario, [...path, 'connect'], g.connect, protocolVersion),
      keepaliveSec:
        g.keepalive === undefined
          ? base.keepaliveSec
          : at(scenario, [...path, 'keepalive'], (label) => parseKeepalive(label, g.keepalive)),
      subscriptions: subscriptions(scenario, [...path, 'subscribe'], g.subscribe, base, protocolVersion),
      publish: streams[0] ?? null,
      ...(streams.length > 1 ? { streams } : {}),
      will: g.will === undefined ? null : will(scenario, [...path, 'will'], g.will, base),
      mode,
      threads: workerThreads,
      workload:
        g.workload === undefined
          ? base.workload
          : at(scenario, [...path, 'workload'], (label) =>
              resolveWorkload(
                label,
                stringAt(scenario, [...path, 'workload'], g.workload),
                scenario.baseOf([...path, 'workload']),
              ),
            ),
      comings,
    };
    const rr: RequestContext = {
      protocolVersion,
      publishes: group.publish !== null,
      subscribes: group.subscriptions.length > 0,
      qos: group.publish?.qos ?? base.qos,
    };
    if (g.request !== undefined) group.request = requestPlan(scenario, [...path, 'request'], g.request, rr);
    // A request's correlation data names its client and sequence number: one stream of them per client.
    if (group.request && streams.length > 1)
      scenario.fail([...path, 'request'], 'needs a single publish stream (its requests), not a list');
    if (g.respond !== undefined) group.respond = respondPlan(scenario, [...path, 'respond'], g.respond, rr);
    if (group.password !== undefined && group.username === undefined && group.credentials === null)
      scenario.fail([...path, 'password'], 'needs a username');
    streams.forEach((stream, k) => {
      if (stream.generator === true && group.workload === null)
        scenario.fail(
          [...path, 'publish', ...(Array.isArray(g.publish) ? [k] : []), 'payload'],
          `is ${GENERATOR}, which needs a workload module exporting payload(ctx, seq): the group's workload, or --workload`,
        );
    });
    const problem = groupPacketProblem(group, base.runId);
    if (problem) scenario.fail(problemPath(path, g, problem), problem.message);
    first += count;
    return group;
  });
}

function groupBrokers(
  scenario: Scenario,
  path: Path,
  value: unknown,
  named: Map<string, BrokerRef>,
  base: ResolvedOptions,
): BrokerRef[] {
  // Left out: the run's --broker URLs, or the embedded broker (filled in at start).
  if (value === undefined) return base.brokers.map((url) => ({ url, cluster: 'default', tls: base.tls }));
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) scenario.fail(path, 'must name at least one broker');
  return list.map((entry, n) => {
    const text = stringAt(scenario, [...path, n], entry, true);
    const found = named.get(text);
    if (found) return found;
    if (!text.includes('://'))
      scenario.fail(
        [...path, n],
        `is neither a broker named under \`brokers\` (${[...named.keys()].join(', ') || 'none'}) nor a URL`,
      );
    // The cluster names the broker in plans and results: never with the URL's credentials.
    return {
      url: at(scenario, [...path, n], (label) => checkBrokerUrl(text, label)),
      cluster: urlWithoutCredentials(text),
      tls: base.tls,
    };
  });
}

function subscriptions(
  scenario: Scenario,
  path: Path,
  value: unknown,
  base: ResolvedOptions,
  protocolVersion: 4 | 5,
): Subscription[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry, n) => {
    const at2: Path = [...path, n];
    if (typeof entry === 'string')
      return { filter: templateAt(scenario, at2, entry, true, TOPIC_TOKENS), qos: base.qos };
    if (!isPlainObject(entry)) scenario.fail(at2, 'must be a topic filter or { topic, qos }');
    const e = entry;
    checkKeys(scenario, e, new Set(['topic', 'qos', ...SUBSCRIPTION_OPTION_KEYS]), at2);
    const filter = templateAt(scenario, [...at2, 'topic'], e.topic, true, TOPIC_TOKENS);
    return {
      filter,
      qos: e.qos === undefined ? base.qos : qosAt(scenario, [...at2, 'qos'], e.qos),
      ...subscriptionOptions(scenario, at2, e, filter, protocolVersion),
    };
  });
}

/** A group's `publish`: one stream (a mapping), several (a list of them), or none. */
function publishStreams(
  scenario: Scenario,
  path: Path,
  value: unknown,
  base: ResolvedOptions,
  protocolVersion: 4 | 5,
  stages: ClientStage[] | null,
): PublishPlan[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return [publishPlan(scenario, path, value, base, protocolVersion, stages)];
  if (value.length === 0) scenario.fail(path, 'must list at least one stream (or be left out)');
  if (value.length > MAX_STREAMS)
    scenario.fail(path, `lists ${value.length} streams; a client publishes at most ${MAX_STREAMS}`);
  return value.map((entry, k) => publishPlan(scenario, [...path, k], entry, base, protocolVersion, stages));
}

function publishPlan(
  scenario: Scenario,
  path: Path,
  value: unknown,
  base: ResolvedOptions,
  protocolVersion: 4 | 5,
  stages: ClientStage[] | null,
): PublishPlan {
  if (!isPlainObject(value))
    scenario.fail(path, 'must be { topic, rate, count or duration, size or payload, qos, retain }');
  const p = value;
  checkKeys(scenario, p, PUBLISH_KEYS, path);
  const constantRate =
    p.rate === undefined ? base.rate : at(scenario, [...path, 'rate'], (label) => parseRate(label, p.rate));
  const staged =
    p.stages !== undefined ||
    (p.rate === undefined && p.count === undefined && p.duration === undefined && base.stages !== null);
  // What a publisher that comes and goes would send on a ramp is not planned yet: refused, not miscounted.
  if (staged && stages !== null)
    scenario.fail(
      p.stages !== undefined ? [...path, 'stages'] : path,
      'follows rate stages, which do not go with clientStages yet: give the group a fixed rate',
    );
  if (p.stages !== undefined) {
    for (const key of ['rate', 'count', 'duration'] as const) {
      if (p[key] !== undefined)
        scenario.fail(
          [...path, key],
          'does not go with stages: the stages say the rate and, by their sum, how long publishing lasts',
        );
    }
    const stages = at(scenario, [...path, 'stages'], (label) => parseStages(label, p.stages));
    return finish(undefined, new RateSchedule(stages).durationMs, stages);
  }
  // A group that says nothing of its rate or length follows the run's --stages, if given.
  if (p.rate === undefined && p.count === undefined && p.duration === undefined && base.stages !== null)
    return finish(undefined, base.durationMs, base.stages);
  const count =
    p.count === undefined ? undefined : at(scenario, [...path, 'count'], (label) => parseMessageCount(label, p.count));
  // Text, as on the command line: `duration: 10` needs its unit.
  let durationMs =
    p.duration === undefined
      ? undefined
      : at(scenario, [...path, 'duration'], (label) => parsePublishDuration(label, String(p.duration)));
  if (count === undefined && durationMs === undefined) {
    // A group with a plan of connected clients publishes for as long as its plan lasts.
    if (stages !== null) durationMs = planLengthMs(stages);
    else if (base.count === undefined) durationMs = base.durationMs;
    else return finish(base.count, base.durationMs);
  }
  return finish(count, durationMs);

  function finish(
    count: number | undefined,
    durationMs: number | undefined,
    stages: Stage[] | null = null,
  ): PublishPlan {
    const rate = stages === null ? constantRate : peakRate(stages);
    if (rate === 0 && count === undefined)
      scenario.fail([...path, 'rate'], '0 (unpaced) needs a count, so the run has a bound');
    // Stages were checked whole by their parser.
    const plan = stages === null ? planProblem({ rate, count, durationMs }) : null;
    if (plan !== null) scenario.fail([...path, p.rate === undefined ? 'duration' : 'rate'], plan);
    const text = p.payload === undefined ? null : textAt(scenario, [...path, 'payload'], p.payload);
    // `@file:PATTERN` and `@workload` name where payloads come from; any other text is a template.
    const files = text?.startsWith(FILE_PREFIX)
      ? at(scenario, [...path, 'payload'], (label) => payloadFiles(label, text, scenario.baseOf([...path, 'payload'])))
      : null;
    const generator = text === GENERATOR;
    const payload = files !== null || generator ? null : text;
    if (payload !== null)
      at(scenario, [...path, 'payload'], (label) => refuse(label, payloadTemplateProblem(label, payload)));
    if (text !== null && p.size !== undefined)
      scenario.fail(
        [...path, 'size'],
        'and payload do not go together: a payload template, its files or its generator make its size',
      );
    // Given here, size means a generated payload (with a template it was refused just above).
    const size =
      p.size === undefined ? base.size : at(scenario, [...path, 'size'], (label) => parsePayloadSize(label, p.size));
    const { userProperties, properties } = publishProperties(
      scenario,
      [...path, 'properties'],
      p.properties,
      protocolVersion,
    );
    return {
      topic: templateAt(scenario, [...path, 'topic'], p.topic, false, TOPIC_TOKENS),
      qos: p.qos === undefined ? base.qos : qosAt(scenario, [...path, 'qos'], p.qos),
      retain: boolAt(scenario, [...path, 'retain'], p.retain, base.retain),
      rate,
      count,
      durationMs,
      stages,
      size,
      payload,
      ...(files === null ? {} : { files: { paths: files.files, largest: files.largest } }),
      ...(generator ? { generator } : {}),
      userProperties,
      properties,
      topicAlias: topicAlias(scenario, [...path, 'topicAlias'], p.topicAlias, protocolVersion),
      // A template, files or a generator make the user's payload: the header rides in an MQTT 5
      // user property, or not at all.
      tracking: text === null ? 'payload' : protocolVersion === 5 ? 'property' : 'none',
      phase:
        p.phase === undefined ? base.phase : at(scenario, [...path, 'phase'], (label) => parsePhase(label, p.phase)),
    };
  }
}

/** A YAML scalar as text (a number or boolean as its text); a mapping or a list is no payload. */
function textAt(scenario: Scenario, path: Path, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return scenario.fail(path, 'must be text, not a mapping or a list');
}

function will(scenario: Scenario, path: Path, value: unknown, base: ResolvedOptions): Will {
  if (!isPlainObject(value)) scenario.fail(path, 'must be { topic, payload, qos, retain }');
  const w = value;
  checkKeys(scenario, w, WILL_KEYS, path);
  return {
    topic: templateAt(scenario, [...path, 'topic'], w.topic, false, TOPIC_TOKENS),
    payload: w.payload === undefined ? '' : textAt(scenario, [...path, 'payload'], w.payload),
    qos: w.qos === undefined ? base.qos : qosAt(scenario, [...path, 'qos'], w.qos),
    retain: boolAt(scenario, [...path, 'retain'], w.retain, false),
  };
}

/** Where a packet problem sits in the file: the setting the group wrote, or what made it (its name, for the default client id). */
function problemPath(path: Path, g: Record<string, unknown>, problem: PacketProblem): Path {
  switch (problem.field) {
    case 'clientId':
      return g.clientId === undefined ? [...path, 'name'] : [...path, 'clientId'];
    case 'username':
    case 'password':
      return [...path, problem.field];
    case 'subscribe':
      return Array.isArray(g.subscribe) ? [...path, 'subscribe', problem.index] : [...path, 'subscribe'];
    case 'topic':
    case 'payload':
    case 'size':
      // A `publish` list: the problem's index is the stream's.
      return Array.isArray(g.publish)
        ? [...path, 'publish', problem.index, problem.field]
        : [...path, 'publish', problem.field];
    case 'willTopic':
      return [...path, 'will', 'topic'];
    case 'willPayload':
      return [...path, 'will', 'payload'];
    case 'userProperties':
      return Array.isArray(g.publish)
        ? [...path, 'publish', problem.index, 'properties', 'userProperties']
        : [...path, 'publish', 'properties', 'userProperties'];
  }
}
