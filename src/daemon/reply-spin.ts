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
//
// The events that follow plain answers go out from the same native wait,
// the moment each answer is read: a listener whose next event comes more
// than a microsecond or two after its answer has halted its vCPU again, and
// JavaScript's share of an event takes longer than that. How many are
// prepared adapts like the budget: twice as many while all of them went
// out, as many as went out otherwise.
import { requireNative } from './native';

/** the longest the daemon spins for one answer */
const MAX_NS = 100_000;
/** the most events prepared to follow answers in one wait (the caller's own bound may be lower) */
const MAX_AHEAD = 64;
/** awaitAnswers' out: ns until the first bytes came, prepared events written */
const OUT = new Float64Array(2);

/** `RESULT 2\nOKREADY\n`: the answer after which the native wait sends the next prepared event */
export const PLAIN_ANSWER_LENGTH = 17;

/** Events to write after plain answers, back to back; ends[i] is where the i-th ends. */
export interface PreparedEvents {
  bytes: Buffer;
  ends: Uint32Array;
}

export class ReplySpin {
  private budgetNs = MAX_NS;
  /** performance.now() when a wait ran out (or was not tried) and the loop took over; 0 if it did not */
  private sleptAt = 0;
  private ahead = 1;
  /** how many prepared events the last await() wrote, each after one plain answer */
  written = 0;

  /** how long the next await() may spin for an answer, ns (0: it goes back to the loop at once) */
  get budget(): number {
    return this.budgetNs;
  }

  /** how many events are worth preparing for the next await(): twice as many while all went out, else what went */
  get batch(): number {
    return this.ahead;
  }

  /**
   * Waits within the budget for the listener's answer on fd and reads it
   * into buf; after each plain answer the next prepared event goes out to
   * stdinFd, and its answer is waited for too (native awaitAnswers).
   * Returns the bytes read (the `written` plain answers first; 0: fd hung
   * up or failed, the next read tells), or -1: nothing came in time, and
   * the event loop will say when it does.
   */
  await(fd: number, buf: Buffer, stdinFd: number, prepared: PreparedEvents | null): number {
    this.written = 0;
    if (this.budgetNs > 0) {
      const n = requireNative().awaitAnswers(fd, this.budgetNs, buf, stdinFd, prepared?.bytes ?? null, prepared?.ends ?? null, OUT);
      const waited = OUT[0] as number;
      if (waited >= 0) {
        this.budgetNs = Math.min(MAX_NS, Math.max(this.budgetNs, 2 * waited));
        const written = OUT[1] as number;
        this.written = written;
        if (prepared) this.ahead = written === prepared.ends.length ? Math.min(MAX_AHEAD, 2 * written) : Math.max(1, written);
        return n;
      }
      this.budgetNs = 0;
    }
    this.ahead = 1;
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
