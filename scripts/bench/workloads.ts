/** The benchmark workloads (see scripts/bench/README.md). */

export interface Variant {
  name: string;
  /**
   * mqtt-fleet, plain MQTT.js (baseline.ts), the C reference (c/connect-poll.c: CLIENTS WINDOW),
   * or Node's floor for the same (node-connect.ts: CLIENTS WINDOW).
   */
  kind: 'baseline' | 'fleet' | 'c' | 'node';
  args: string[];
  /** With --work: the same mode's variant without it, in the same workload (its calm p99). */
  calm?: string;
  /** A smaller thread-per-client variant of the same workload: RSS per added thread is taken against it. */
  rssFrom?: string;
}

/** Which Markdown table shows a workload's results. */
export type Table = 'throughput' | 'latency' | 'isolation' | 'connections' | 'connect' | 'startup';

export interface Workload {
  id: string;
  title: string;
  table: Table;
  mosquittoConfig: string;
  /** The variant every ratio is taken against. */
  reference: string;
  /** The single-loop variant, when the workload has one: ratios against it too (issue 11's targets). */
  loop?: string;
  /** Messages per second the publishers are asked for (clients x --rate), for paced workloads. */
  offeredPerSec?: number;
  /** One measurement that takes longer than this is killed and recorded as a failure. */
  runTimeoutMs: number;
  variants: Variant[];
}

export interface Measurement {
  type: 'measurement';
  workload: string;
  variant: string;
  rep: number;
  clients: number;
  /** Worker threads that ran clients (0 for one loop and for the baseline). */
  threads: number;
  /** `received` over `durationMs`: a run that falls behind and catches up in the drain scores below its offered rate. */
  receivedPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyP999Ms: number;
  /** With --work: p99 of the clients that do not work; otherwise the overall p99. */
  othersP99Ms: number;
  /** From launch until every client was connected and subscribed (the start barrier). */
  connectMs: number;
  /** From the start barrier to the last message published or received. */
  durationMs: number;
  peakRssMb: number;
  lost: number;
  /** Expected, never received, fate unknown when the run ended (W4b's backlog of client 0 ends here). */
  inFlight: number;
  exitCode: number;
  planned: number;
  published: number;
  received: number;
  /** The whole process, from spawn to exit (start-up, connecting and shutting down included). */
  wallMs: number;
  /** CPU time of the measured process (every thread) and of the broker over that same span. */
  clientCpuMs: number;
  brokerCpuMs: number;
  /** TcpExt ListenOverflows and ListenDrops over the measurement (netstat.ts); null: not readable. */
  listenOverflows: number | null;
  listenDrops: number | null;
  /** The largest connect window in the run's stats lines (mqtt-fleet only). */
  connectWindowPeak: number | null;
}

/** A measurement that did not produce a result: the process failed or was killed at the run timeout. */
export interface Failure {
  type: 'failure';
  workload: string;
  variant: string;
  rep: number;
  reason: string;
  wallMs: number;
}

/** Queues unbounded, so the broker never drops what a fast publisher sends. */
const QUEUES = ['max_connections -1', 'max_queued_messages 0', 'max_inflight_messages 100'];
/** Every delivery its own TCP segment, for honest latency: the bench's broker. */
const BROKER = [...QUEUES, 'set_tcp_nodelay true'].join('\n');
/** Mosquitto's default: Nagle coalesces deliveries, so a receiver wakes up less often. */
const BROKER_NAGLE = QUEUES.join('\n');

const RUN_TIMEOUT_MS = 180_000;

const fleet = (name: string, args: string[], extra: Partial<Variant> = {}): Variant => ({
  name,
  kind: 'fleet',
  args,
  ...extra,
});
const baseline = (args: string[]): Variant => ({ name: 'plain MQTT.js', kind: 'baseline', args });

/** Clients of W5-connect, and the C reference's window (what mqtt-fleet's fixed window was). */
const CONNECT_CLIENTS = 5000;
const C_WINDOW = 64;

/** The modes every throughput and latency workload compares. */
function modes(cores: number, args: string[]): Variant[] {
  return [
    fleet('single loop', [...args, '--threads', '0']),
    fleet(`pool of ${cores}`, [...args, '--threads', String(cores)]),
    fleet('thread per client', [...args, '--threads', 'per-client']),
  ];
}

/** Each mode calm, then each mode with some clients working: paired by `calm`. */
function isolation(cores: number, args: string[], work: string[]): Variant[] {
  const calm = modes(cores, args);
  return [...calm, ...calm.map((v) => fleet(`${v.name} + work`, [...v.args, ...work], { calm: v.name }))];
}

