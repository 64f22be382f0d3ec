import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Aggregate } from '../metrics/aggregate.js';
import type { PromBuckets } from '../metrics/prom-buckets.js';
import type { ClientState } from '../protocol.js';
import { STEPS } from '../metrics/steps.js';
import { at } from '../mqtt/checked.js';

/** How long a scrape may take to send its request (headers and body). */
const SLOW_CLIENT_MS = 10_000;

/**
 * Every state a client can be in, as the `state` label shows it: each client in exactly one, so
 * they sum to the fleet. A client between its CONNACK and its SUBACK is `subscribing` here (its
 * status line says `connected`, the event): "connected" is mqtt_fleet_clients_connected, every
 * client with an open connection, subscribing, ready or done publishing alike.
 */
const STATES: readonly [ClientState, string][] = [
  ['waiting', 'waiting'],
  ['connecting', 'connecting'],
  ['connected', 'subscribing'],
  ['ready', 'ready'],
  ['published', 'published'],
  ['disconnected', 'disconnected'],
  ['reconnecting', 'reconnecting'],
  ['churned', 'churned'],
  ['left', 'left'],
  ['gave-up', 'gave-up'],
  ['failed', 'failed'],
  ['done', 'done'],
];

/**
 * Prometheus metrics of a running fleet on `/metrics` (prom-client): clients by state, message
 * counters, a latency histogram and reconnects, labelled with the run id and thread mode, plus
 * prom-client's process metrics. Values are read from the run's aggregate at scrape time:
 * `source.aggregate`, which the run may replace once it starts (it listens before, so a taken
 * port is refused before anything else happens).
 */
export class MetricsServer {
  readonly registry = new Registry();
  private readonly server: Server;

