/**
 * A session's life as a state machine: the states it can be in and, in one table, the moves
 * between them. Session makes every move through one function that checks this table, so a move
 * the table does not allow is a bug caught where it happens, not a session in a state that
 * should not exist. Pure: no MQTT, no timers, so the table is tested on its own.
 *
 * These are not the statuses a client reports (ClientState, in protocol.ts): those say what
 * happened (`connecting`, `reconnecting 2/3`, `disconnected`, ...), this says what the session
 * is doing now and what it may do next. Only the three ends are the same words.
 */
export type SessionState =
  /** Made; run() not called yet. */
  | 'created'
  /** run(): the MQTT.js client made, the workload loaded, its setup hook run. */
  | 'starting'
  /** --client-stages: not connected by the plan, before it joins or between a leave and a rejoin. */
  | 'waiting'
  /** A round of connection attempts (and the waits before them): the first round, or after a drop. */
  | 'connecting'
  /** A CONNACK was accepted: subscribing, then running (publishing, or waiting for the start) until the connection closes. */
  | 'up'
  /** --client-stages: the plan says leave; closing the connection (cleanly or not). Not a failure: no reconnect round follows. */
  | 'leaving'
  /** --churn: closing the connection on schedule, to reconnect at once with a fresh round. */
  | 'churning'
  /** Up, but the broker said another connection took this client id (MQTT 5 DISCONNECT 0x8E): when it closes, the client gives up rather than take the id back. */
  | 'taken-over'
  /** stop() was called: no new attempt; a graceful close if connected. Ends `done`. */
  | 'stopping'
  /** A workload hook failed, or something threw: closing down. Ends `failed`. */
  | 'failing'
  /** A round of attempts was spent (or refused for good), or the session was taken over: closing down. Ends `gave-up`. */
  | 'giving-up'
  /** The end, reported as the client's final status. */
  | 'done'
  | 'failed'
  | 'gave-up';

/** Every move a session may make. A state not listed as a source has no way out: the three ends. */
export const TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  // stop() before run(): run() then goes straight to the end.
  created: ['starting', 'stopping'],
  starting: ['connecting', 'waiting', 'stopping', 'failing'],
  // A stretch of the plan begins with a round of attempts; after the last one, the session ends.
  waiting: ['connecting', 'stopping', 'failing'],
  // The plan's leave can come before a connection does: back to waiting, with no give-up.
  connecting: ['up', 'waiting', 'giving-up', 'stopping', 'failing'],
  // A drop goes back to connecting: a new round of attempts.
  up: ['connecting', 'leaving', 'churning', 'taken-over', 'stopping', 'failing'],
  leaving: ['waiting', 'stopping', 'failing'],
  churning: ['connecting', 'stopping', 'failing'],
  'taken-over': ['giving-up', 'stopping', 'failing'],
  // A hook can still fail while closing down (its teardown); failed then wins.
  stopping: ['failing', 'done'],
  'giving-up': ['failing', 'gave-up'],
  failing: ['failed'],
  done: [],
  failed: [],
  'gave-up': [],
};

export function canTransition(from: SessionState, to: SessionState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** States in which the session goes on: stop() and a failure still change its course. */
const LIVE: ReadonlySet<SessionState> = new Set([
  'created',
  'starting',
  'waiting',
  'connecting',
  'up',
  'leaving',
  'churning',
  'taken-over',
]);

/** Whether the session has started to end (or has ended): no new connection, no new start. */
export function isEnding(state: SessionState): boolean {
  return !LIVE.has(state);
}

/** Whether the session has ended: its final status is reported, nothing moves it any more. */
export function hasEnded(state: SessionState): boolean {
  return TRANSITIONS[state].length === 0;
}

/** What each closing state ends as: the client's final status. */
export const ENDS: Readonly<Partial<Record<SessionState, 'done' | 'failed' | 'gave-up'>>> = {
  stopping: 'done',
  failing: 'failed',
  'giving-up': 'gave-up',
};
