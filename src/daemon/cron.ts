// cron= and cron_restart= (tsv only): a program started on a schedule
// (ochinchina's supervisord's `cron`, systemd's timers, what Supervisor users
// run cron beside it for) or restarted on one (PM2's `cron_restart`); the
// patterns are src/config/schedule.ts. One timer per schedule, set for its
// next time only.
import type { Schedule } from '../config/schedule';
import { onClockSet } from './clock-set';

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The timers due at one time share one Node timer, so they ring in one turn
 * of the loop: a numprocs pool's processes share their schedule, and its
 * roll (./pool-roll.ts) begins once all of them have asked, in the pool's
 * order. Timers of their own, set as each process started, ring a
 * millisecond or a loop turn apart, and whichever rang first went first.
 */
const slots = new Map<number, { timer: NodeJS.Timeout; members: Set<ScheduleTimer> }>();
/** ends the clock-set watch; set while any slot exists */
let unwatch: (() => void) | null = null;

function join(due: number, member: ScheduleTimer): void {
  let slot = slots.get(due);
  if (!slot) {
    unwatch ??= onClockSet(clockSet);
    const timer = setTimeout(() => ringSlot(due), Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now())));
    slot = { timer, members: new Set() };
    slots.set(due, slot);
  }
  slot.members.add(member);
}

function leave(due: number, member: ScheduleTimer): void {
  const slot = slots.get(due);
  if (!slot?.members.delete(member) || slot.members.size > 0) return;
  clearTimeout(slot.timer);
  slots.delete(due);
  if (slots.size === 0) stopWatching();
}

function stopWatching(): void {
  unwatch?.();
  unwatch = null;
}

/** The wall clock was set: every timer is set again for its time on the new clock. */
function clockSet(stepMs: number): void {
  const members = [...slots.values()].flatMap((slot) => {
    clearTimeout(slot.timer);
    return [...slot.members];
  });
  slots.clear();
  // each member has a time (it is in a slot), so the slots are filled again and the watch stays
  for (const member of members) member.clockSet(stepMs);
}

function ringSlot(due: number): void {
  const slot = slots.get(due);
  slots.delete(due);
  // one clock reading for the whole slot: read per member, the clock could
  // pass `due` between two of them, and a later one would fire before an
  // earlier one that found itself early and waited on
  const now = Date.now();
  for (const member of slot?.members ?? []) member.ring(due, now);
  // after the members set their next times, so that the watch is not closed and opened again between
  if (slots.size === 0) stopWatching();
}

/**
 * Calls `fire` at each time of a schedule, from start() until stop(). The
 * timer runs on the monotonic clock and the schedule on the wall clock, so
 * each set of the wall clock sets the timers again (./clock-set.ts): after a
 * step forward past its time a timer fires at once, once for the times it
 * missed; @every keeps its span, moved with the clock. Where nobody tells of
 * a set, a timer that comes early (the clock was set back) waits the rest
 * and one set forward comes late by the step (docs/differences.md, Timers).
 */
export class ScheduleTimer {
  private due: number | null = null;

  constructor(
    private readonly schedule: Schedule,
    private readonly fire: () => void,
  ) {}

  /** The next time it fires (ms since the epoch), or null when stopped or the schedule has none left. */
  get nextAt(): number | null {
    return this.due;
  }

  start(): void {
    this.stop();
    this.arm(this.schedule.next(Date.now()));
  }

  stop(): void {
    if (this.due !== null) leave(this.due, this);
    this.due = null;
  }

  private arm(due: number | null): void {
    this.due = due;
    if (due !== null) join(due, this);
  }

  /** The wall clock was set by stepMs (its slot is gone): set again for the same time, or, for a span, the same moment. */
  clockSet(stepMs: number): void {
    if (this.due === null) return;
    this.arm(this.schedule.span ? this.due + Math.round(stepMs) : this.due);
  }

  /** The timer of its slot for `due` rang (the slot is gone). */
  ring(due: number, now: number): void {
    // stopped, or started again for another time, by a fire() of the same slot
    if (this.due !== due) return;
    if (now < due) {
      this.arm(due);
      return;
    }
    this.arm(this.schedule.next(now));
    this.fire();
  }
}
