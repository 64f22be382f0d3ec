import type { GroupProfile, PublishPlan } from '../group.js';
import { groupOf } from './planned.js';
import { RateSchedule } from './schedule.js';

/** Messages one publisher's plan has due by a time (ms after the start), or null for an unpaced plan. */
type Curve = (ms: number) => number;

function curveOf(plan: PublishPlan): Curve | null {
  if (plan.stages !== null) {
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
      const curve = curveOf(group.publish!);
      if (curve === null) this.known = false;
      else this.parts.push({ publishers, curve });
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
