import { clusterOf, publishStreams, type GroupProfile } from '../group.js';
import { sourceId } from '../mqtt/payload.js';
import type { SessionSpec } from '../protocol.js';
import { hasWildcard, shareOf, topicMatches } from '../mqtt/templates.js';

export interface Topology {
  /**
   * Per receiver key (a client, or a shared subscription): the publishers it should hear from, as
   * sources (a client's index, or one of its streams: mqtt/payload.ts sourceId).
   */
  expected: Map<string, number[]>;
  /** The clients behind each receiver key. */
  members: Map<string, number[]>;
  /**
   * Per receiver key, the sources it hears whose messages reach it without a header it can read
   * (a payload template at MQTT 3.1.1, or a header in a user property for an MQTT 3.1.1
   * subscriber): counted as foreign on arrival, so the drain waits for them too.
   */
  untracked: Map<string, number[]>;
}

/**
 * Which publishers each receiver should hear from, by MQTT topic matching within a broker
 * cluster: the streams whose sequence numbers we account for. Untracked publishers (a payload
 * template without MQTT 5) are left out. Exact filters are a map lookup; wildcards scan.
 */
export function expectedStreams(specs: readonly SessionSpec[], groups: readonly GroupProfile[]): Topology {
  const groupOf = (index: number): GroupProfile => groups.find((g) => index >= g.first && index < g.first + g.count)!;
  const cluster = (spec: SessionSpec): string => clusterOf(groupOf(spec.index), spec.n);
  const byTopic = new Map<string, number[]>();
  const inProperty = new Set<number>();
  const headerless = new Set<number>();
  for (const spec of specs) {
    if (spec.pubTopic === null) continue;
    // Each stream of a client is a publisher of its own, on its own topic.
    publishStreams(groupOf(spec.index)).forEach(({ tracking }, k) => {
      const source = sourceId(spec.index, k);
      if (tracking === 'none') headerless.add(source);
      if (tracking === 'property') inProperty.add(source);
      const key = `${cluster(spec)}\u0000${spec.streamTopics?.[k] ?? spec.pubTopic}`;
      const list = byTopic.get(key);
      if (list) list.push(source);
      else byTopic.set(key, [source]);
    });
  }
  // For wildcard filters, which scan every published topic: split the keys once, not per scan.
  const topics = [...byTopic].map(([key, list]) => {
    const [cluster, topic] = key.split('\u0000') as [string, string];
    return { cluster, topic, list };
  });
  const expected = new Map<string, number[]>();
  const untracked = new Map<string, number[]>();
  const members = new Map<string, number[]>();
  for (const spec of specs) {
    if (spec.subscriptions.length === 0) continue;
    const key = spec.receiverKey;
    const together = members.get(key);
    if (together) together.push(spec.index);
    else members.set(key, [spec.index]);
    if (expected.has(key)) continue; // a shared subscription's other members expect the same
    const home = cluster(spec);
    const heard = new Set<number>();
    // A header in an MQTT 5 user property does not survive the trip to an MQTT 3.1.1 subscriber.
    const readsProperties = groupOf(spec.index).protocolVersion === 5;
    for (const { filter, noLocal } of spec.subscriptions) {
      // MQTT 5 No Local: this filter brings the client none of its own messages.
      const self = noLocal === true ? spec.index : -1;
      if (!hasWildcard(filter)) {
        const plain = shareOf(filter)?.filter ?? filter;
        for (const p of byTopic.get(`${home}\u0000${plain}`) ?? []) if (p !== self) heard.add(p);
        continue;
      }
      for (const { cluster: c, topic, list } of topics) {
        if (c === home && topicMatches(filter, topic)) for (const p of list) if (p !== self) heard.add(p);
      }
    }
    const sources = [...heard].sort((a, b) => a - b);
    const readable = (p: number): boolean => !headerless.has(p) && (readsProperties || !inProperty.has(p));
    expected.set(
      key,
      sources.filter((p) => readable(p)),
    );
    const unread = sources.filter((p) => !readable(p));
    if (unread.length > 0) untracked.set(key, unread);
  }
  return { expected, members, untracked };
}

/**
 * For each client with a will: its group, and how many receivers (a client, or a shared
 * subscription) subscribe to its will topic within its broker cluster. An abrupt close of that
 * client should bring its will to each of them.
 */
export function willHearers(
  specs: readonly SessionSpec[],
  groups: readonly GroupProfile[],
): Map<number, { group: string; hearers: number }> {
  const groupOf = (index: number): GroupProfile => groups.find((g) => index >= g.first && index < g.first + g.count)!;
  const receivers = new Map<string, { cluster: string; filters: string[] }>();
  for (const spec of specs) {
    if (spec.subscriptions.length === 0 || receivers.has(spec.receiverKey)) continue;
    receivers.set(spec.receiverKey, {
      cluster: clusterOf(groupOf(spec.index), spec.n),
      filters: spec.subscriptions.map((s) => shareOf(s.filter)?.filter ?? s.filter),
    });
  }
  const out = new Map<number, { group: string; hearers: number }>();
  for (const spec of specs) {
    if (spec.will === null) continue;
    const group = groupOf(spec.index);
    const cluster = clusterOf(group, spec.n);
    let hearers = 0;
    for (const r of receivers.values()) {
      if (r.cluster === cluster && r.filters.some((f) => topicMatches(f, spec.will!.topic))) hearers++;
    }
    out.set(spec.index, { group: group.name, hearers });
  }
  return out;
}
