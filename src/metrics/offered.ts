import { publishStreams, type GroupProfile, type PublishPlan } from '../group.js';
import { groupOf } from './planned.js';
import { RateSchedule } from './schedule.js';

/** Messages one publisher's plan has due by a time (ms after the start), or null for an unpaced plan. */
type Curve = (ms: number) => number;

function curveOf(plan: PublishPlan): Curve | null {
  if (Array.isArray(plan.stages)) {
    const schedule = new RateSchedule(plan.stages);
    return (ms) => schedule.messagesBy(ms);
  }
  // Unpaced: as fast as flow control allows, which no plan says.
  if (plan.rate <= 0) return null;
  const rate = plan.rate;
  const endMs = Math.min(plan.durationMs ?? Infinity, plan.count === undefined ? Infinity : (plan.count / rate) * 1000);
  return (ms) => (rate * Math.min(Math.max(ms, 0), endMs)) / 1000;
}

/**
 * The offered load: the messages the plan has this process's publishers send, all together,
 * from the plan alone and never from what was sent, so a stats line can set what should have
 * gone out beside what did. Phases (--phase spread) are left out: they shift each client by
 * less than one message.
 */
export class OfferedLoad {
  private readonly parts: { publishers: number; curve: Curve }[] = [];
  /** False when a publisher is unpaced: no plan says its rate. */
  readonly known: boolean = true;

  constructor(groups: readonly GroupProfile[], publishers: Iterable<number>) {
    const counts = new Map<GroupProfile, number>();
    for (const index of publishers) {
      const group = groupOf(groups, index);
      if (group?.publish) counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    for (const [group, publishers] of counts) {
      // Every stream of a client offers its own plan's messages.
      for (const stream of publishStreams(group)) {
        const curve = curveOf(stream);
        if (curve === null) this.known = false;
        else this.parts.push({ publishers, curve });
      }
    }
  }

  /** Messages due by `ms` after the start of publishing, all publishers together; null when not known. */
  by(ms: number): number | null {
    if (!this.known) return null;
    let total = 0;
    for (const { publishers, curve } of this.parts) total += publishers * curve(ms);
    return total;
  }
}

/**
 * The offered load as a stats line sets it beside `published`. A thread's counts reach the main
 * thread in batches (one per batch interval), so `published` stands as of each lane's last
 * batch, up to an interval behind the line: on a ramp that lag alone would part the two by the
 * ramp's slope times it. So each lane's offer is taken at the arrival of its last batch, the
 * instant its counts stand at. A lane silent for longer than `staleMs` (it publishes nothing:
 * offline, or a stage at rate 0) is taken at the line's own time: it had nothing to tell.
 */
export class LaneOffers {
  private readonly lanes = new Map<number, { load: OfferedLoad; reportedAt: number }>();
  readonly known: boolean;
  /** When publishing started (epoch ms): the plan's origin; 0 before, when nothing is offered. */
  goAt = 0;

  constructor(
    groups: readonly GroupProfile[],
    lanes: readonly { lane: number; publishers: readonly number[] }[],
    private readonly staleMs: number,
  ) {
    for (const { lane, publishers } of lanes)
      this.lanes.set(lane, { load: new OfferedLoad(groups, publishers), reportedAt: 0 });
    this.known = [...this.lanes.values()].every(({ load }) => load.known);
  }

  /** A lane's batch arrived at `at` (epoch ms). */
  onBatch(lane: number, at: number): void {
    const entry = this.lanes.get(lane);
    if (entry) entry.reportedAt = at;
  }

  /** A lane finished: its counts are final, so its offer is the plan's as of any later line. */
  onDone(lane: number): void {
    const entry = this.lanes.get(lane);
    if (entry) entry.reportedAt = Infinity;
  }

  /** Messages the plan had due, every lane as of its last batch, at the line's time `now`; null when not known. */
  by(now: number): number | null {
    if (!this.known) return null;
    if (this.goAt === 0) return 0;
    let total = 0;
    for (const { load, reportedAt } of this.lanes.values()) {
      const at = reportedAt === Infinity || now - reportedAt > this.staleMs ? now : reportedAt;
      total += load.by(at - this.goAt) ?? 0;
    }
    return total;
  }
}
