// *_logfile_rotate / logfile_rotate (tsv only): a log is also rotated when an
// hour, day, week or month of local time begins, so that NAME.1 is
// yesterday's output (Supervisor issue #1265, closed unanswered; users run
// logrotate beside it). The periods begin as logrotate's and cron's do: at
// the hour, at local midnight, on Monday at midnight (ISO weeks), on the
// first of the month.

import type { RotatePeriod } from '../config/model';
import { instantOfLocal, localShift } from './asctime';

export type { RotatePeriod };

const HOUR = 3600_000;

/** The start of the period that contains `t`, in local time (as the C library reads TZ: see localShift). */
export function periodStart(period: RotatePeriod, t: number): number {
  return instantOfLocal(nodePeriodStart(period, t + localShift(t)), t);
}

/** The start of the period after the one that contains `t` (always later than `t`). */
export function nextPeriodStart(period: RotatePeriod, t: number): number {
  return Math.max(instantOfLocal(nodeNextPeriodStart(period, t + localShift(t)), t), t + 1);
}

/** periodStart in Node's own local time */
function nodePeriodStart(period: RotatePeriod, t: number): number {
  if (period === 'hourly') {
    // on the instant's own offset, so a DST change (or a :30 zone) is an hour like any other
    const offset = -new Date(t).getTimezoneOffset() * 60_000;
    return t - ((((t + offset) % HOUR) + HOUR) % HOUR);
  }
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  if (period === 'weekly') d.setDate(d.getDate() - ((d.getDay() + 6) % 7)); // back to Monday
  if (period === 'monthly') d.setDate(1);
  return d.getTime();
}

function nodeNextPeriodStart(period: RotatePeriod, t: number): number {
  const start = nodePeriodStart(period, t);
  if (period === 'hourly') return start + HOUR;
  const d = new Date(start);
  if (period === 'daily') d.setDate(d.getDate() + 1);
  if (period === 'weekly') d.setDate(d.getDate() + 7);
  if (period === 'monthly') d.setMonth(d.getMonth() + 1);
  // a midnight that a DST change skips is moved on by Date; never at or before t
  return Math.max(d.getTime(), t + 1);
}
