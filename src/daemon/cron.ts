// cron= and cron_restart= (tsv only): a program started on a schedule
// (ochinchina's supervisord's `cron`, systemd's timers, what Supervisor users
// run cron beside it for) or restarted on one (PM2's `cron_restart`); the
// patterns are src/config/schedule.ts. One timer per schedule, set for its
// next time only.
import type { Schedule } from '../config/schedule';

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fire` at each time of a schedule, from start() until stop(). The
 * timer runs on the monotonic clock and the schedule on the wall clock: a
 * timer that comes early (the clock was set back) waits the rest; one that
 * comes late (set forward, or the machine slept) fires once for the times
 * it missed, as cron does.
 */
export class ScheduleTimer {
  private timer: NodeJS.Timeout | null = null;
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
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.due = null;
  }

  private arm(due: number | null): void {
    this.due = due;
    if (due === null) return;
    this.timer = setTimeout(() => this.ring(), Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now())));
  }

  private ring(): void {
    this.timer = null;
    const due = this.due as number;
    const now = Date.now();
    if (now < due) {
      this.arm(due);
      return;
    }
    this.arm(this.schedule.next(now));
    this.fire();
  }
}
