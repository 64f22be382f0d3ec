import mqtt from 'mqtt';
import type { TestContext } from 'node:test';
import { run, type RunOptions, type Summary } from '../../src/index.js';
import { tempFile } from './temp.js';

/**
 * One feature, tried against a broker: `yes`, or `no: CAUSE`. A known cause is a fixed phrase,
 * returned only when the run showed exactly that failure, so the README cell (compared with it
 * word for word) cannot drift from what is measured. Anything else is `no: unexpected: ...`
 * with the figures, which no README cell says. Exceptions are not caught: a crash fails the test.
 */
export type Outcome = 'yes' | `no: ${string}`;

/** The causes the README's "no" cells name, each detected by its own evidence below. */
export const CAUSES = {
  qos2Dropped:
    'clients are dropped once they publish at QoS 2, moments after their CONNACK, so they give up (`the broker closed the connection N ms after its CONNACK`)',
  protocolVersion: 'CONNACK 1, unacceptable protocol version',
  plainTopic: 'subscribed without error, nothing delivered: `$share/...` is taken as a plain topic',
} as const;

export interface Measured {
  summary: Summary;
  /** The error of every status event that carried one (reconnecting, gave-up, failed, disconnected). */
  errors: string[];
  /** The errors the clients gave up with, one per client that gave up. */
  gaveUpWith: string[];
  /** Each client's states, in order. */
  states: Map<number, string[]>;
}

export async function measure({
  onStatus,
  ...options
}: RunOptions & { onStatus?: (client: number, state: string) => void }): Promise<Measured> {
  const errors: string[] = [];
  const gaveUpWith: string[] = [];
  const states = new Map<number, string[]>();
  const summary = await run({
    threads: 0,
    ...options,
    onEvent: (e) => {
      if (e.type !== 'status') return;
      onStatus?.(e.client, e.state);
      states.set(e.client, [...(states.get(e.client) ?? []), e.state]);
      if (!e.error) return;
      errors.push(e.error.message);
      if (e.state === 'gave-up') gaveUpWith.push(e.error.message);
    },
  });
  return { summary, errors, gaveUpWith, states };
}

export function unexpected(m: Measured, what: string): Outcome {
  const s = m.summary;
  const figures = `received ${s.received}/${s.expected}, lost ${s.lost}, duplicates ${s.duplicates}, gave up ${s.gaveUp}, failed ${s.failed}`;
  return `no: unexpected: ${what}; ${figures}; errors: ${JSON.stringify([...new Set(m.errors)])}`;
}

/** Every client gave up, with an error matching `pattern`, and nothing was delivered. */
export function allGaveUp(m: Measured, clients: number, pattern: RegExp): boolean {
  return (
    m.summary.gaveUp === clients &&
    m.summary.received === 0 &&
    m.gaveUpWith.length === clients &&
    m.gaveUpWith.every((e) => pattern.test(e))
  );
}

