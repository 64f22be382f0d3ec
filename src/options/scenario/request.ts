import { UsageError } from '../../errors.js';
import type { RequestPlan, RespondPlan } from '../../group.js';
import { templateProblem, TOPIC_TOKENS } from '../../mqtt/templates.js';
import { parseBoundedDuration, parseQos } from '../parse.js';
import { at, isPlainObject, type Path, type Scenario } from './load.js';

/** Where requesters listen for responses unless told: their own topic, by client id (which names the run by default). */
export const DEFAULT_RESPONSE_TOPIC = 'mqtt-fleet/reply/{id}';
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const MAX_REQUEST_TIMEOUT_MS = 3_600_000;

const REQUEST_KEYS = new Set(['responseTopic', 'timeout', 'qos']);
const RESPOND_KEYS = new Set(['qos']);

/** What the group around a `request` or `respond` setting has, for the checks that need it. */
export interface RequestContext {
  protocolVersion: 4 | 5;
  publishes: boolean;
  subscribes: boolean;
  /** QoS when none is given: the group's publishes' (a requester), the run's otherwise. */
  qos: 0 | 1 | 2;
}

/** Response topic and correlation data are MQTT 5 properties: refused up front below 5, not sent and ignored. */
function needsMqtt5(scenario: Scenario, path: Path, ctx: RequestContext): void {
  if (ctx.protocolVersion !== 5)
    scenario.fail(path, 'needs mqttVersion 5 (response topic and correlation data are MQTT 5 properties)');
}

/** A group's `request`: true, or { responseTopic, timeout, qos }; false or null: none. */
export function requestPlan(scenario: Scenario, path: Path, value: unknown, ctx: RequestContext): RequestPlan | null {
  if (value === false || value === null) return null;
  if (value !== true && !isPlainObject(value)) scenario.fail(path, 'must be true or { responseTopic, timeout, qos }');
  needsMqtt5(scenario, path, ctx);
  if (!ctx.publishes) scenario.fail(path, 'needs publish: the group’s publishes are its requests');
  const r = value === true ? {} : value;
  for (const key of Object.keys(r))
    if (!REQUEST_KEYS.has(key))
      scenario.failKey([...path, key], `is not a known setting here; expected one of ${[...REQUEST_KEYS].join(', ')}`);
  let responseTopic = DEFAULT_RESPONSE_TOPIC;
  if (r.responseTopic !== undefined) {
    const topicPath = [...path, 'responseTopic'];
    if (typeof r.responseTopic !== 'string' || r.responseTopic === '')
      scenario.fail(topicPath, `must be a non-empty topic (got ${JSON.stringify(r.responseTopic)})`);
    const topic = r.responseTopic;
    // A topic to publish responses to: no wildcards. Each client subscribes to its own.
    at(scenario, topicPath, (label) => {
      const problem = templateProblem(label, topic, false, TOPIC_TOKENS);
      if (problem) throw new UsageError(label, problem);
    });
    responseTopic = topic;
  }
  return {
    responseTopic,
    timeoutMs:
      r.timeout === undefined
        ? DEFAULT_REQUEST_TIMEOUT_MS
        : // Text, as on the command line: `timeout: 2` needs its unit.
          at(scenario, [...path, 'timeout'], (label) =>
            parseBoundedDuration(label, String(r.timeout), 1, MAX_REQUEST_TIMEOUT_MS),
          ),
    qos: r.qos === undefined ? ctx.qos : at(scenario, [...path, 'qos'], (label) => parseQos(label, r.qos)),
  };
}

/** A group's `respond`: true, or { qos }; false or null: none. */
export function respondPlan(scenario: Scenario, path: Path, value: unknown, ctx: RequestContext): RespondPlan | null {
  if (value === false || value === null) return null;
  if (value !== true && !isPlainObject(value)) scenario.fail(path, 'must be true or { qos }');
  needsMqtt5(scenario, path, ctx);
  if (!ctx.subscribes) scenario.fail(path, 'needs subscribe: the requests it answers arrive on its subscriptions');
  const r = value === true ? {} : value;
  for (const key of Object.keys(r))
    if (!RESPOND_KEYS.has(key))
      scenario.failKey([...path, key], `is not a known setting here; expected one of ${[...RESPOND_KEYS].join(', ')}`);
  return { qos: r.qos === undefined ? ctx.qos : at(scenario, [...path, 'qos'], (label) => parseQos(label, r.qos)) };
}