  constructor(source: { readonly aggregate: Aggregate }, labels: { run: string; mode: string }) {
    const r = this.registry;
    r.setDefaultLabels(labels);
    collectDefaultMetrics({ register: r, prefix: 'mqtt_fleet_' });
    new Gauge({
      name: 'mqtt_fleet_clients',
      help: 'Clients by state',
      labelNames: ['state'],
      registers: [r],
      collect() {
        for (const [state, label] of STATES) this.set({ state: label }, source.aggregate.inState(state));
      },
    });
    new Gauge({
      name: 'mqtt_fleet_clients_connected',
      help: "Clients with an open MQTT connection (subscribing, ready or done publishing): the stats lines' connected",
      registers: [r],
      collect() {
        this.set(source.aggregate.online);
      },
    });
    const counter = (name: string, help: string, value: () => number): void => {
      new Counter({
        name,
        help,
        registers: [r],
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    };
    const t = () => source.aggregate.totals;
    counter('mqtt_fleet_messages_published_total', 'Messages handed to MQTT.js', () => t().published);
    counter(
      'mqtt_fleet_messages_acked_total',
      'Published messages written (QoS 0) or acknowledged (QoS 1, 2)',
      () => t().acked,
    );
    counter(
      'mqtt_fleet_messages_received_total',
      "Deliveries of this run's messages, duplicates included",
      () => t().received,
    );
    counter('mqtt_fleet_messages_duplicates_total', 'Deliveries of a message already received', () => t().duplicates);
    counter(
      'mqtt_fleet_messages_out_of_order_total',
      'Messages that arrived after a later one of the same publisher',
      () => t().outOfOrder,
    );
    counter(
      'mqtt_fleet_messages_foreign_total',
      "Messages without this run's header, or from publishers outside the plan",
      () => t().foreign,
    );
    counter('mqtt_fleet_messages_stale_total', 'Messages of an earlier run with the same run id', () => t().stale);
    counter(
      'mqtt_fleet_reconnects_total',
      "Successful connects after each client's first",
      () => source.aggregate.reconnects,
    );
    counter(
      'mqtt_fleet_late_sends_total',
      'Paced messages sent more than one period after their scheduled time',
      () => t().lateSends,
    );
    // Absent, not 0, while the plan does not say (an unpaced publisher): a 0 would read as nothing due.
    r.registerMetric({
      name: 'mqtt_fleet_messages_offered_total',
      // eslint-disable-next-line @typescript-eslint/require-await
      get: async () => {
        const offered = source.aggregate.offered?.by(Date.now()) ?? null;
        return {
          name: 'mqtt_fleet_messages_offered_total',
          help: "Messages the plan had due by now, each lane as of its last report: the stats lines' offered",
          type: 'counter',
          aggregator: 'sum',
          values: offered === null ? [] : [{ value: Math.round(offered), labels: {} }],
        };
      },
      reset: () => {},
    } as never);
    counter('mqtt_fleet_churns_total', 'Planned reconnects (--churn)', () => source.aggregate.churned);
    counter(
      'mqtt_fleet_leaves_total',
      'Planned leaves (--client-stages, a plan that ends)',
      () => source.aggregate.left,
    );
    const wills = (name: string, help: string, value: (w: { expected: number; received: number }) => number): void => {
      new Counter({
        name,
        help,
        labelNames: ['group'],
        registers: [r],
        collect() {
          this.reset();
          for (const [group, counts] of source.aggregate.wills) this.inc({ group }, value(counts));
        },
      });
    };
    wills(
      'mqtt_fleet_wills_expected_total',
      'Wills that should have arrived: abrupt planned closes times the receivers of the will topic, per group with a will',
      (w) => w.expected,
    );
    wills('mqtt_fleet_wills_received_total', 'Wills that arrived, per group with a will', (w) => w.received);
    const histogram = (name: string, help: string, buckets: () => PromBuckets): void => {
      r.registerMetric({
        name,
        help,
        type: 'histogram',
        // prom-client awaits get(); async keeps a throw in it a rejection, as prom-client expects.
        // eslint-disable-next-line @typescript-eslint/require-await
        get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: buckets().values(name) }),
        reset: () => {},
      } as never);
    };
    histogram('mqtt_fleet_latency_seconds', 'Publish-to-receive latency', () => source.aggregate.promLatency);
    histogram(
      'mqtt_fleet_scheduled_latency_seconds',
      'Receive minus scheduled send time of paced messages',
      () => source.aggregate.promScheduledLatency,
    );
    histogram(
      'mqtt_fleet_send_lag_seconds',
      'Actual minus scheduled send time of paced messages, at the publisher',
      () => source.aggregate.promSendLag,
    );
    histogram(
      'mqtt_fleet_round_trip_seconds',
      'Request sent to response received, of answered requests (request/response)',
      () => source.aggregate.requests.prom,
    );
    const requests = () => source.aggregate.requests.counts;
    counter('mqtt_fleet_requests_sent_total', 'Requests sent (request/response)', () => requests().sent);
    counter(
      'mqtt_fleet_requests_answered_total',
      'Requests whose response came within the timeout',
      () => requests().answered,
    );
    counter(
      'mqtt_fleet_requests_timed_out_total',
      'Requests without a response within the timeout (late responses included)',
      () => requests().timedOut,
    );
    r.registerMetric({
      name: 'mqtt_fleet_step_seconds',
      // eslint-disable-next-line @typescript-eslint/require-await
      get: async () => ({
        name: 'mqtt_fleet_step_seconds',
        help: "Each step of the clients' lives: TCP connect, TLS handshake, CONNACK, SUBACK, PUBACK, PUBCOMP, reconnect",
        type: 'histogram',
        aggregator: 'sum',
        values: STEPS.flatMap((step, n) =>
          at(source.aggregate.promSteps, n).values('mqtt_fleet_step_seconds', { step }),
        ),
      }),
      reset: () => {},
    } as never);
    // A scraper that sends its request slowly, or never, must not hold the process after the run.
    this.server = createServer(
      { headersTimeout: SLOW_CLIENT_MS, requestTimeout: SLOW_CLIENT_MS, connectionsCheckingInterval: 1000 },
      (req, res) => {
        if (req.url !== '/metrics') {
          res.writeHead(404).end('try /metrics\n');
          return;
        }
        r.metrics().then(
          (text) => res.writeHead(200, { 'content-type': r.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      },
    );
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    return `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}/metrics`;
  }

  /** Stops listening and drops every connection, idle or mid-request: nothing keeps the process after the run. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
