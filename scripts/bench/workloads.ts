/** The benchmark workloads (see scripts/bench/README.md). */

export interface Variant {
  name: string;
  kind: 'baseline' | 'fleet';
  args: string[];
}

export interface Workload {
  id: string;
  title: string;
  mosquittoConfig: string;
  /** The variant every ratio is taken against. */
  reference: string;
  variants: Variant[];
}

export interface Measurement {
  type: 'measurement';
  workload: string;
  variant: string;
  rep: number;
  clients: number;
  receivedPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** With --work: p99 of the clients that do not work; otherwise the overall p99. */
  othersP99Ms: number;
  connectMs: number;
  peakRssMb: number;
  lost: number;
  exitCode: number;
  received: number;
  /** The whole process, from spawn to exit (start-up and connecting included). */
  wallMs: number;
  /** CPU time of the measured process (every thread) and of the broker over that same span. */
  clientCpuMs: number;
  brokerCpuMs: number;
}

// Queues unbounded, so the broker never drops what a fast publisher sends; no Nagle on its side.
const BROKER = ['max_connections -1', 'max_queued_messages 0', 'max_inflight_messages 100', 'set_tcp_nodelay true'].join('\n');

const fleet = (name: string, args: string[]): Variant => ({ name, kind: 'fleet', args });
const baseline = (args: string[]): Variant => ({ name: 'plain MQTT.js', kind: 'baseline', args });

/** The modes every throughput and latency workload compares. */
function modes(cores: number, args: string[], suffix = ''): Variant[] {
  return [
    fleet(`single loop${suffix}`, [...args, '--threads', '0']),
    fleet(`pool of ${cores}${suffix}`, [...args, '--threads', String(cores)]),
    fleet(`thread per client${suffix}`, [...args, '--threads', 'per-client']),
  ];
}

export function WORKLOADS(cores: number): Workload[] {
  const w1 = (qos: number): Workload => {
    // Window 100 for both (the broker's max_inflight_messages is raised to match).
    const args = ['-c', '20', '--count', '10000', '--size', '64', '--rate', '0', '--qos', String(qos), '--max-inflight', '100'];
    return {
      id: `W1-qos${qos}`,
      title: `throughput: 20 clients x 10,000 x 64 B to their own topics, unpaced, QoS ${qos}`,
      mosquittoConfig: BROKER,
      reference: 'plain MQTT.js',
      variants: [baseline(['--clients', '20', '--count', '10000', '--size', '64', '--qos', String(qos)]), ...modes(cores, args)],
    };
  };
  return [
    w1(0),
    w1(1),
    {
      id: 'W3',
      title: 'latency at a fixed rate: 20 clients x 500 msg/s for 10 s, QoS 0',
      mosquittoConfig: BROKER,
      reference: 'plain MQTT.js',
      variants: [
        baseline(['--clients', '20', '--count', '5000', '--rate', '500', '--qos', '0']),
        ...modes(cores, ['-c', '20', '--rate', '500', '--duration', '10s', '--qos', '0']),
      ],
    },
    {
      id: 'W4',
      title: 'one slow client: 20 clients x 50 msg/s for 10 s; client 0 spends 10 ms of CPU per message',
      mosquittoConfig: BROKER,
      reference: 'single loop',
      variants: [
        ...modes(cores, ['-c', '20', '--rate', '50', '--duration', '10s']),
        ...modes(cores, ['-c', '20', '--rate', '50', '--duration', '10s', '--work', '10ms', '--work-clients', '0'], ' + work'),
      ],
    },
    {
      id: 'W5',
      title: 'connections: time until all are connected and subscribed, memory per client',
      mosquittoConfig: BROKER,
      reference: 'single loop x 1,000',
      variants: [
        fleet('single loop x 1,000', ['-c', '1000', '--count', '1', '--rate', '1', '--threads', '0']),
        fleet(`pool of ${cores} x 1,000`, ['-c', '1000', '--count', '1', '--rate', '1', '--threads', String(cores)]),
        fleet('single loop x 10,000', ['-c', '10000', '--count', '1', '--rate', '1', '--threads', '0']),
        fleet(`pool of ${cores} x 10,000`, ['-c', '10000', '--count', '1', '--rate', '1', '--threads', String(cores)]),
        fleet('thread per client x 200', ['-c', '200', '--count', '1', '--rate', '1', '--threads', 'per-client']),
      ],
    },
  ];
}
