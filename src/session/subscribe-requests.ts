import type { IClientSubscribeOptions, ISubscriptionMap } from 'mqtt';
import type { SessionSpec } from '../protocol.js';

/** One SUBSCRIBE packet: its filters with their options, and its Subscription Identifier if any. */
export interface SubscribeRequest {
  filters: ISubscriptionMap;
  options?: { properties: { subscriptionIdentifier: number } };
}

/**
 * A client's subscriptions as SUBSCRIBE packets. A Subscription Identifier belongs to a whole
 * SUBSCRIBE [MQTT 5 3.8.2.1.2], so filters with different identifiers go in packets of their own:
 * one packet for all of them when none has an identifier, as before. MQTT 3.1.1 takes QoS only.
 */
export function subscribeRequests(subscriptions: SessionSpec['subscriptions'], v5: boolean): SubscribeRequest[] {
  const byId = new Map<number, ISubscriptionMap>();
  for (const s of subscriptions) {
    const request: IClientSubscribeOptions = { qos: s.qos };
    if (v5) {
      request.nl = s.noLocal ?? false;
      request.rap = s.retainAsPublished ?? false;
      request.rh = s.retainHandling ?? 0;
    }
    const id = v5 ? (s.subscriptionId ?? 0) : 0;
    let filters = byId.get(id);
    if (filters === undefined) {
      // Keyed by the client's own filter: a plain {} would take a hidden class of its own for each
      // new key, one per client (5,000 map transitions as 5,000 clients subscribe); a null
      // prototype makes V8 keep it as a dictionary from the start.
      filters = Object.create(null) as ISubscriptionMap;
      byId.set(id, filters);
    }
    filters[s.filter] = request;
  }
  return [...byId].map(([id, filters]) =>
    id === 0 ? { filters } : { filters, options: { properties: { subscriptionIdentifier: id } } },
  );
}
