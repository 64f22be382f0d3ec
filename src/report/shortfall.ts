/**
 * Why a run fell short of what it set out to do; any reason makes the exit code 1 (unless the
 * run was interrupted: 130 and 143 keep precedence).
 *
 * - `gave-up`, `failed`: a client gave up after a round of failed attempts, or its session failed.
 * - `lost`: messages lost at QoS 1 or 2.
 * - `unpublished`: the publishers sent materially fewer messages than planned.
 * - `unacknowledged`: materially fewer were acknowledged by the broker (QoS 1/2; at QoS 0,
 *   written to the socket) than planned.
 */
export type ShortfallReason = 'gave-up' | 'failed' | 'lost' | 'unpublished' | 'unacknowledged';

export interface PlanFigures {
  gaveUp: number;
  failed: number;
  /** The highest QoS any group publishes at. */
  qos: 0 | 1 | 2;
  lost: number;
  /** Messages the plan has the publishers send: count, or rate x duration, per publisher. */
  planned: number;
  /** Clients with a publish plan. */
  publishers: number;
  published: number;
  acked: number;
}

/**
 * "Materially" fewer than planned: short by more than one message per publisher (a paced
 * publisher's last message may fall either side of the end of its --duration, as timers fire)
 * and by more than 1% of the plan (a handful of acknowledgements still outstanding at the end of
 * a large run are counted in flight, not made a failure).
 */
export function allowedShortfall(planned: number, publishers: number): number {
  return Math.max(publishers, Math.ceil(planned / 100));
}

export function shortfallOf(f: PlanFigures): ShortfallReason[] {
  const reasons: ShortfallReason[] = [];
  if (f.gaveUp > 0) reasons.push('gave-up');
  if (f.failed > 0) reasons.push('failed');
  if (f.qos > 0 && f.lost > 0) reasons.push('lost');
  const allowed = allowedShortfall(f.planned, f.publishers);
  if (f.planned - f.published > allowed) reasons.push('unpublished');
  if (f.planned - f.acked > allowed) reasons.push('unacknowledged');
  return reasons;
}
