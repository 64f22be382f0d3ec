/**
 * The option table: one entry per option of `mqtt-fleet run`, in --help order. The yargs flags,
 * RunOptions and the resolved options' types, DEFAULTS, the keys a scenario may default, what
 * every session is given, --help and the README's table all derive from it. Adding an option is
 * an entry here plus the code that uses it (and, for `parse`-less options, their resolution in
^ * resolve.ts). Numbers are taken as strings on the command line and parsed here, so
 * `10k` and `10s` work and every error names its flag.
 */
import {
  MAX_CLIENTS,
  MAX_INFLIGHT,
  MAX_RECONNECT_ATTEMPTS,
  MAX_WAIT_MS,
  MAX_WORK_MS,
  MIN_STATS_INTERVAL_MS,
} from './bounds.js';
import { LOG_FORMATS, LOG_LEVELS } from '../report/log.js';
import { kebab, type OptionSpec } from './spec.js';
import { credentialsFile } from './credentials.js';
import { TLS_VERSIONS } from '../group.js';
import {
  parseBoolean,
  parseBoundedDuration,
  parseKeepalive,
  parseLocalAddresses,
  parseMessageCount,
  parseMqttVersion,
  parsePayloadSize,
  parsePhase,
  parsePositiveCount,
  parseQos,
  parseRate,
  parseStartAt,
  resolveWorkload,
  PHASES,
} from './parse.js';
import { templateProblem } from '../mqtt/templates.js';
import { parseMessageExpiry, parseMqttText, parseRetainHandling } from './mqtt5.js';
import { parseStages } from './stages.js';
import { refuse, UsageError } from '../errors.js';
import { LEAVE_MODES, parseChurn, parseClientStages, parseLeaveMode } from './comings.js';

const DEFAULT_DURATION = '10s';

const MQTT_CLIENTS = ['auto', 'mqttjs'] as const;

/** One of `choices`, named by the option on anything else (a scenario's value skips yargs' check). */
function parseChoice<T extends string>(label: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(label, `${label} must be ${choices.join(' or ')} (got ${JSON.stringify(value)})`);
}

