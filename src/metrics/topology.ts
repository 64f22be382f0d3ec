import type { SessionSpec } from '../protocol.js';
import { hasWildcard, topicMatches } from '../session/templates.js';

/**
 * Which publishers each subscriber should hear from, by MQTT topic matching: the streams whose
 * sequence numbers we account for. Exact filters are a map lookup; only wildcard filters scan.
 */
export function expectedStreams(specs: readonly SessionSpec[]): Map<number, number[]> {
  const byTopic = new Map<string, number[]>();
  for (const spec of specs) {
    if (spec.pubTopic === null) continue;
    const list = byTopic.get(spec.pubTopic);
    if (list) list.push(spec.index);
    else byTopic.set(spec.pubTopic, [spec.index]);
  }
  const expected = new Map<number, number[]>();
  for (const spec of specs) {
    const filter = spec.subTopic;
    if (filter === null) continue;
    if (!hasWildcard(filter)) {
      expected.set(spec.index, byTopic.get(filter) ?? []);
      continue;
    }
    const publishers: number[] = [];
    for (const [topic, list] of byTopic) if (topicMatches(filter, topic)) publishers.push(...list);
    expected.set(spec.index, publishers);
  }
  return expected;
}