export function WORKLOADS(cores: number): Workload[] {
  const w1 = (qos: number): Workload => {
    // Window 100 for both (the broker's max_inflight_messages is raised to match).
    const args = [
      '-c',
      '20',
      '--count',
      '10000',
      '--size',
      '64',
      '--rate',
      '0',
      '--qos',
      String(qos),
      '--max-inflight',
      '100',
    ];
    return {
      id: `W1-qos${qos}`,
      title: `throughput: 20 clients x 10,000 x 64 B to their own topics, unpaced, QoS ${qos}`,
      table: 'throughput',
      mosquittoConfig: BROKER,
      reference: 'plain MQTT.js',
      loop: 'single loop',
      runTimeoutMs: RUN_TIMEOUT_MS,
      variants: [
        baseline(['--clients', '20', '--count', '10000', '--size', '64', '--qos', String(qos)]),
        ...modes(cores, args),
      ],
    };
  };
  const w3 = (id: string, config: string, broker: string): Workload => ({
    id,
    title: `latency at a fixed rate: 20 clients x 500 msg/s for 10 s, QoS 0, ${broker}`,
    table: 'latency',
    mosquittoConfig: config,
    reference: 'plain MQTT.js',
    loop: 'single loop',
    offeredPerSec: 20 * 500,
    runTimeoutMs: RUN_TIMEOUT_MS,
    variants: [
      baseline(['--clients', '20', '--count', '5000', '--rate', '500', '--qos', '0']),
      ...modes(cores, ['-c', '20', '--rate', '500', '--duration', '10s', '--qos', '0']),
    ],
  });
  return [
    w1(0),
    w1(1),
    w3('W3-nodelay', BROKER, 'Mosquitto with set_tcp_nodelay true'),
    w3('W3-nagle', BROKER_NAGLE, "Mosquitto's default (Nagle on)"),
    {
      id: 'W4a',
      title: 'one slow client: 20 clients x 50 msg/s for 10 s; client 0 spends 10 ms of CPU per message',
      table: 'isolation',
      mosquittoConfig: BROKER,
      reference: 'single loop',
      loop: 'single loop',
      offeredPerSec: 20 * 50,
      runTimeoutMs: RUN_TIMEOUT_MS,
      variants: isolation(
        cores,
        ['-c', '20', '--rate', '50', '--duration', '10s'],
        ['--work', '10ms', '--work-clients', '0'],
      ),
    },
    {
      // Client 0 gets through 50 of the 500 msg/s due to it (its own publisher, on its thread, falls
      // behind with it). The drain is cut to 2 s, so what is queued for it cannot stretch the run.
      id: 'W4b',
      title: 'one overloaded client: 20 clients x 500 msg/s for 10 s; client 0 spends 20 ms of CPU per message',
      table: 'isolation',
      mosquittoConfig: BROKER,
      reference: 'single loop',
      loop: 'single loop',
      offeredPerSec: 20 * 500,
      runTimeoutMs: 120_000,
      variants: isolation(
        cores,
        ['-c', '20', '--rate', '500', '--duration', '10s', '--drain-timeout', '2s'],
        ['--work', '20ms', '--work-clients', '0'],
      ),
    },
    {
      id: 'W5',
      title: 'connections: time until all are connected and subscribed, memory per client',
      table: 'connections',
      mosquittoConfig: BROKER,
      reference: 'single loop x 1,000',
      runTimeoutMs: RUN_TIMEOUT_MS,
      variants: [
        fleet('single loop x 1,000', ['-c', '1000', '--count', '1', '--rate', '1', '--threads', '0']),
        fleet(`pool of ${cores} x 1,000`, ['-c', '1000', '--count', '1', '--rate', '1', '--threads', String(cores)]),
        fleet('single loop x 10,000', ['-c', '10000', '--count', '1', '--rate', '1', '--threads', '0']),
        fleet(`pool of ${cores} x 10,000`, ['-c', '10000', '--count', '1', '--rate', '1', '--threads', String(cores)]),
        fleet('thread per client x 200', ['-c', '200', '--count', '1', '--rate', '1', '--threads', 'per-client']),
      ],
    },
    {
      // Connect time against the C poll loop, every variant in the same run against the same
      // broker (listen backlog 100): the adaptive window (the default) and the old fixed 64, and
      // MQTT.js in place of the lean client.
      id: 'W5-connect',
      title: `connect time: ${CONNECT_CLIENTS.toLocaleString('en-US')} clients connected and subscribed, against a C libmosquitto poll loop`,
      table: 'connect',
      mosquittoConfig: BROKER,
      reference: 'C poll loop',
      loop: 'single loop',
      runTimeoutMs: RUN_TIMEOUT_MS,
      variants: [
        { name: 'C poll loop', kind: 'c', args: [String(CONNECT_CLIENTS), String(C_WINDOW)] },
        // The same loop in Node: net.Socket and hand-made packets, no MQTT library, nothing of ours.
        { name: 'Node floor (net.Socket)', kind: 'node', args: [String(CONNECT_CLIENTS), String(C_WINDOW)] },
        baseline(['--clients', String(CONNECT_CLIENTS), '--count', '1', '--rate', '1']),
        ...[
          ['single loop', '0'],
          [`pool of ${cores}`, String(cores)],
        ].flatMap(([name, threads]) => {
          const args = ['-c', String(CONNECT_CLIENTS), '--count', '1', '--rate', '1', '--threads', threads!];
          return [
            fleet(name!, args),
            fleet(`${name}, fixed ${C_WINDOW}`, [...args, '--connect-concurrency', String(C_WINDOW)]),
            // MQTT.js for every session, as before the lean client (the default since issue 16).
            fleet(`${name}, --mqtt-client mqttjs`, [...args, '--mqtt-client', 'mqttjs']),
          ];
        }),
      ],
    },
    {
      // 1,000 threads took about 90 s on this machine when issue 11 was filed: the timeout leaves
      // room for a loaded machine. Mosquitto's listen backlog is 100; the adaptive connect window keeps it from overflowing.
      id: 'W6',
      title:
        'start-up: 20 and 1,000 clients with a thread each, connected and publishing once (one loop and a pool for scale)',
      table: 'startup',
      mosquittoConfig: BROKER,
      reference: 'single loop x 1,000',
      runTimeoutMs: 480_000,
      variants: [
        fleet('single loop x 1,000', ['-c', '1000', '--count', '1', '--rate', '1', '--threads', '0']),
        fleet(`pool of ${cores} x 1,000`, ['-c', '1000', '--count', '1', '--rate', '1', '--threads', String(cores)]),
        fleet('thread per client x 20', ['-c', '20', '--count', '1', '--rate', '1', '--threads', 'per-client']),
        fleet('thread per client x 1,000', ['-c', '1000', '--count', '1', '--rate', '1', '--threads', 'per-client'], {
          rssFrom: 'thread per client x 20',
        }),
      ],
    },
  ];
}
