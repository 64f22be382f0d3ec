/**
 * CONNACK refusals: what each code means, and whether trying again could help.
 * MQTT 3.1.1 §3.2.2.3 return codes; MQTT 5 §3.2.2.2 reason codes.
 */
const V4: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};
const V5: Record<number, string> = {
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method',
  0x90: 'topic name invalid',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
  0x99: 'payload format invalid',
  0x9a: 'retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9f: 'connection rate exceeded',
};
/** Refusals that the same CONNECT will meet again: retrying only adds load. */
const PERMANENT_V4 = new Set([1, 2, 4, 5]);
const PERMANENT_V5 = new Set([0x84, 0x85, 0x86, 0x87, 0x8a, 0x8c]);

/** Reason codes of MQTT 5 acknowledgements and DISCONNECT, beside the CONNACK ones. */
const REASONS: Record<number, string> = {
  ...V5,
  0x04: 'disconnect with will message',
  0x10: 'no matching subscribers',
  0x11: 'no subscription existed',
  0x8b: 'server shutting down',
  0x8d: 'keep alive timeout',
  0x8e: 'session taken over',
  0x91: 'packet identifier in use',
  0x92: 'packet identifier not found',
  0x93: 'receive maximum exceeded',
  0x98: 'administrative action',
  0x9e: 'shared subscriptions not supported',
  0xa1: 'subscription identifiers not supported',
  0xa2: 'wildcard subscriptions not supported',
};

/** An MQTT 5 reason code in words, for acknowledgements and DISCONNECT too. */
export function reasonText(code: number): string {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  return REASONS[code] ? `${REASONS[code]} (${hex})` : `reason code ${hex}`;
}

/** The packet name under which an MQTT 3.1.1 CONNACK return code is counted (its codes mean other things than MQTT 5's). */
export const CONNACK_V4 = 'connack-3.1.1';

/** A reasonCodes key (`puback:16`, `connack-3.1.1:5`) in words: `puback no matching subscribers (0x10)`. */
export function reasonKeyText(key: string): string {
  const [packet, code] = key.split(':') as [string, string];
  const n = Number(code);
  if (packet === CONNACK_V4) return `connack ${V4[n] ?? 'return code'} (${n}, MQTT 3.1.1)`;
  return `${packet} ${reasonText(n)}`;
}

export interface Refusal {
  code: number;
  reason: string;
  permanent: boolean;
}

/** The refusal in a connection error, if the broker sent a CONNACK refusing us. */
export function refusalOf(err: unknown, protocolVersion: 4 | 5): Refusal | null {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'number' || code === 0) return null;
  // A broker that does not speak MQTT 5 answers a version-5 CONNECT in 3.1.1 terms (code 1).
  const v4 = protocolVersion === 4 || code < 0x80;
  return {
    code,
    reason: (v4 ? V4 : V5)[code] ?? `refusal code ${code}`,
    permanent: (v4 ? PERMANENT_V4 : PERMANENT_V5).has(code),
  };
}

export function refusalError(refusal: Refusal, retried: boolean): Error {
  const hex = refusal.code >= 0x80 ? ` (0x${refusal.code.toString(16)})` : '';
  const tail =
    refusal.permanent && !retried ? '; not retried, as retrying cannot help (--retry-refused retries anyway)' : '';
  return Object.assign(
    new Error(`broker refused the connection: ${refusal.reason}, CONNACK code ${refusal.code}${hex}${tail}`),
    {
      code: `CONNACK_${refusal.code}`,
    },
  );
}
