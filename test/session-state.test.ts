import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canTransition, ENDS, hasEnded, isEnding, TRANSITIONS, type SessionState } from '../src/session/state.js';

const STATES = Object.keys(TRANSITIONS) as SessionState[];

/** Every move a session may make, written out: the table must allow these and nothing else. */
const ALLOWED = new Set([
  'created>starting',
  'created>stopping',
  'starting>connecting',
  'starting>stopping',
  'starting>failing',
  'connecting>up',
  'connecting>giving-up',
  'connecting>stopping',
  'connecting>failing',
  'up>connecting',
  'up>taken-over',
  'up>stopping',
  'up>failing',
  'taken-over>giving-up',
  'taken-over>stopping',
  'taken-over>failing',
  'stopping>failing',
  'stopping>done',
  'giving-up>failing',
  'giving-up>gave-up',
  'failing>failed',
  // --client-stages: waiting to join (or rejoin), and a planned leave; --churn: a planned reconnect.
  'starting>waiting',
  'waiting>connecting',
  'waiting>stopping',
  'waiting>failing',
  'connecting>waiting',
  'up>leaving',
  'up>churning',
  'leaving>waiting',
  'leaving>stopping',
  'leaving>failing',
  'churning>connecting',
  'churning>stopping',
  'churning>failing',
]);

test('the session transition table allows exactly the moves of a session life, and refuses every other', () => {
  assert.equal(STATES.length, 14);
  const allowed: string[] = [];
  const refused: string[] = [];
  for (const from of STATES) {
    for (const to of STATES) {
      const move = `${from}>${to}`;
      if (canTransition(from, to)) allowed.push(move);
      if (canTransition(from, to) !== ALLOWED.has(move)) refused.push(move);
    }
  }
  assert.deepEqual(refused, [], 'moves the table gets wrong (allowed but illegal, or legal but refused)');
  assert.equal(allowed.length, ALLOWED.size);
});

test('every session state is reachable from created, and every one can still reach an end', () => {
  const reach = (from: SessionState): Set<SessionState> => {
    const seen = new Set<SessionState>([from]);
    for (const s of seen) for (const next of TRANSITIONS[s]) seen.add(next);
    return seen;
  };
  assert.deepEqual([...reach('created')].sort(), [...STATES].sort());
  for (const s of STATES) assert.ok([...reach(s)].some(hasEnded), `${s} can reach an end`);
});

test('the ends have no way out; each closing state ends as one final status; only live states can be stopped', () => {
  assert.deepEqual(STATES.filter(hasEnded).sort(), ['done', 'failed', 'gave-up']);
  assert.deepEqual(ENDS, { stopping: 'done', failing: 'failed', 'giving-up': 'gave-up' });
  for (const [closing, end] of Object.entries(ENDS) as [SessionState, SessionState][]) {
    assert.deepEqual(TRANSITIONS[closing].filter(hasEnded), [end], `${closing} ends only as ${end}`);
  }
  const live = STATES.filter((s) => !isEnding(s));
  assert.deepEqual(live.sort(), [
    'churning',
    'connecting',
    'created',
    'leaving',
    'starting',
    'taken-over',
    'up',
    'waiting',
  ]);
  for (const s of live) assert.ok(canTransition(s, 'stopping'), `stop() works while ${s}`);
  for (const s of STATES.filter(isEnding)) assert.ok(!canTransition(s, 'stopping'), `stop() does nothing once ${s}`);
});
