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
/** awaitAnswer's out: ns until readable, bytes of the next event written */
const OUT = new Float64Array(2);

export class ReplySpin {
  private budgetNs = MAX_NS;
  /** performance.now() when a wait ran out (or was not tried) and the loop took over; 0 if it did not */
  private sleptAt = 0;
  /** bytes of `next` the last await() wrote to the listener's stdin */
  wroteNext = 0;

  /** how long the next await() may spin, ns (0: it goes back to the loop at once) */
  get budget(): number {
    return this.budgetNs;
  }

  /**
   * Waits within the budget for the listener's answer on fd and reads it
   * into buf, writing `next` to stdinFd the moment the answer is the usual
   * `RESULT 2\nOKREADY\n` (native awaitAnswer). Returns the bytes read (0:
   * fd hung up or failed; the next read tells), or -1: nothing came in
   * time, and the event loop will say when it does.
   */
  await(fd: number, buf: Buffer, stdinFd: number, next: Buffer | null): number {
    this.wroteNext = 0;
    if (this.budgetNs > 0) {
      const n = requireNative().awaitAnswer(fd, this.budgetNs, buf, stdinFd, next, OUT);
      const waited = OUT[0] as number;
      if (waited >= 0) {
        this.budgetNs = Math.min(MAX_NS, Math.max(this.budgetNs, 2 * waited));
        this.wroteNext = OUT[1] as number;
        return n;
      }
      this.budgetNs = 0;
    }
    this.sleptAt = performance.now();
    return -1;
  }

  /** The event loop found the listener's output: had the answer come soon enough to be worth waiting for? */
  woke(): void {
    if (!this.sleptAt) return;
    const tookNs = (performance.now() - this.sleptAt) * 1e6;
    this.sleptAt = 0;
    if (tookNs <= MAX_NS) this.budgetNs = Math.min(MAX_NS, 2 * tookNs);
  }
}
