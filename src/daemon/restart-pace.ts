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
// RestartSec=100ms, as long as the program keeps exiting that fast.

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
