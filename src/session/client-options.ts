import type { IClientOptions } from 'mqtt';
import type { SessionSettings, SessionSpec } from '../protocol.js';
import { at } from '../mqtt/checked.js';

const noop = (): void => {};

/** MQTT.js options for one client of a group. */
export function clientOptions(spec: SessionSpec, settings: SessionSettings): { url: string; options: IClientOptions } {
  const broker = at(settings.brokers, spec.broker);
  const options: IClientOptions = {
    clientId: spec.clientId,
    clean: settings.clean,
    keepalive: settings.keepaliveSec,
    connectTimeout: settings.connectTimeoutMs,
    // The session's own loop counts attempts exactly; MQTT.js must never reconnect by itself.
    reconnectPeriod: 0,
    manualConnect: true,
    resubscribe: false,
    writeCache: settings.writeCache,
    // By default MQTT.js restarts its keepalive timer on every acknowledgement it receives (a
    // clearTimeout, a setTimeout, a closure and a Date.now() per PUBACK at QoS 1); a PINGREQ once
    // per keepalive interval while traffic flows costs nothing by comparison.
    reschedulePings: false,
    // MQTT.js calls its `debug` logger dozens of times per message; even disabled, that costs
    // several per cent of throughput on the hot path.
    log: noop,
    protocolVersion: settings.protocolVersion,
    rejectUnauthorized: broker.tls.rejectUnauthorized,
  };
  if (settings.protocolVersion === 5) {
    // A compliant broker then never sends us more [MQTT-3.1.2-24]; the transport enforces it for the rest.
    options.properties = { maximumPacketSize: settings.maxPacketSize };
    if (settings.sessionExpirySec !== undefined) options.properties.sessionExpiryInterval = settings.sessionExpirySec;
  }
  if (broker.tls.ca !== undefined) options.ca = broker.tls.ca;
  if (broker.tls.cert !== undefined) options.cert = broker.tls.cert;
  if (broker.tls.key !== undefined) options.key = broker.tls.key;
  if (settings.username !== undefined) options.username = settings.username;
  if (settings.password !== undefined) options.password = settings.password;
  if (spec.will)
    options.will = {
      topic: spec.will.topic,
      payload: Buffer.from(spec.will.payload),
      qos: spec.will.qos,
      retain: spec.will.retain,
    };
  return { url: broker.url, options };
}