/** True once `wait` resolves, false after `ms` (a deadline, not a sleep: its timer is cleared). */
export async function within(wait: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([wait.then(() => true as const), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The features the README's broker table lists, each measured with a small real run. */
/** One feature's check against the broker at `url`; its temp files go with the test `t`. */
export type FeatureCheck = (url: string, t: TestContext) => Promise<Outcome>;

export const FEATURES: Record<string, FeatureCheck> = {
  'QoS 0': async (url) => {
    const m = await measure({ brokers: [url], clients: 3, count: 20, rate: 100, qos: 0 });
    return m.summary.received === 60 && m.summary.gaveUp === 0 ? 'yes' : unexpected(m, 'QoS 0');
  },
  'QoS 1': async (url) => {
    const m = await measure({ brokers: [url], clients: 3, count: 20, rate: 100, qos: 1 });
    const s = m.summary;
    return s.received - s.duplicates === 60 && s.lost === 0 && s.gaveUp === 0 ? 'yes' : unexpected(m, 'QoS 1');
  },
  'QoS 2': async (url) => {
    const m = await measure({ brokers: [url], clients: 3, count: 20, rate: 100, qos: 2, reconnectAttempts: 1 });
    const s = m.summary;
    if (s.received === 60 && s.duplicates === 0 && s.lost === 0 && s.gaveUp === 0) return 'yes';
    // Connected and subscribed, dropped after publishing began (NATS logs "publish QoS=2 not
    // supported"): a drop within --connect-timeout of the CONNACK, which spends the one attempt.
    const droppedOnceReady = [0, 1, 2].every((i) =>
      /ready,.*disconnected,.*gave-up$/.test(m.states.get(i)?.join(',') ?? ''),
    );
    if (
      s.published > 0 &&
      droppedOnceReady &&
      // A reset or EPIPE (our bytes unread at the broker's end, or a write into the closed socket)
      // is the same close, and says so.
      allGaveUp(m, 3, /^the broker closed the connection \d+ ms after its CONNACK$/)
    )
      return `no: ${CAUSES.qos2Dropped}`;
    return unexpected(m, 'QoS 2');
  },
  'retained messages': async (url) => {
    const topic = `interop/retained/${Date.now()}`;
    const m = await measure({
      brokers: [url],
      clients: 2,
      count: 1,
      qos: 1,
      retain: true,
      topic: `${topic}/{i}`,
      subTopic: '',
    });
    if (m.summary.published !== 2 || m.summary.gaveUp !== 0) return unexpected(m, 'publishing the retained messages');
    const later = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    try {
      let replayed = 0;
      const both = new Promise<void>((resolve) => {
        later.on('message', (_t, _p, packet) => packet.retain && ++replayed === 2 && resolve());
      });
      await later.subscribeAsync(`${topic}/+`, { qos: 1 });
      await within(both, 3000);
      return replayed === 2 ? 'yes' : `no: unexpected: ${replayed}/2 retained messages replayed within 3 s`;
    } finally {
      await later.endAsync();
    }
  },
  'will messages': async (url) => {
    const topic = `interop/will/${Date.now()}`;
    const watcher = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    try {
      const got = new Promise<void>((resolve) => watcher.on('message', () => resolve()));
      await watcher.subscribeAsync(topic, { qos: 1 });
      const doomed = await mqtt.connectAsync(url, {
        reconnectPeriod: 0,
        will: { topic, payload: Buffer.from('gone'), qos: 1, retain: false },
      });
      doomed.stream.destroy(); // no DISCONNECT: the broker must publish the will
      return (await within(got, 3000)) ? 'yes' : 'no: unexpected: no will within 3 s';
    } finally {
      await watcher.endAsync();
    }
  },
  'MQTT 5': async (url) => {
    const m = await measure({
      brokers: [url],
      clients: 2,
      count: 10,
      rate: 100,
      qos: 1,
      mqttVersion: '5',
      reconnectAttempts: 1,
    });
    const s = m.summary;
    if (s.received === 20 && s.lost === 0 && s.gaveUp === 0) return 'yes';
    if (allGaveUp(m, 2, /^broker refused the connection: unacceptable protocol version, CONNACK code 1;/))
      return `no: ${CAUSES.protocolVersion}`;
    return unexpected(m, 'MQTT 5');
  },
  'request/response': async (url, t) => {
    // Two requesters, one built-in responder (scenario groups: request and respond need MQTT 5).
    const path = tempFile(
      t,
      'rr.yaml',
      [
        'groups:',
        '  - { name: callers, count: 2, mqttVersion: 5, publish: { topic: "interop/req/{n}", count: 10, rate: 100, qos: 1 }, request: { timeout: 3s } }',
        '  - { name: service, count: 1, mqttVersion: 5, subscribe: { topic: "interop/req/+", qos: 1 }, respond: { qos: 1 } }',
        '',
      ].join('\n'),
      'interop',
    );
    const m = await measure({ brokers: [url], scenario: path, reconnectAttempts: 1 });
    const r = m.summary.requests;
    if (r && r.sent === 20 && r.answered === 20 && r.responded === 20 && m.summary.gaveUp === 0) return 'yes';
    if (allGaveUp(m, 3, /^broker refused the connection: unacceptable protocol version, CONNACK code 1;/))
      return `no: ${CAUSES.protocolVersion}`;
    return unexpected(m, `request/response ${JSON.stringify(r)}`);
  },
  'shared subscriptions': async (url) => {
    const m = await measure({
      brokers: [url],
      clients: 3,
      count: 20,
      rate: 100,
      qos: 1,
      topic: 'interop/share/{i}',
      subTopic: '$share/g/interop/share/+',
    });
    const s = m.summary;
    if (s.expected === 60 && s.received === 60 && s.duplicates === 0) return 'yes';
    // Subscribed without complaint, published everything, and no filter matched: the broker
    // subscribed each client to a topic literally named `$share/g/...`.
    if (
      s.expected === 60 &&
      s.published === 60 &&
      s.received === 0 &&
      s.gaveUp === 0 &&
      s.failed === 0 &&
      m.errors.length === 0
    )
      return `no: ${CAUSES.plainTopic}`;
    return unexpected(m, 'shared subscriptions');
  },
};
