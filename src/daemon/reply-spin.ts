// How long the daemon waits, awake, for an event listener's answer before it
// goes back to its event loop: adaptive spinning, as glibc's adaptive
// mutexes and the kernel's halt-polling do it.
//
// The listener protocol has one event in flight per listener, so delivery is
// a ping-pong whose rate is set by wake-ups. Sleeping in epoll_wait between
// an event and its answer costs a wake-up per event; on a VM whose idle vCPU
// halts, that is tens of microseconds, more than the exchange itself (two
// bare C processes doing nothing else manage ~20k round trips a second across
// two vCPUs here, ~250k when the waiting side stays awake). So after sending
// an event the daemon watches the listener's pipe without sleeping, for at
// most the budget: twice the longest answer it has recently waited for,
// never more than MAX_NS. A wait that runs out sets the budget to 0, so a
// listener that takes longer (one that sends mail per event) costs one
// wasted budget, not one per event; its next answer that arrives within
// MAX_NS of the daemon going to sleep sets the budget again. An idle daemon
// never spins: only an answer owed for an event just sent starts a wait.
import { requireNative } from './native';

/** the longest the daemon spins for one answer */
const MAX_NS = 100_000;

export class ReplySpin {
  private budgetNs = MAX_NS;
  /** performance.now() when a wait ran out (or was not tried) and the loop took over; 0 if it did not */
  private sleptAt = 0;

  /**
   * Waits for fd to become readable, within the budget. false: it did not;
   * the event loop will say when it does.
   */
  await(fd: number): boolean {
    if (this.budgetNs > 0) {
      const waited = requireNative().awaitReadable(fd, this.budgetNs);
      if (waited >= 0) {
        this.budgetNs = Math.min(MAX_NS, Math.max(this.budgetNs, 2 * waited));
        return true;
      }
      this.budgetNs = 0;
    }
    this.sleptAt = performance.now();
    return false;
  }

  /** The event loop found the listener's output: had the answer come soon enough to be worth waiting for? */
  woke(): void {
    if (!this.sleptAt) return;
    const tookNs = (performance.now() - this.sleptAt) * 1e6;
    this.sleptAt = 0;
    if (tookNs <= MAX_NS) this.budgetNs = Math.min(MAX_NS, 2 * tookNs);
  }
}
