// Supervisor's log time format in local time, 2024-01-31 12:00:00,123: the
// main log, syslog lines and `tsv events`. Its own module so the ctl's small
// bundle can print it without loading the log writers.

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/**
 * Seconds east of UTC by the C library, installed by the daemon when it reads
 * TZ otherwise than Node's ICU does (a POSIX rule such as IST-5:30, which ICU
 * takes for UTC; src/daemon/lifecycle.ts): supervisord's Python shows the C
 * library's local time, and so do the daemon's logs, status and web page.
 * Null: Node's own local time is right.
 */
let libcOffset: ((epochSeconds: number) => number) | null = null;
/** the shift of the last quarter hour asked for (offsets change on quarter hours at most) */
const last = { quarter: NaN, shift: 0 };

export function useLibcLocalTime(offsetOf: ((epochSeconds: number) => number) | null): void {
  libcOffset = offsetOf;
  last.quarter = NaN;
}

/** What to add to `ms` for a Date whose local fields (getHours …) show the local time at `ms`. */
export function localShift(ms: number): number {
  if (!libcOffset) return 0;
  const quarter = Math.floor(ms / 900_000);
  if (quarter !== last.quarter) {
    last.quarter = quarter;
    last.shift = libcOffset(Math.floor(ms / 1000)) * 1000 + new Date(ms).getTimezoneOffset() * 60_000;
  }
  return last.shift;
}

/**
 * The instant whose local time, as localShift moves it, is `local`: the
 * shift there, which a change of offset (summer time) between `near` and it
 * makes another than the shift at `near`.
 */
export function instantOfLocal(local: number, near: number): number {
  const at = local - localShift(local - localShift(near));
  // a local time the change to summer time skips: an hour on, as the clock then reads (cron runs it then too)
  return at + localShift(at) === local ? at : local - localShift(at);
}

/** A Date whose local fields are the local time at `ms`. */
export function localDate(ms: number = Date.now()): Date {
  return new Date(ms + localShift(ms));
}

export function asctime(ms: number = Date.now()): string {
  const d = localDate(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`
  );
}
