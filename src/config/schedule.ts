// cron= and cron_restart= (tsv only): the patterns, read by croner (the
// library PM2 uses): five fields, or six with seconds first as ochinchina's
// robfig/cron takes them, `@daily` and the like; robfig's `@every 1h30m` is
// read here. Times are the daemon's local time. The timers are
// src/daemon/cron.ts.
import { Cron } from 'croner';
import { instantOfLocal, localShift } from '../log/asctime';

/** Go's time.ParseDuration units, as robfig/cron's `@every` takes them. */
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export class ScheduleError extends Error {}

/** A parsed schedule: its next time strictly after a moment (ms since the epoch), or null if it has none. */
export interface Schedule {
  next(after: number): number | null;
  /** @every: a span of time, not a time of day, so a clock set moves its next time with the clock (robfig/cron's timers are Go's monotonic ones) */
  readonly span?: true;
}

function parseEvery(spec: string): Schedule {
  let ms = 0;
  const rest = spec.replace(/(\d+(?:\.\d+)?)(ms|s|m|h)/g, (_all, n: string, unit: string) => {
    ms += Number(n) * (DURATION_UNITS[unit] as number);
    return '';
  });
  if (rest !== '' || ms < 1000) throw new ScheduleError(`'${spec}' is not a duration of a second or more (e.g. @every 90s, @every 1h30m)`);
  // robfig/cron: every whole second of the duration from the moment it is asked
  const every = Math.round(ms / 1000) * 1000;
  return { next: (after) => Math.floor(after / 1000) * 1000 + every, span: true };
}

/** Reads a cron pattern, or throws ScheduleError saying what is wrong with it. */
export function parseSchedule(text: string): Schedule {
  const t = text.trim();
  const every = /^@every\s+(\S+)$/i.exec(t);
  if (every) return parseEvery(every[1] as string);
  let cron: Cron;
  try {
    cron = new Cron(t, { paused: true });
  } catch (e) {
    throw new ScheduleError(String((e as Error).message).replace(/^CronPattern: /, ''));
  }
  return { next: (after) => nextLocal(cron, after) };
}

/**
 * croner reads Node's local time, which is UTC under a POSIX TZ rule such as
 * IST-5:30 (ICU does not read them); the daemon's clock is then the C
 * library's (src/log/asctime.ts), and the pattern is matched on dates moved
 * by the difference. Without such a TZ the shift is 0.
 */
function nextLocal(cron: Cron, after: number): number | null {
  let from = after + localShift(after);
  // a few tries: a time a change of offset (summer time) puts before `after` is skipped
  for (let i = 0; i < 4; i++) {
    const local = cron.nextRun(new Date(from))?.getTime();
    if (local === undefined) return null;
    const at = instantOfLocal(local, after);
    if (at > after) return at;
    from = local;
  }
  return null;
}
