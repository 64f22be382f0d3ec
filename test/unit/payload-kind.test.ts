import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveOptions } from '../../src/index.js';
import { latencyGroups, planLanes, planSessions } from '../../src/options/plan.js';
import type { SessionSettings, SessionSpec } from '../../src/protocol.js';
import { makeEncoder } from '../../src/session/encoder.js';
import { GeneratorSlot, payloadKind, userPayload } from '../../src/session/payload-source.js';
import { PublishLimit } from '../../src/session/publish-limit.js';
import { tempFile } from '../helpers/temp.js';

/**
 * What one message of a stream is, as the encoder makes it, and whether the broker-limit check
 * at CONNACK gives the client up for a fixed size over the limit: both must take the same view
 * of where the payload comes from, or a size the encoder sends is never checked up front.
 */
function sent(settings: SessionSettings, spec: SessionSpec): { kind: string; bytes: number; refusedAt1000: boolean } {
  const slot = new GeneratorSlot();
  slot.generate = () => Buffer.alloc(10);
  const encoder = makeEncoder(settings, spec, spec.index, userPayload(settings, { index: 0, topic: 't' }, slot));
  const payload = encoder.encode(0, 1, 0);
  assert.ok(payload);
  const limit = new PublishLimit(settings, spec, spec.pubTopic);
  return {
    kind: payloadKind(settings),
    bytes: payload.length,
    refusedAt1000: limit.fixedOver(1000) !== null,
  };
}

test('where a payload comes from is decided once: the encoder sends what the broker-limit check sizes', (t) => {
  const sample = tempFile(t, 'sample.bin', 'x'.repeat(500));
  const options = resolveOptions({ size: 2000, brokers: ['mqtt://127.0.0.1:1'], clients: 1, runId: 'k' }, {});
  const [lane] = planLanes(options, planSessions(options), latencyGroups(options));
  assert.ok(lane);
  const spec = lane.sessions[0];
  assert.ok(spec);
  const base = lane.settings;
  const cases: [string, Partial<SessionSettings>, { kind: string; bytes: number; refusedAt1000: boolean }][] = [
    ['size', {}, { kind: 'size', bytes: 2000, refusedAt1000: true }],
    ['template', { payloadTemplate: 'hello {seq}' }, { kind: 'template', bytes: 7, refusedAt1000: false }],
    ['files', { payloadFiles: [sample] }, { kind: 'files', bytes: 500, refusedAt1000: false }],
    ['generator', { payloadGenerator: true }, { kind: 'generator', bytes: 10, refusedAt1000: false }],
    // No files is no user payload: the encoder sends `size` bytes, so the limit must check them.
    ['empty file list', { payloadFiles: [] }, { kind: 'size', bytes: 2000, refusedAt1000: true }],
  ];
  for (const [name, change, expected] of cases) assert.deepEqual(sent({ ...base, ...change }, spec), expected, name);
});
