import type { RequestPlan, RespondPlan } from '../../group.js';
import { TOPIC_TOKENS } from '../../mqtt/templates.js';
import { parseBoundedDuration, parseQos } from '../parse.js';
import { at, isPlainObject, type Path, type Scenario } from './load.js';
import { checkKeys, needsMqtt5, templateAt } from './checks.js';

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
const NEEDS_MQTT5 = 'needs mqttVersion 5 (response topic and correlation data are MQTT 5 properties)';

/** A group's `request`: true, or { responseTopic, timeout, qos }; false or null: none. */
export function requestPlan(scenario: Scenario, path: Path, value: unknown, ctx: RequestContext): RequestPlan | null {
  if (value === false || value === null) return null;
  if (value !== true && !isPlainObject(value)) scenario.fail(path, 'must be true or { responseTopic, timeout, qos }');
  needsMqtt5(scenario, path, ctx.protocolVersion, NEEDS_MQTT5);
  if (!ctx.publishes) scenario.fail(path, 'needs publish: the group’s publishes are its requests');
  const r = value === true ? {} : value;
  checkKeys(scenario, r, REQUEST_KEYS, path);
  return {
    // A topic to publish responses to: no wildcards. Each client subscribes to its own.
    responseTopic:
      r.responseTopic === undefined
        ? DEFAULT_RESPONSE_TOPIC
        : templateAt(scenario, [...path, 'responseTopic'], r.responseTopic, false, TOPIC_TOKENS, 'topic'),
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
  needsMqtt5(scenario, path, ctx.protocolVersion, NEEDS_MQTT5);
  if (!ctx.subscribes) scenario.fail(path, 'needs subscribe: the requests it answers arrive on its subscriptions');
  const r = value === true ? {} : value;
  checkKeys(scenario, r, RESPOND_KEYS, path);
  return { qos: r.qos === undefined ? ctx.qos : at(scenario, [...path, 'qos'], (label) => parseQos(label, r.qos)) };
}
