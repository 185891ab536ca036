// How fast one process is restarted automatically (autorestart from EXITED,
// and after its healthcheck failed or it held too much memory: selfRestartWait
// at the end).
//
// supervisord restarts an exited process on its next one-second poll, so a
// program that exits at once with startsecs=0 comes back about once a second.
// tsv restarts at once (a crash costs its service about a millisecond), which
// without a limit turns such a program into ~1,000 spawns and 2,000 log lines
// a second: a core kept busy by a config typo. So restarts come from a
// budget: a burst of RESTART_BURST goes at full speed (about a second of
// spawning), then they are paced at RESTART_RATE a second, systemd's default
// RestartSec=100ms, as long as the program keeps exiting that fast. The
// daemon's own budget (DaemonRestartPace) bounds all processes together.

/** restarts allowed back to back */
export const RESTART_BURST = 1000;
/** restarts a second once the burst is spent (the budget refills at this rate) */
export const RESTART_RATE = 10;

export class RestartPace {
  private tokens = RESTART_BURST;
  /** monotonic seconds of the last refill; 0 = never used */
  private at = 0;

  /**
   * A restart wanted at `now` (monotonic seconds): 0 means go, and it is
   * counted; otherwise the seconds to wait before asking again.
   */
  take(now: number): number {
    if (this.at) this.tokens = Math.min(RESTART_BURST, this.tokens + (now - this.at) * RESTART_RATE);
    this.at = now;
    // a timer fires a little after the due time; the epsilon absorbs float rounding
    if (this.tokens >= 1 - 1e-9) {
      this.tokens = Math.max(0, this.tokens - 1);
      return 0;
    }
    return (1 - this.tokens) / RESTART_RATE;
  }
}

/** automatic restarts, of all processes together, allowed back to back */
export const DAEMON_RESTART_BURST = 1000;
/** automatic restarts a second of all processes together once that burst is spent, or one a second per process if more */
export const DAEMON_RESTART_RATE = 100;

/**
 * The daemon's budget of automatic restarts, over all its processes. Each
 * process's own budget (RestartPace) bounds one program, but not a pool: 50
 * processes of a `numprocs` program that exit at once each have 1,000 quick
 * restarts, and a daemon busy restarting all of them drains no budget (it
 * restarts each about 12 times a second while it refills at 10): ~500 spawns
 * a second for good. Beyond DAEMON_RESTART_RATE a second, restarts take turns
 * (a generic cell rate: each gets the next free slot, so none starves), but
 * never slower than supervisord's one a second per process.
 */
export class DaemonRestartPace {
  /** monotonic seconds at which the budget is whole again (the theoretical arrival time); 0 = never used */
  private whole = 0;
  /** the turns have been announced since the budget was last whole */
  private announced = false;

  constructor(private readonly processes: () => number) {}

  /**
   * An automatic restart wanted at `now`: the seconds until its turn (0: go
   * now), counted either way; `announce` on the first wait since the budget
   * was last whole, with the rate then.
   */
  take(now: number): { wait: number; announce: number | null } {
    if (this.whole <= now) this.announced = false;
    const rate = Math.max(DAEMON_RESTART_RATE, this.processes());
    const from = Math.max(this.whole, now);
    this.whole = from + 1 / rate;
    // the first DAEMON_RESTART_BURST go at once; the epsilon absorbs the sums' float rounding
    const behind = from - now - (DAEMON_RESTART_BURST - 1) / rate;
    const wait = behind > 1e-9 ? behind : 0;
    const announce = wait > 0 && !this.announced ? rate : null;
    if (announce !== null) this.announced = true;
    return { wait, announce };
  }
}

/** The longest a start after a health or memory restart waits, as Kubernetes' CrashLoopBackOff caps its own. */
export const SELF_RESTART_MAX_WAIT = 300;

/**
 * Seconds the start after the n-th health restart in a row (no look answered
 * between them), or the n-th memory restart in a row (no look under the limit
 * between them), waits once the stop has ended: none for the first, then the
 * looks' interval, doubling, up to five minutes (with the default interval:
 * 10, 20, 40 … 300 s, Kubernetes' backoff for a container that keeps failing).
 */
export function selfRestartWait(n: number, interval: number): number {
  return n < 2 ? 0 : Math.min(SELF_RESTART_MAX_WAIT, interval * 2 ** (n - 2));
}
