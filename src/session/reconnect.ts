/**
 * How a client spends its connection attempts, so that no broker behaviour can make it open
 * connections without bound (see README, "How reconnect works").
 *
 * A round is at most `attempts` connection attempts. A CONNACK alone does not end the round: a
 * connection the broker closes within `stableMs` of its CONNACK (a broker that accepts and hangs
 * up, a client id taken over back and forth) counts as one more failed attempt of the same round.
 * Only a connection that stays up that long makes the budget whole again, so the next drop starts
 * a fresh round whose first attempt is immediate. Between attempts of a round the wait doubles
 * from `delayMs` up to a cap, with jitter so that a fleet does not retry in lockstep.
 */

/** The doubling stops here (unless --reconnect-delay itself is longer). */
export const MAX_BACKOFF_MS = 30_000;
/** Up to this fraction is added to each wait, at random. */
const JITTER = 0.5;

export class AttemptBudget {
  /** Attempts spent in this round. */
  private used = 0;
  /** Connections of this round the broker closed within `stableMs` of their CONNACK, in a row. */
  private earlyDrops = 0;
  private connectedAt = 0;

  constructor(
    /** --reconnect-attempts. */
    readonly attempts: number,
    /** --reconnect-delay: the wait before a round's second attempt. */
    private readonly delayMs: number,
    /** How long a connection must stay up after its CONNACK to end its round (--connect-timeout). */
    readonly stableMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The number of the next attempt in this round (1-based), or null when the round is spent. */
  next(): number | null {
    return this.used < this.attempts ? ++this.used : null;
  }

  /** How long to wait before attempt `attempt` of a round: nothing before the first. */
  delayBefore(attempt: number): number {
    if (attempt <= 1) return 0;
    const base = Math.min(this.delayMs * 2 ** (attempt - 2), Math.max(this.delayMs, MAX_BACKOFF_MS));
    return Math.round(base * (1 + JITTER * this.random()));
  }

  /** A CONNACK accepted the connection at `at` (epoch ms). */
  connected(at: number): void {
    this.connectedAt = at;
  }

  /** A close the plan made (a leave, a churn): no failure of any round, the next starts afresh. */
  reset(): void {
    this.used = 0;
    this.earlyDrops = 0;
  }

  /**
   * The connection accepted last closed at `at`. Early (up less than `stableMs`): it counted as a
   * failed attempt and the round goes on. Otherwise the round is over and the next starts afresh.
   */
  dropped(at: number): { early: boolean; upMs: number; inARow: number } {
    const upMs = Math.max(0, Math.round(at - this.connectedAt));
    if (upMs < this.stableMs) return { early: true, upMs, inARow: ++this.earlyDrops };
    this.used = 0;
    this.earlyDrops = 0;
    return { early: false, upMs, inARow: 0 };
  }
}

/** Why an early drop happened, when the connection ended without an error of its own. */
export function earlyCloseError(upMs: number, inARow: number, clientId: string): Error {
  // MQTT 3.1.1 has no way to say "taken over": a broker that closes a fresh connection again and
  // again is the sign of another client connecting with the same id (MQTT-3.1.4-2).
  const repeated =
    inARow > 1
      ? `, ${inARow} times in a row: possibly taken over by another client with the same id (${clientId})`
      : '';
  return Object.assign(new Error(`the broker closed the connection ${upMs} ms after its CONNACK${repeated}`), {
    code: 'CLOSED_AFTER_CONNACK',
  });
}

/**
 * A reset, or a write into a socket the broker has closed: the same close as one without an
 * error, seen through whichever of our reads or writes met it first (a race, not a cause).
 */
export function isPeerClose(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** MQTT 5 DISCONNECT 0x8E: the broker says another connection took this client id. */
export const SESSION_TAKEN_OVER = 0x8e;

export function takenOverError(clientId: string): Error {
  return Object.assign(
    new Error(
      `session taken over (DISCONNECT 0x8e): another client connected with the same client id ${clientId}; not reconnecting, as that would only take it back`,
    ),
    { code: 'SESSION_TAKEN_OVER' },
  );
}
