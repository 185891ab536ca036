// TICK_5 / TICK_60 / TICK_3600 (supervisord.py Supervisor.tick): an event
// each time the wall clock enters a new time slice of the period, carrying
// the slice's start (`when:1795313050`). The first slices are taken when the
// daemon starts, so the first tick comes at the next boundary.
//
// Supervisor checks on every pass of its 1-second loop. tsv arms one timer,
// for the next boundary of the shortest period somebody subscribes to, and
// none at all while nobody does: an idle daemon without tick listeners never
// wakes up for them. The timer counts on the monotonic clock; a set of the
// wall clock (../daemon/clock-set.ts) makes it look at once, as Supervisor's
// next pass does, rather than at the boundary the old clock would have reached.
import { onClockSet } from '../daemon/clock-set';
import { TICKS } from './types';

export type TickName = (typeof TICKS)[number]['name'];

export const timeslice = (period: number, when: number): number => Math.trunc(when - (when % period));

export class TickClock {
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  /** the shortest subscribed period, 0 when nobody subscribes */
  private period = 0;
  /** ends the clock-set watch, held while a period is subscribed */
  private unwatch: (() => void) | null = null;

  constructor(
    private readonly emit: (name: TickName, when: number) => void,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    this.catchUp();
  }

  /** What Supervisor's loop did while we slept unobserved: follow the clock without notifying. */
  private catchUp(): void {
    const now = this.now();
    for (const t of TICKS) this.last.set(t.period, timeslice(t.period, now));
  }

  /** Which tick types have subscribers now; arms or drops the timer. */
  setWanted(names: ReadonlySet<TickName>): void {
    const periods = TICKS.filter((t) => names.has(t.name)).map((t) => t.period);
    const period = periods.length ? Math.min(...periods) : 0;
    if (period === this.period) return;
    const wasArmed = this.period !== 0;
    this.period = period;
    this.clear();
    if (!period) return this.stopWatching();
    // the slices went on while nobody listened; a slice already being waited for is kept
    if (!wasArmed) this.catchUp();
    this.unwatch ??= onClockSet(() => {
      this.clear();
      this.check();
    });
    this.arm();
  }

  private stopWatching(): void {
    this.unwatch?.();
    this.unwatch = null;
  }

  get armed(): boolean {
    return this.timer !== null;
  }

  private arm(): void {
    const now = this.now();
    const next = timeslice(this.period, now) + this.period;
    // just past the boundary, so that the slice has changed when we look
    const ms = Math.max(1, Math.ceil((next - now) * 1000) + 1);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.check();
    }, ms);
    this.timer.unref();
  }

  /** Look at the clock: a tick for each period whose slice changed (the timer calls this). */
  check(): void {
    const now = this.now();
    for (const t of TICKS) {
      const slice = timeslice(t.period, now);
      if (slice !== this.last.get(t.period)) {
        this.last.set(t.period, slice);
        this.emit(t.name, slice);
      }
    }
    if (this.period && !this.timer) this.arm();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  close(): void {
    this.period = 0;
    this.clear();
    this.stopWatching();
  }
}
