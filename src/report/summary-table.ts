import type { Summary } from './events.js';
import { ExitCode, isStopCode } from './exit-codes.js';
import { MODE_LABELS } from '../group.js';
import { assertNever } from '../protocol.js';
import { colours, fmtInt, fmtMs, plural } from './format.js';
import { STEPS, type Step } from '../metrics/steps.js';
import { describeOutcome } from './thresholds.js';
import { requestRows } from './request-rows.js';

/** The human summary printed to stderr at the end of a run. */
export function formatSummary(s: Summary, stream: NodeJS.WriteStream = process.stderr): string {
  const c = colours(stream);
  const threads = s.mode === 'single-loop' ? 'main event loop' : plural(s.threads, 'worker thread');
  const bad = (n: number, text: string): string => (n > 0 ? c.red(text) : text);
  const lat = s.latencyMs;
  const rows: [string, string][] = [
    [
      'clients',
      `${fmtInt(s.connected)}/${fmtInt(s.clients)} connected at least once · ${bad(s.gaveUp, `${fmtInt(s.gaveUp)} gave up`)} · ${bad(s.failed, `${fmtInt(s.failed)} failed`)} · ${fmtInt(s.reconnects)} reconnects`,
    ],
    ...(s.churned > 0 || s.left > 0
      ? [['comings', `${fmtInt(s.left)} left as planned · ${fmtInt(s.churned)} churned`] as [string, string]]
      : []),
    ...Object.entries(s.wills).map(([group, w]): [string, string] => [
      `wills ${group}`,
      `${fmtInt(w.received)} received of ${fmtInt(w.expected)} expected${w.received !== w.expected ? c.red(' (differs)') : ''}`,
    ]),
    [
      'connect',
      s.gaveUp + s.failed > 0
        ? `${fmtMs(s.connectMs)} until every client had connected and subscribed or given up`
        : `${fmtMs(s.connectMs)} until every client was connected and subscribed`,
    ],
    ...stepRows(s),
    [
      'messages',
      `${fmtInt(s.published)} published · ${fmtInt(s.received)} received · ${bad(s.lost, `${fmtInt(s.lost)} lost`)} · ${fmtInt(s.inFlight)} in flight · ${bad(s.duplicates, `${fmtInt(s.duplicates)} duplicates`)} · ${fmtInt(s.outOfOrder)} out of order`,
    ],
    [
      'throughput',
      `out ${fmtInt(s.publishedPerSec)} msg/s · in ${fmtInt(s.receivedPerSec)} msg/s over ${fmtMs(s.warmup ? Math.max(0, s.durationMs - s.warmup.ms) : s.durationMs)}${s.warmup ? ' after the warm-up' : ''}`,
    ],
    ...(s.warmup
      ? [
          [
            'warm-up',
            `first ${fmtMs(s.warmup.ms)}: ${fmtInt(s.warmup.published)} published · ${fmtInt(s.warmup.received)} received, out of latency, send lag and rates (accounted for)`,
          ] as [string, string],
        ]
      : []),
    [
      'latency',
      lat.count === 0
        ? 'no messages received'
        : `p50 ${fmtMs(lat.p50)} · p90 ${fmtMs(lat.p90)} · p99 ${fmtMs(lat.p99)} · p99.9 ${fmtMs(lat.p999)} · max ${fmtMs(lat.max)}`,
    ],
    ...groupRows(s),
    ...requestRows(s, (text) => c.red(text)),
    ...scheduleRows(s),
    [
      'loop delay',
      s.loopDelayMs
        ? `p50 ${fmtMs(s.loopDelayMs.p50)} · p99 ${fmtMs(s.loopDelayMs.p99)} · max ${fmtMs(s.loopDelayMs.max)} (worst thread, while publishing)`
        : 'not measured',
    ],
    [
      'process',
      `peak RSS ${fmtInt(s.peakRssMb)} MB · CPU ${fmtMs(s.cpuMs.user)} user + ${fmtMs(s.cpuMs.system)} system`,
    ],
  ];
  if (s.groups)
    rows.unshift([
      'groups',
      s.groups
        .map(
          (g) =>
            `${g.name} x ${fmtInt(g.clients)} (${MODE_LABELS[g.mode]}${g.mode === 'pool' ? ` of ${g.threads}` : ''})`,
        )
        .join(' · '),
    ]);
  const short = s.shortfall.filter((r) => r === 'unpublished' || r === 'unacknowledged');
  if (short.length > 0) {
    rows.splice(rows.findIndex(([k]) => k === 'messages') + 1, 0, [
      'shortfall',
      short
        .map((r) =>
          r === 'unpublished'
            ? `published ${fmtInt(s.published)} of ${fmtInt(s.planned)} planned`
            : `acknowledged ${fmtInt(s.acked)} of ${fmtInt(s.planned)} planned`,
        )
        .map((t) => c.red(t))
        .join(' · '),
    ]);
  }
  if (s.unsubscribed > 0)
    rows.push([
      'not subscribed',
      `${fmtInt(s.unsubscribed)} messages sent while their subscriber was not subscribed (not yet, or no longer): not lost`,
    ]);
  if (s.foreign > 0)
    rows.push([
      'foreign',
      `${fmtInt(s.foreign)} messages without this run's header (other traffic, workload hooks' own publishes, untracked payload templates), or from publishers outside the plan`,
    ]);
  if (s.stale > 0)
    rows.push([
      'stale',
      `${fmtInt(s.stale)} messages of an earlier run with the same run id (retained or queued): ignored`,
    ]);
  if (s.retained > 0) rows.push(['retained', `${fmtInt(s.retained)} deliveries carried the retain flag`]);
  const gen = s.generatorLimited;
  if (gen.limited) {
    rows.push([
      'generator',
      c.yellow('mqtt-fleet could not keep up: these figures describe mqtt-fleet, not the broker'),
    ]);
    for (const reason of gen.reasons) rows.push([`  ${reason.signal}`, reason.detail]);
  }
  s.thresholds.forEach((o, n) => {
    rows.push([
      n === 0 ? 'thresholds' : '',
      o.pass ? c.green(`pass  ${describeOutcome(o)}`) : c.red(`FAIL  ${describeOutcome(o)}`),
    ]);
  });
  const codes = Object.entries(s.reasonCodes);
  if (codes.length > 0) rows.push(['reason codes', codes.map(([code, n]) => `${code}: ${fmtInt(n)}`).join(' · ')]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const part = s.shard
    ? ` · shard ${s.shard.index}/${s.shard.count} (streams within this shard)`
    : s.shards !== undefined
      ? ` · merged from ${s.shards} shards`
      : '';
  const phase = s.phase === null ? 'unpaced' : s.phase === 'mixed' ? 'phases mixed' : `phase ${s.phase}`;
  const head = `${c.bold('mqtt-fleet')} run ${s.runId}${part} · ${MODE_LABELS[s.mode]}, ${threads} · QoS ${s.qos} · ${phase} · ${s.brokers.join(', ')}`;
  return [head, '', ...rows.map(([k, v]) => `${c.dim(k.padEnd(width))}  ${v}`), '', verdict(s, c)].join('\n') + '\n';
}

/** What each step's row says it timed; steps that never happened get no row. */
const STEP_LABELS: Record<Step, string> = {
  tcpConnect: 'TCP connect',
  tlsHandshake: 'TLS handshake',
  connack: 'CONNECT to CONNACK',
  suback: 'SUBSCRIBE to SUBACK',
  puback: 'publish to PUBACK',
  pubcomp: 'publish to PUBCOMP',
  reconnect: 'drop to next CONNACK',
};

function stepRows(s: Summary): [string, string][] {
  return STEPS.filter((step) => s.steps[`${step}Ms`].count > 0).map((step) => {
    const l = s.steps[`${step}Ms`];
    return [
      `  ${step}`,
      `p50 ${fmtMs(l.p50)} · p90 ${fmtMs(l.p90)} · p99 ${fmtMs(l.p99)} · p99.9 ${fmtMs(l.p999)} · max ${fmtMs(l.max)} (${STEP_LABELS[step]}, ${fmtInt(l.count)})`,
    ];
  });
}

/** The latency from the schedule and the publishers' lag behind it; unpaced runs have neither. */
function scheduleRows(s: Summary): [string, string][] {
  const percentiles = (l: NonNullable<Summary['scheduledLatencyMs']>): string =>
    `p50 ${fmtMs(l.p50)} · p90 ${fmtMs(l.p90)} · p99 ${fmtMs(l.p99)} · p99.9 ${fmtMs(l.p999)} · max ${fmtMs(l.max)}`;
  if (s.scheduledLatencyMs === null || s.sendLagMs === null)
    return [['from schedule', 'unpaced (--rate 0): no schedule, only the latency above applies']];
  const sched = s.scheduledLatencyMs;
  const lag = s.sendLagMs;
  return [
    [
      'from schedule',
      sched.count === 0 ? 'no paced messages received' : `${percentiles(sched)} (receive minus scheduled send)`,
    ],
    [
      'send lag',
      lag.count === 0
        ? 'no paced messages sent'
        : `${percentiles(lag)} · ${fmtInt(s.lateSends)} sent more than a period late`,
    ],
  ];
}

function groupRows(s: Summary): [string, string][] {
  const rows: [string, string][] = [];
  const { others, working } = s.latencyMs;
  const line = (l: NonNullable<typeof others>): string =>
    l.count === 0 ? 'no messages' : `p50 ${fmtMs(l.p50)} · p99 ${fmtMs(l.p99)} · max ${fmtMs(l.max)}`;
  if (others) rows.push(['  others', line(others)]);
  if (working) rows.push([`  working`, `${line(working)} (${fmtMs(s.workMs)} of CPU per message)`]);
  return rows;
}

function verdict(s: Summary, c: ReturnType<typeof colours>): string {
  switch (s.exitCode) {
    case ExitCode.Ok:
      return c.green(`result: ok (exit ${s.exitCode})`);
    case ExitCode.ThresholdCrossed: {
      const crossed = s.thresholds.filter((o) => !o.pass).map((o) => o.threshold);
      const stopped = s.thresholds.some((o) => o.abortedAt !== null) ? ', run stopped early' : '';
      return c.red(`result: threshold crossed: ${crossed.join(', ')}${stopped} (exit ${s.exitCode})`);
    }
    default: {
      if (isStopCode(s.exitCode)) return c.yellow(`result: interrupted, figures so far (exit ${s.exitCode})`);
      const why = s.shortfall.map((reason) => {
        switch (reason) {
          case 'gave-up':
            return `${plural(s.gaveUp, 'client')} gave up`;
          case 'failed':
            return `${s.failed} failed`;
          case 'lost':
            return `${s.lost} messages lost at QoS ${s.qos}`;
          case 'unpublished':
            return `${fmtInt(s.published)} of ${fmtInt(s.planned)} planned messages published`;
          case 'unacknowledged':
            return `${fmtInt(s.acked)} of ${fmtInt(s.planned)} planned messages acknowledged`;
          default:
            return assertNever(reason);
        }
      });
      const crossed = s.thresholds.filter((o) => !o.pass).map((o) => o.threshold);
      const also = crossed.length > 0 ? `; thresholds crossed too: ${crossed.join(', ')}` : '';
      return c.red(`result: fell short: ${why.join(', ')}${also} (exit ${s.exitCode})`);
    }
  }
}
