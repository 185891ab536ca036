// The listener side of the protocol as Supervisor reads it from a listener's
// stdout (dispatchers.py PEventListenerDispatcher.handle_listener_state_change):
//
//   ACKNOWLEDGED  `READY\n` -> READY; any other 6 bytes -> UNKNOWN
//   READY         any output at all -> UNKNOWN
//   BUSY          `RESULT <n>\n` then n bytes: `OK` acknowledges, anything
//                 else rejects (the event goes back to the pool); a length
//                 that is not an integer -> UNKNOWN and the event is rejected
//   UNKNOWN       everything is ignored until the listener is restarted
//
// Quirks kept from Supervisor: the first seven bytes of the result line are
// skipped unread (only the number after them counts); the length is parsed
// like Python's int() (spaces, a sign, underscores, a trailing \r); the body
// of a `RESULT 0` line is only judged when more output arrives.
//
// Where Supervisor has no bound, tsv has one so that a broken listener
// cannot hurt the daemon: a negative length (an endless recursion in
// Supervisor that closes the channel) and a result line longer than 64 KiB
// without a newline are bad result lines; a result body is compared with
// `OK` as it arrives, never stored.
//
// The parser walks the caller's buffer with an offset and keeps only what
// is left over: a listener answering at full speed costs no allocation.
import { ListenerState } from './types';

const READY_TOKEN = Buffer.from('READY\n');
const RESULT_PREFIX_LEN = 'RESULT '.length;
const MAX_RESULT_LINE = 64 * 1024;

export interface ListenerHooks {
  /** the state changed (the pool logs it) */
  changed(from: ListenerState, to: ListenerState): void;
  /** a complete result arrived; `ok` is the default handler's verdict (body == OK) */
  result(ok: boolean): void;
  /** the result line was not `<7 bytes><integer>` */
  badResultLine(line: Buffer): void;
  /** the event in flight goes back to the pool */
  reject(): void;
  /** Supervisor's `process.event = None` */
  forgetEvent(): void;
}

/** Python's int() of a bytes object holding a decimal number, or null. */
export function pyIntBytes(b: Buffer): number | null {
  const s = b.toString('latin1');
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+(?:_\d+)*)[ \t\n\v\f\r]*$/.exec(s);
  if (!m) return null;
  const n = Number((m[2] as string).replaceAll('_', ''));
  return m[1] === '-' ? -n : n;
}

export class ListenerProtocol {
  state: ListenerState = ListenerState.ACKNOWLEDGED;
  /** unread output: buf[off..] */
  private buf: Buffer = EMPTY;
  private off = 0;
  /** BUSY: the result's announced length once its line is read */
  private resultLen: number | null = null;
  private resultGot = 0;
  /** whether the body so far matches `OK` */
  private resultOk = true;
  /** an event was sent since the listener started: ACKNOWLEDGED then waits for the READY after its result */
  private hadEvent = false;

  constructor(private readonly hooks: ListenerHooks) {}

  /** The pool sent an event (Supervisor sets BUSY without logging a change). */
  sent(): void {
    this.state = ListenerState.BUSY;
    this.hadEvent = true;
  }

  /** BUSY with nothing of its answer read yet: `RESULT 2\nOKREADY\n` would acknowledge the event and leave it READY. */
  get plainAnswerMakesReady(): boolean {
    return this.state === ListenerState.BUSY && this.resultLen === null && this.off >= this.buf.length;
  }

  /** The listener owes an answer: the result of its event, or the READY that follows a result (not the first READY of a starting listener). */
  get awaitingReply(): boolean {
    return this.state === ListenerState.BUSY || (this.state === ListenerState.ACKNOWLEDGED && this.hadEvent);
  }

  /** Output read from the listener's stdout; `data` may be reused by the caller after this returns. */
  feed(data: Buffer): void {
    if (!data.length) return;
    if (this.state === ListenerState.UNKNOWN) return;
    if (this.off < this.buf.length) {
      this.buf = Buffer.concat([this.buf.subarray(this.off), data]);
    } else {
      this.buf = data;
    }
    this.off = 0;
    this.run();
    if (this.off >= this.buf.length) {
      this.buf = EMPTY;
      this.off = 0;
    } else if (this.buf === data) {
      // the caller's buffer is reused for the next read: keep a copy of the rest
      this.buf = Buffer.from(data.subarray(this.off));
      this.off = 0;
    }
  }

  private change(to: ListenerState): void {
    const from = this.state;
    this.state = to;
    this.hooks.changed(from, to);
  }

  private drop(): void {
    this.off = this.buf.length;
  }

  private run(): void {
    for (;;) {
      const data = this.buf;
      const off = this.off;
      const avail = data.length - off;
      if (avail <= 0) return;
      switch (this.state) {
        case ListenerState.UNKNOWN:
          this.drop();
          return;
        case ListenerState.ACKNOWLEDGED:
          if (avail < READY_TOKEN.length) return;
          if (data.compare(READY_TOKEN, 0, READY_TOKEN.length, off, off + READY_TOKEN.length) === 0) {
            this.change(ListenerState.READY);
            this.off = off + READY_TOKEN.length;
          } else {
            this.change(ListenerState.UNKNOWN);
            this.drop();
          }
          this.hooks.forgetEvent();
          continue;
        case ListenerState.READY:
          // spurious output: Supervisor is strict about it
          this.change(ListenerState.UNKNOWN);
          this.drop();
          this.hooks.forgetEvent();
          return;
        case ListenerState.BUSY:
          if (this.resultLen === null) {
            const nl = data.indexOf(0x0a, off);
            if (nl < 0) {
              if (avail > MAX_RESULT_LINE) this.bad(data.subarray(off));
              return;
            }
            this.off = nl + 1;
            const n = resultLength(data, off + RESULT_PREFIX_LEN, nl);
            if (n === null || n < 0) {
              this.bad(data.subarray(off, nl));
              return;
            }
            this.resultLen = n;
            this.resultGot = 0;
            this.resultOk = true;
          } else {
            const needed = this.resultLen - this.resultGot;
            if (needed) {
              const take = Math.min(needed, avail);
              for (let i = 0; i < take && this.resultOk; i++) {
                const at = this.resultGot + i;
                if (at >= 2 || data[off + i] !== OK[at]) this.resultOk = false;
              }
              this.resultGot += take;
              this.off = off + take;
            }
            if (this.resultLen === this.resultGot) {
              const ok = this.resultOk && this.resultGot === 2;
              this.resultLen = null;
              this.hooks.result(ok);
              this.change(ListenerState.ACKNOWLEDGED);
              if (!ok) this.hooks.reject();
              this.hooks.forgetEvent();
            }
          }
          continue;
      }
    }
  }

  private bad(line: Buffer): void {
    this.hooks.badResultLine(line);
    this.change(ListenerState.UNKNOWN);
    this.drop();
    this.resultLen = null;
    this.hooks.reject();
    this.hooks.forgetEvent();
  }
}

const EMPTY = Buffer.alloc(0);
const OK = [0x4f, 0x4b];

/** The number after the result line's first seven bytes: plain digits read in place, anything else as Python's int() reads it. */
function resultLength(data: Buffer, from: number, to: number): number | null {
  let n = 0;
  let i = from;
  for (; i < to; i++) {
    const c = data[i] as number;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  if (i === to && i > from && n <= Number.MAX_SAFE_INTEGER) return n;
  return pyIntBytes(data.subarray(Math.min(from, to), to));
}
