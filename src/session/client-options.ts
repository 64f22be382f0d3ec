import type { TransportOptions } from './transport.js';
import type { SessionSettings, SessionSpec } from '../protocol.js';
import { readFileSync } from 'node:fs';
import { at } from '../mqtt/checked.js';
import { renderCredential, renderTemplate } from '../mqtt/templates.js';
import type { Credential } from './credentials.js';

const noop = (): void => {};

/** A client's own certificate and key files, read when it connects (absent: none, or the fleet's shared ones). */
export interface IdentityFiles {
  cert?: string;
  key?: string;
}

/**
 * MQTT.js options for one client of a group. `credential`: its row of the group's credentials
 * file, whose fields win over the group's user name and password (templates, filled here).
 */
export function clientOptions(
  spec: SessionSpec,
  settings: SessionSettings,
  credential?: Credential,
): { url: string; options: TransportOptions; identity: IdentityFiles | null } {
  const broker = at(settings.brokers, spec.broker);
  const options: TransportOptions = {
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
    const connect = settings.connectProperties;
    if (connect?.userProperties !== undefined) options.properties.userProperties = connect.userProperties;
    if (connect?.requestResponseInformation !== undefined)
      options.properties.requestResponseInformation = connect.requestResponseInformation;
    if (connect?.requestProblemInformation !== undefined)
      options.properties.requestProblemInformation = connect.requestProblemInformation;
    // MQTT.js then gives each topic an alias, up to the CONNACK's Topic Alias Maximum (none when
    // the broker says 0 or nothing), and sends the empty topic with the alias from then on.
    if (settings.topicAlias) options.autoAssignTopicAlias = true;
  }
  if (broker.tls.ca !== undefined) options.ca = broker.tls.ca;
  if (broker.tls.cert !== undefined) options.cert = broker.tls.cert;
  if (broker.tls.key !== undefined) options.key = broker.tls.key;
  if (broker.tls.servername !== undefined) options.servername = broker.tls.servername;
  if (broker.tls.alpn !== undefined) options.alpn = broker.tls.alpn;
  if (broker.tls.minVersion !== undefined) options.minVersion = broker.tls.minVersion;
  if (broker.tls.keylog !== undefined) options.keylog = broker.tls.keylog;
  if (spec.will)
    options.will = {
      topic: spec.will.topic,
      payload: Buffer.from(spec.will.payload),
      qos: spec.will.qos,
      retain: spec.will.retain,
    };
  const vars = { i: spec.index, n: spec.n, id: spec.clientId, group: settings.group };
  // A row's fields are taken as written; the group's may hold placeholders.
  const fill = (template: string | undefined): string | undefined =>
    template === undefined ? undefined : renderCredential(template, vars);
  const username = credential?.username ?? fill(settings.username);
  const password = credential?.password ?? fill(settings.password);
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  const { certFile, keyFile } = broker.tls;
  const identity =
    certFile === undefined && keyFile === undefined
      ? null
      : {
          ...(certFile === undefined ? {} : { cert: renderTemplate(certFile, vars) }),
          ...(keyFile === undefined ? {} : { key: renderTemplate(keyFile, vars) }),
        };
  return { url: broker.url, options, identity };
}

/**
 * The connection options with the client's own certificate and key read in: at each connect, so
 * a fleet's identities are on disk, not in memory, until each client needs its own.
 */
export function withIdentity(options: TransportOptions, identity: IdentityFiles | null): TransportOptions {
  if (identity === null) return options;
  return {
    ...options,
    ...(identity.cert === undefined ? {} : { cert: readFileSync(identity.cert, 'utf8') }),
    ...(identity.key === undefined ? {} : { key: readFileSync(identity.key, 'utf8') }),
  };
}
