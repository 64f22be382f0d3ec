import type { Options } from 'yargs';
import { DEFAULTS } from './options.js';
import { LOG_LEVELS } from './log.js';

/**
 * The `run` command's flags: one table, shown by --help and in the README. Numbers are taken
 * as strings and parsed by options.ts, so "10k" and "10s" work and every error names its flag.
 * No yargs defaults: a flag left out stays undefined, so a scenario's defaults can apply; the
 * defaults themselves live in options.ts and are only described here.
 */
export const RUN_FLAGS = {
  broker: { alias: 'b', type: 'string', description: 'Broker URL (mqtt, mqtts, ws, wss), never empty; repeat for several, used round-robin. Default: an embedded Aedes broker' },
  clients: { alias: 'c', type: 'string', description: 'Number of clients (1000, 10k; at most 1m, the whole fleet across shards)', defaultDescription: String(DEFAULTS.clients) },
  threads: { type: 'string', description: 'per-client (a worker thread each), K (a pool of K threads) or 0 (all on one event loop)', defaultDescription: String(DEFAULTS.threads) },
  qos: { alias: 'q', type: 'string', description: 'QoS of publishes and subscriptions: 0, 1 or 2', defaultDescription: String(DEFAULTS.qos) },
  size: { alias: 's', type: 'string', description: 'Payload bytes, 24-byte header included (64, 1kb, 1kib); at most what one MQTT packet holds with the topic (just under 256mib)', defaultDescription: String(DEFAULTS.size) },
  rate: { alias: 'r', type: 'string', description: 'Messages per second per client, 0.0001 to 1000000; 0 = as fast as flow control allows (needs --count)', defaultDescription: String(DEFAULTS.rate) },
  count: { alias: 'n', type: 'string', description: 'Messages per client (1000, 10k, 1m; at most 1000m); ends publishing when reached' },
  duration: { alias: 'd', type: 'string', description: `Publishing time, with its unit (10s, 2m, 1h; at most 24d); default ${DEFAULTS.duration} when no --count` },
  topic: { alias: 't', type: 'string', description: 'Publish topic template: {i} = client index, {id} = client id', defaultDescription: String(DEFAULTS.topic) },
  'sub-topic': { type: 'string', description: "Subscription filter template (wildcards allowed); '' = don't subscribe", defaultDescription: String(DEFAULTS.subTopic) },
  retain: { type: 'boolean', description: 'Publish with the retain flag', defaultDescription: String(false) },
  clean: { type: 'boolean', description: 'Clean session; --no-clean keeps the session on the broker across reconnects', defaultDescription: String(true) },
  keepalive: { alias: 'k', type: 'string', description: 'Keepalive (30s, 1m; a bare number is seconds, as in MQTT; at most 65535s)', defaultDescription: String(DEFAULTS.keepalive) },
  username: { alias: 'u', type: 'string', description: 'User name (or MQTT_USERNAME)' },
  password: { alias: 'P', type: 'string', description: 'Password (prefer MQTT_PASSWORD: argv is visible to other users)' },
  'password-file': { type: 'string', description: 'Read the password from the first line of this file (a regular file, at most 1 MiB)' },
  'mqtt-version': { alias: 'V', type: 'string', description: 'MQTT protocol version: 3.1.1 or 5', defaultDescription: '3.1.1' },
  'session-expiry': { type: 'string', description: 'MQTT 5 session expiry (1h, 300s; a bare number is seconds, as in MQTT): with --no-clean, the broker keeps the session across reconnects' },
  ca: { type: 'string', description: 'TLS: CA certificate file (PEM, at most 1 MiB) to trust for mqtts:// and wss://' },
  cert: { type: 'string', description: 'TLS: client certificate file (PEM, at most 1 MiB)' },
  key: { type: 'string', description: 'TLS: client key file (PEM, at most 1 MiB)' },
  insecure: { type: 'boolean', description: 'TLS: accept a broker certificate that does not verify', defaultDescription: String(false) },
  'id-prefix': { type: 'string', description: 'Client id prefix; the client index is appended. Default: mqtt-fleet-RUNID-' },
  'connect-rate': { type: 'string', description: 'New connections per second across the fleet at the start (at most 1000000, pacing at most 24d); 0 = all at once', defaultDescription: '0' },
  'connect-concurrency': { type: 'string', description: 'Connection attempts in flight at once in this process, one bound shared by all its threads (at most 1m): a full listen backlog drops SYNs', defaultDescription: String(DEFAULTS.connectConcurrency) },
  'retry-refused': { type: 'boolean', description: 'Retry CONNACK refusals that retrying cannot fix (bad credentials, not authorised)', defaultDescription: String(false) },
  'reconnect-attempts': { type: 'string', description: 'Connection attempts per (re)connect before a client gives up (at most 1000)', defaultDescription: String(DEFAULTS.reconnectAttempts) },
  'reconnect-delay': { type: 'string', description: 'Wait before a round\'s second attempt, doubling for each further one (up to 30s), plus up to 50% jitter (at most 1h)', defaultDescription: String(DEFAULTS.reconnectDelay) },
  'connect-timeout': { type: 'string', description: 'Wait for CONNACK before an attempt counts as failed; a connection must also last this long before its drop starts a fresh round (at most 1h)', defaultDescription: String(DEFAULTS.connectTimeout) },
  'max-packet-size': { type: 'string', description: 'Largest packet a client accepts from the broker (1mib); MQTT 5 brokers are told in CONNECT; a larger one drops the connection as a protocol error', defaultDescription: 'largest --size + 128kib, at least 1mib' },
  'max-inflight': { type: 'string', description: 'QoS 1/2 publishes per client awaiting acknowledgement before it waits; keep within the broker\'s limit (Mosquitto: max_inflight_messages, 20), and MQTT 5 brokers\' Receive Maximum is honoured; at most 65535', defaultDescription: String(DEFAULTS.maxInflight) },
  'drain-timeout': { type: 'string', description: 'After publishing (or on Ctrl-C), wait this long at most for messages and acknowledgements still on their way (at most 1h)', defaultDescription: String(DEFAULTS.drainTimeout) },
  barrier: { type: 'boolean', description: 'Start publishing only once every client is connected and subscribed', defaultDescription: String(true) },
  work: { type: 'string', description: 'How long each working client keeps its message handler busy per received message (20ms, 0.5ms; at most 10s; a busy-wait): the one-slow-client case' },
  'work-clients': { type: 'string', description: 'Which clients do --work: all, 0, 0-4, 0,3,7-9 (default all)' },
  workload: { type: 'string', description: 'A module of per-client hooks (setup, onConnect, onMessage, tick, teardown) run in each client\'s thread (at most 16 MiB)' },
  'hook-timeout': { type: 'string', description: 'How long a workload hook may run before its client is failed (at most 1h)', defaultDescription: String(DEFAULTS.hookTimeout) },
  'print-messages': { type: 'boolean', description: 'Print every received message with client id and thread id (small runs)', defaultDescription: String(false) },
  scenario: { type: 'string', description: 'A scenario file (YAML or JSON, at most 4 MiB): groups of clients with their own brokers, topics, plans; flags given here override its defaults' },
  shard: { type: 'string', description: 'Run shard I of N of the fleet (0/4): the clients whose index modulo N is I; needs --run-id' },
  shards: { type: 'string', description: 'With JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) instead of --shard: the number of shards' },
  'start-at': { type: 'string', description: 'Start publishing at this time (ISO 8601, at most 24h ahead and 1h ago), so separate shards begin together' },
  'local-address': { type: 'string', description: 'Source addresses to spread connections over (127.0.0.2,127.0.0.3 or 127.0.1.0/24): past one address\'s ephemeral ports' },
  'metrics-port': { type: 'string', description: 'Serve Prometheus metrics on http://127.0.0.1:PORT/metrics during the run (0: any free port)' },
  'metrics-host': { type: 'string', description: 'Address for --metrics-port', defaultDescription: '127.0.0.1' },
  out: { type: 'string', description: 'Also write csv=FILE (per-interval time series), ndjson=FILE (every event) or result=FILE (a shard\'s mergeable result); repeatable' },
  json: { type: 'boolean', description: 'NDJSON on stdout: status, stats, summary lines', defaultDescription: String(false) },
  'stats-interval': { type: 'string', description: 'How often stats lines and progress update (100ms to 1h)', defaultDescription: String(DEFAULTS.statsInterval) },
  'run-id': { type: 'string', description: 'Run id (default: random); client ids and payload tags derive from it' },
  'log-level': { type: 'string', choices: LOG_LEVELS, description: 'Log level (logs go to stderr)', defaultDescription: 'info' },
} as const satisfies Record<string, Options>;

/** `compare` takes the run flags, with --threads as a list of modes, and an HTML report. */
export const COMPARE_FLAGS = {
  ...RUN_FLAGS,
  threads: { type: 'string', description: 'Modes to compare, in order: 0 (one loop), K (a pool of K), per-client', defaultDescription: '0,CORES,per-client' },
  report: { type: 'string', description: 'Write a self-contained HTML report with charts to this file' },
} as const satisfies Record<string, Options>;