export const OPTIONS = {
  /** Broker URLs, used round-robin by client index. An empty list or none: start the embedded Aedes broker; an empty URL is refused. */
  brokers: {
    kind: 'strings',
    flag: 'broker',
    alias: 'b',
    description:
      'Broker URL (mqtt, mqtts, ws, wss), never empty; repeat for several, used round-robin. Default: an embedded Aedes broker',
    scenario: true,
  },
  clients: {
    kind: 'number',
    alias: 'c',
    description: 'Number of clients (1000, 10k; at most 1m, the whole fleet across shards)',
    default: 20,
    scenario: false,
    parse: (label, value) => parsePositiveCount(label, value, MAX_CLIENTS),
  },
  /** `per-client` (default), a pool of K ≥ 1 threads, or 0 for one event loop. */
  threads: {
    kind: 'number',
    description: 'per-client (a worker thread each), K (a pool of K threads) or 0 (all on one event loop)',
    default: 'per-client',
    scenario: true,
  },
  qos: {
    kind: 'number',
    alias: 'q',
    description: 'QoS of publishes and subscriptions: 0, 1 or 2',
    default: 0,
    scenario: true,
    parse: parseQos,
  },
  /** Payload size in bytes, header included (`64`, `1kb`, `1kib`). */
  size: {
    kind: 'number',
    alias: 's',
    description:
      'Payload bytes, 32-byte header included (64, 1kb, 1kib); at most what one MQTT packet holds with the topic (just under 256mib)',
    default: 64,
    scenario: true,
    parse: parsePayloadSize,
  },
  /** Messages per second per client; 0 publishes as fast as flow control allows. */
  rate: {
    kind: 'number',
    alias: 'r',
    description:
      'Messages per second per client, 0.0001 to 1000000; 0 = as fast as flow control allows (needs --count)',
    default: 10,
    scenario: true,
    parse: (label, value) => parseRate(label, value),
  },
  /** Messages per client (`1000`, `10k`). */
  count: {
    kind: 'number',
    alias: 'n',
    description: 'Messages per client (1000, 10k, 1m; at most 1000m); ends publishing when reached',
    scenario: true,
    parse: parseMessageCount,
    absent: undefined,
  },
  /** Publishing time (`10s`, `2m`, or a number of milliseconds); at most 24 days. */
  duration: {
    kind: 'number',
    alias: 'd',
    description: `Publishing time, with its unit (10s, 2m, 1h; at most 24d); default ${DEFAULT_DURATION} when no --count`,
    default: DEFAULT_DURATION,
    shownDefault: false,
    scenario: true,
  },
  /** The per-client rate over time (`30s:100,1m:hold,30s:0`): each stage ramps linearly to its rate; instead of --rate and --duration. */
  stages: {
    kind: 'string',
    description:
      'Per-client rate over time instead of --rate/--duration/--count: DURATION:RATE stages (30s:100,1m:hold,30s:0), each ramping linearly from the previous rate (0 at first) to its own; hold keeps the rate; publishing lasts their sum',
    scenario: true,
    parse: (label, value) => parseStages(label, value),
    absent: null,
  },
  /** Where each paced client's schedule sits in the period: offset by i/N of it (`spread`), or all at once (`together`). */
  phase: {
    kind: 'string',
    description:
      "Where each client's schedule sits in the period: spread (client i of a group of N starts i/N of a period late, as a fair benchmark does) or together (all at once: a thundering herd)",
    choices: PHASES,
    default: 'spread',
    scenario: true,
    parse: parsePhase,
  },
  /** Kept out of every figure after the start barrier (`5s`), counted apart: JIT and connection warm-up. */
  warmup: {
    kind: 'number',
    description:
      'The first part of publishing (5s) is kept out of latency, send lag and rates, and counted apart; accounting covers it (at most 1h)',
    scenario: true,
    parse: (label, value) => parseBoundedDuration(label, value, 0, MAX_WAIT_MS),
    absent: 0,
    resolved: 'warmupMs',
    worker: true,
  },
  topic: {
    kind: 'string',
    alias: 't',
    description: 'Publish topic template: {i} = client index, {id} = client id',
    default: 'fleet/{i}',
    scenario: false,
    parse: (label, topic) => {
      refuse(label, templateProblem(label, topic, false));
      return topic;
    },
  },
  /** Topic filter each client subscribes to; `''` for publish-only clients. */
  subTopic: {
    kind: 'string',
    description: "Subscription filter template (wildcards allowed); '' = don't subscribe",
    default: 'fleet/{i}',
    scenario: false,
    parse: (label, filter) => {
      if (filter !== '') refuse(label, templateProblem(label, filter, true));
      return filter;
    },
  },
  retain: {
    kind: 'boolean',
    description: 'Publish with the retain flag',
    default: false,
    scenario: true,
    parse: parseBoolean,
  },
  /** MQTT 5: the client assigns its topic an alias (scenario: publish.topicAlias). */
  topicAlias: {
    kind: 'boolean',
    description:
      "MQTT 5: after the first publish send the topic as a 2-byte alias, within the broker's Topic Alias Maximum (scenarios: publish.topicAlias)",
    default: false,
    scenario: false,
    parse: parseBoolean,
  },
  /** MQTT 5 Message Expiry Interval of every publish (scenario: publish.properties.messageExpiry). */
  messageExpiry: {
    kind: 'number',
    description:
      'MQTT 5: the broker drops a message still queued or retained after this (30s, 5m; a bare number is seconds; scenarios: publish.properties.messageExpiry)',
    scenario: false,
    parse: parseMessageExpiry,
    resolved: 'messageExpirySec',
  },
  /** MQTT 5 Content Type of every publish (scenario: publish.properties.contentType). */
  contentType: {
    kind: 'string',
    description:
      'MQTT 5: Content Type of every publish (application/octet-stream; scenarios: publish.properties.contentType)',
    scenario: false,
    parse: parseMqttText,
  },
  /** MQTT 5 No Local on the --sub-topic subscription (scenario: subscribe[].noLocal); `--no-local` would read as yargs' negation of `--local`. */
  subNoLocal: {
    kind: 'boolean',
    description:
      'MQTT 5: the broker sends no client its own messages on --sub-topic; they are not expected either (scenarios: subscribe[].noLocal)',
    default: false,
    scenario: false,
    parse: parseBoolean,
  },
  /** MQTT 5 Retain As Published on the --sub-topic subscription. */
  subRetainAsPublished: {
    kind: 'boolean',
    description:
      'MQTT 5: messages forwarded on --sub-topic keep the retain flag they were published with (scenarios: subscribe[].retainAsPublished)',
    default: false,
    scenario: false,
    parse: parseBoolean,
  },
  /** MQTT 5 Retain Handling of the --sub-topic subscription. */
  subRetainHandling: {
    kind: 'number',
    description:
      'MQTT 5: retained messages on subscribing to --sub-topic: 0 every time, 1 only for a new subscription, 2 never (scenarios: subscribe[].retainHandling)',
    scenario: false,
    parse: parseRetainHandling,
  },
  clean: {
    kind: 'boolean',
    description: 'Clean session; --no-clean keeps the session on the broker across reconnects',
    default: true,
    scenario: true,
    parse: parseBoolean,
  },
  /** Seconds (a number, or a bare number as text), or a duration string (`1m`). */
  keepalive: {
    kind: 'number',
    alias: 'k',
    description: 'Keepalive (30s, 1m; a bare number is seconds, as in MQTT; at most 65535s)',
    default: 60,
    scenario: true,
    parse: parseKeepalive,
    resolved: 'keepaliveSec',
  },
  /** {i}, {id}, {n} and {group} in a user name or password are filled per client as it connects. */
  username: {
    kind: 'string',
    alias: 'u',
    description: 'User name (or MQTT_USERNAME); {i}, {id}, {n} or {group} in it are filled per client (dev{i})',
    scenario: true,
  },
  password: {
    kind: 'string',
    alias: 'P',
    description:
      'Password (prefer MQTT_PASSWORD: argv is visible to other users); placeholders as in --username (pw-{id})',
    scenario: true,
  },
  /** Read the password from this file (first line), instead of argv or the environment. */
  passwordFile: {
    kind: 'string',
    description: 'Read the password from the first line of this file (a regular file, at most 1 MiB)',
    scenario: true,
    file: true,
  },
  /** Per-client user names and passwords from a CSV file; each lane keeps only its own clients' rows. */
  credentials: {
    kind: 'string',
    description:
      "A CSV file of user names and passwords, one row per client: a header naming username and password (and clientId to key rows by client id; without it, row n is client n), RFC 4180 quoting, at most 256 MiB; a row's non-empty fields win over --username and --password. Checked before the run; each thread keeps only its own clients' rows",
    scenario: true,
    file: true,
    parse: (label, path) => credentialsFile(label, path),
    absent: null,
  },
  /** `3.1.1` (default) or `5`. */
  mqttVersion: {
    kind: 'number',
    alias: 'V',
    description: 'MQTT protocol version: 3.1.1 or 5',
    default: '3.1.1',
    scenario: true,
    parse: parseMqttVersion,
    resolved: 'protocolVersion',
  },
  /** Which MQTT client each session uses: the lean one wherever its features allow (session/lean-client.ts), or MQTT.js always. */
  mqttClient: {
    kind: 'string',
    description:
      'MQTT client per connection: auto (the lean client, half the heap of MQTT.js, unless a feature it lacks is used: then MQTT.js) or mqttjs (MQTT.js always)',
    choices: MQTT_CLIENTS,
    default: 'auto',
    scenario: true,
    parse: (label, value) => parseChoice(label, value, MQTT_CLIENTS),
    worker: true,
  },
  /** MQTT 5 session expiry (`1h`, `300s`; a bare number is seconds): the broker keeps the session this long after a disconnect. */
  sessionExpiry: {
    kind: 'number',
    description:
      'MQTT 5 session expiry (1h, 300s; a bare number is seconds, as in MQTT): with --no-clean, the broker keeps the session across reconnects',
    scenario: true,
  },
  /** TLS: CA certificate(s) to trust (PEM file). */
  ca: {
    kind: 'string',
    description: 'TLS: CA certificate file (PEM, at most 1 MiB) to trust for mqtts:// and wss://',
    scenario: true,
    file: true,
  },
  /** TLS client certificate and key (PEM files); with placeholders, one per client, read as it connects. */
  cert: {
    kind: 'string',
    description:
      'TLS: client certificate file (PEM, at most 1 MiB); with {i}, {id}, {n} or {group} (certs/{id}.pem) each client has its own, checked before the run and read as it connects',
    scenario: true,
    file: true,
  },
  key: {
    kind: 'string',
    description: 'TLS: client key file (PEM, at most 1 MiB); placeholders as in --cert',
    scenario: true,
    file: true,
  },
  /** TLS: the oldest protocol version accepted (Node's default is TLSv1.2). */
  tlsMinVersion: {
    kind: 'string',
    description: 'TLS: the oldest TLS version to accept (TLSv1.2 or TLSv1.3)',
    choices: TLS_VERSIONS,
    shownDefault: 'TLSv1.2',
    scenario: true,
  },
  /** TLS SNI: a broker behind a proxy that routes by name, reached by address. */
  servername: {
    kind: 'string',
    description:
      "TLS: the server name to send (SNI) and to check the broker's certificate against. Default: the URL's host name",
    scenario: true,
  },
  /** TLS ALPN: brokers on port 443 that tell MQTT from HTTPS by it (AWS IoT: x-amzn-mqtt-ca). */
  alpn: {
    kind: 'strings',
    description: 'TLS (mqtts://): ALPN protocol to offer; repeat or comma-separate for several (e.g. mqtt)',
    scenario: true,
  },
  /** TLS: accept a broker certificate that does not verify. */
  insecure: {
    kind: 'boolean',
    description: 'TLS: accept a broker certificate that does not verify',
    default: false,
    scenario: true,
  },
  idPrefix: {
    kind: 'string',
    description: 'Client id prefix; the client index is appended. Default: mqtt-fleet-RUNID-',
    scenario: true,
  },
  /** New connections per second across the fleet at the start; 0 = all at once. */
  connectRate: {
    kind: 'number',
    description:
      'New connections per second across the fleet at the start (at most 1000000, pacing at most 24d); 0 = all at once',
    default: 0,
    scenario: true,
  },
  /** The connected count over time (`30s:100,1m:hold,30s:0`): clients join in index order and leave in reverse. */
  clientStages: {
    kind: 'string',
    description:
      'Connected clients over time, from 0 when publishing starts: DURATION:CLIENTS stages, linear ramps (30s:100,1m:hold,30s:0); --clients is the fleet it draws on',
    scenario: true,
    parse: parseClientStages,
    absent: null,
  },
  /** How clients leave on the way down a --client-stages plan. */
  clientLeave: {
    kind: 'string',
    description:
      'How clients leave on the way down a --client-stages plan: clean (DISCONNECT: no will) or abrupt (socket closed: the broker publishes their will)',
    choices: LEAVE_MODES,
    default: 'clean',
    scenario: true,
    parse: parseLeaveMode,
  },
  /** Reconnects on a schedule: `10s:0.1` (clean) or `10s:0.1:abrupt`. */
  churn: {
    kind: 'string',
    description:
      'Every EVERY, FRACTION of the clients (a rotating slice, at least one) disconnect and reconnect at once: 10s:0.1, or 10s:0.1:abrupt (no DISCONNECT: wills fire)',
    scenario: true,
    parse: parseChurn,
    absent: null,
  },
  /** Connection attempts in flight at once across the process: one window shared by every thread, adaptive unless fixed. */
  connectConcurrency: {
    kind: 'number',
    description:
      'Connection attempts in flight at once in this process, one window shared by all its threads: auto (starts at 8, grows while attempts stay as quick as the quickest, backs off when they queue or a SYN is lost) or a fixed N (at most 1m)',
    default: 'auto',
    scenario: true,
    parse: (label, value): number | 'auto' => {
      if (value === 'auto') return 'auto';
      const word = typeof value === 'string' && !/^\s*\d/.test(value);
      refuse(
        label,
        word ? `${label} must be auto or a whole number like 64 or 1k (got ${JSON.stringify(value)})` : null,
      );
      return parsePositiveCount(label, value, MAX_CLIENTS);
    },
  },
  /** Retry connection refusals that retrying cannot fix (bad credentials, not authorised, banned). */
  retryRefused: {
    kind: 'boolean',
    description: 'Retry CONNACK refusals that retrying cannot fix (bad credentials, not authorised)',
    default: false,
    scenario: true,
    parse: parseBoolean,
    worker: true,
  },
  reconnectAttempts: {
    kind: 'number',
    description: 'Connection attempts per (re)connect before a client gives up (at most 1000)',
    default: 3,
    scenario: true,
    parse: (label, value) => parsePositiveCount(label, value, MAX_RECONNECT_ATTEMPTS),
    worker: true,
  },
  reconnectDelay: {
    kind: 'number',
    description:
      "Wait before a round's second attempt, doubling for each further one (up to 30s), plus up to 50% jitter (at most 1h)",
    default: '1s',
    scenario: true,
    parse: (label, value) => parseBoundedDuration(label, value, 0, MAX_WAIT_MS),
    resolved: 'reconnectDelayMs',
    worker: true,
  },
  connectTimeout: {
    kind: 'number',
    description:
      'Wait for CONNACK before an attempt counts as failed; a connection must also last this long before its drop starts a fresh round (at most 1h)',
    default: '10s',
    scenario: true,
    parse: (label, value) => parseBoundedDuration(label, value, 1, MAX_WAIT_MS),
    resolved: 'connectTimeoutMs',
    worker: true,
  },
  /** The largest incoming packet a client accepts (`1mib`); default: the run's largest payload plus 128 KiB, at least 1 MiB. */
  maxPacketSize: {
    kind: 'number',
    description:
      'Largest packet a client accepts from the broker (1mib); MQTT 5 brokers are told in CONNECT; a larger one drops the connection as a protocol error',
    shownDefault: 'largest --size + 128kib, at least 1mib',
    scenario: true,
    worker: true,
  },
  /** Unacknowledged publishes allowed per client. */
  maxInflight: {
    kind: 'number',
    description:
      "QoS 1/2 publishes per client awaiting acknowledgement before it waits; keep within the broker's limit (Mosquitto: max_inflight_messages, 20), and MQTT 5 brokers' Receive Maximum is honoured; at most 65535",
    // Mosquitto's default max_inflight_messages: a broker past its in-flight quota may drop QoS 2 messages it has PUBREC'd.
    default: 20,
    scenario: true,
    parse: (label, value) => parsePositiveCount(label, value, MAX_INFLIGHT),
    worker: true,
  },
  /** How long to wait for messages still on their way once publishing ends. */
  drainTimeout: {
    kind: 'number',
    description:
      'After publishing (or on Ctrl-C), wait this long at most for messages and acknowledgements still on their way (at most 1h)',
    default: '5s',
    scenario: true,
    parse: (label, value) => parseBoundedDuration(label, value, 0, MAX_WAIT_MS),
    resolved: 'drainTimeoutMs',
    worker: true,
  },
  /** Hold publishing until every client is connected and subscribed. */
  barrier: {
    kind: 'boolean',
    description: 'Start publishing only once every client is connected and subscribed',
    default: true,
    scenario: true,
    parse: parseBoolean,
    worker: true,
  },
  /** CPU time burnt in the message handler per received message (`20ms`, `0.5ms`). */
  work: {
    kind: 'number',
    description:
      'How long each working client keeps its message handler busy per received message (20ms, 0.5ms; at most 10s; a busy-wait): the one-slow-client case',
    scenario: true,
    parse: (label, value) => parseBoundedDuration(label, value, 0, MAX_WORK_MS, { fractional: true }),
    absent: 0,
    resolved: 'workMs',
  },
  /** Which clients do `work`: `all`, `0`, `0-4`, `0,3,7-9`. */
  workClients: {
    kind: 'number',
    description: 'Which clients do --work: all, 0, 0-4, 0,3,7-9 (default all)',
    default: 'all',
    shownDefault: false,
    scenario: false,
  },
  /** A module of per-client hooks (setup, onConnect, onMessage, tick, teardown), run in each client's thread. */
  workload: {
    kind: 'string',
    description:
      "A module of per-client hooks (setup, onConnect, onMessage, tick, teardown) run in each client's thread (at most 16 MiB)",
    scenario: true,
    file: true,
    parse: (label, path) => resolveWorkload(label, path),
    absent: null,
  },
  /** How long a workload hook may take before its client is failed. */
  hookTimeout: {
    kind: 'number',
    description: 'How long a workload hook may run before its client is failed (at most 1h)',
    default: '5s',
    scenario: true,
    parse: (label, value) => parseBoundedDuration(label, value, 1, MAX_WAIT_MS),
    resolved: 'hookTimeoutMs',
    worker: true,
  },
  printMessages: {
    kind: 'boolean',
    description: 'Print every received message with client id and thread id (small runs)',
    default: false,
    scenario: true,
    parse: parseBoolean,
    worker: true,
  },
  /** A scenario file (YAML or JSON): groups of clients with their own brokers, topics and plans. */
  scenario: {
    kind: 'string',
    description:
      'A scenario file (YAML or JSON, at most 4 MiB): groups of clients with their own brokers, topics, plans; flags given here override its defaults',
    scenario: false,
  },
  /** Run only shard I of N of the fleet (`2/5`): clients whose index modulo N is I. */
  shard: {
    kind: 'string',
    description: 'Run shard I of N of the fleet (0/4): the clients whose index modulo N is I; needs --run-id',
    scenario: false,
  },
  /** With JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) and no --shard: the number of shards. */
  shards: {
    kind: 'number',
    description: 'With JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) instead of --shard: the number of shards',
    scenario: false,
  },
  /** Hold publishing until this time (ISO 8601), so separate shards start together. */
  startAt: {
    kind: 'string',
    description:
      'Start publishing at this time (ISO 8601, at most 24h ahead and 1h ago), so separate shards begin together',
    scenario: false,
    parse: parseStartAt,
    absent: null,
  },
  /** Source addresses to spread connections over: a list (`127.0.0.2,127.0.0.3`) or an IPv4 CIDR range (`127.0.1.0/24`). */
  localAddress: {
    kind: 'strings',
    description:
      "Source addresses to spread connections over (127.0.0.2,127.0.0.3 or 127.0.1.0/24): past one address's ephemeral ports",
    scenario: false,
    parse: parseLocalAddresses,
    absent: [] as string[],
    resolved: 'localAddresses',
  },
  /** Serve Prometheus metrics on this port during the run (0: any free port). */
  metricsPort: {
    kind: 'number',
    description: 'Serve Prometheus metrics on http://127.0.0.1:PORT/metrics during the run (0: any free port)',
    scenario: false,
  },
  metricsHost: { kind: 'string', description: 'Address for --metrics-port', default: '127.0.0.1', scenario: false },
  /** Extra outputs, `kind=path`: `csv=run.csv` (time series), `ndjson=run.ndjson` (every event), `result=shard.json` (mergeable), `hdr=run.hlog` (histograms). */
  out: {
    kind: 'strings',
    description:
      "Also write csv=FILE (per-interval time series), ndjson=FILE (every event), hdr=FILE (every histogram, HdrHistogram log) or result=FILE (a shard's mergeable result); repeatable",
    scenario: false,
  },
  /** Pass/fail thresholds on the run's figures (README, "Thresholds"); parsed in resolve.ts with --abort-on-fail. */
  threshold: {
    kind: 'strings',
    description:
      "Pass/fail on a figure of the summary: 'latency.p99<50ms', 'lost==0', 'receivedPerSec>=9k' (README, Thresholds); a crossed one exits 99; repeatable",
    scenario: false,
    resolved: 'thresholds',
  },
  abortOnFail: {
    kind: 'boolean',
    description:
      'Also judge every threshold at each stats interval on the figures so far, and stop the run (figures kept) when one is crossed',
    default: false,
    scenario: true,
    parse: parseBoolean,
  },
  json: {
    kind: 'boolean',
    description: 'NDJSON on stdout: status, stats, summary lines',
    default: false,
    scenario: false,
    cliOnly: true,
  },
  /** How often `stats` events are emitted. */
  statsInterval: {
    kind: 'number',
    description: 'How often stats lines and progress update (100ms to 1h)',
    default: '1s',
    scenario: true,
    parse: (label, value) => parseBoundedDuration(label, value, MIN_STATS_INTERVAL_MS, MAX_WAIT_MS),
    resolved: 'statsIntervalMs',
  },
  /** An id for this run; client ids and payload tags derive from it. */
  runId: {
    kind: 'string',
    description: 'Run id (default: random); client ids and payload tags derive from it',
    scenario: true,
  },
  logLevel: {
    kind: 'string',
    description: 'Log level (logs go to stderr)',
    choices: LOG_LEVELS,
    default: 'info',
    scenario: false,
    cliOnly: true,
  },
  logFormat: {
    kind: 'string',
    description:
      'Log lines on stderr: pretty (readable, also when stderr is a file or pipe) or json (one object per line)',
    choices: LOG_FORMATS,
    default: 'pretty',
    scenario: false,
    cliOnly: true,
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionTable = typeof OPTIONS;
export type OptionKey = keyof OptionTable;

/** Every entry, in table order. */
export const OPTION_ENTRIES = Object.entries(OPTIONS) as [OptionKey, OptionSpec][];

/** Its flag, without the dashes: `sub-topic`, `broker`. */
export function flagOf(key: OptionKey): string {
  const spec: OptionSpec = OPTIONS[key];
  return spec.flag ?? kebab(key);
}

/** How messages name it: `--sub-topic`. */
export const labelOf = (key: OptionKey): string => `--${flagOf(key)}`;

/** Each run option's default, where it has one: what a run uses when neither a flag, a scenario's defaults nor a caller gives it. */
export type Defaults = {
  readonly [
    K in OptionKey as OptionTable[K] extends { cliOnly: true }
      ? never
      : OptionTable[K] extends { default: unknown }
        ? K
        : never
  ]: OptionTable[K] extends {
    default: infer D;
  }
    ? D
    : never;
};

export const DEFAULTS = Object.fromEntries(
  OPTION_ENTRIES.filter(([, spec]) => spec.default !== undefined && !spec.cliOnly).map(([key, spec]) => [
    key,
    spec.default,
  ]),
) as Defaults;
