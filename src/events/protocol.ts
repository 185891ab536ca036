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
// without a newline are bad result lines; a result body is counted, not
// stored, beyond its first bytes.
import { ListenerState } from './types';

const READY_TOKEN = Buffer.from('READY\n');
const RESULT_PREFIX_LEN = 'RESULT '.length;
const MAX_RESULT_LINE = 64 * 1024;
/** bytes of a result body kept (enough to tell OK from anything else, and to log it) */
const KEEP_BODY = 64;

export interface ListenerHooks {
  /** the state changed (the pool logs it) */
  changed(from: ListenerState, to: ListenerState): void;
  /** a complete result arrived; `ok` is the default handler's verdict (body == OK) */
  result(ok: boolean, body: Buffer): void;
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
  /** unread output */
  private buf: Buffer = Buffer.alloc(0);
  /** BUSY: the result's announced length once its line is read */
  private resultLen: number | null = null;
  private resultGot = 0;
  private resultHead: Buffer[] = [];
  private resultHeadLen = 0;

  constructor(private readonly hooks: ListenerHooks) {}

  /** The pool sent an event (Supervisor sets BUSY without logging a change). */
  sent(): void {
    this.state = ListenerState.BUSY;
  }

  /** Output read from the listener's stdout; `data` may be reused by the caller after this returns. */
  feed(data: Buffer): void {
    if (!data.length) return;
    if (this.state === ListenerState.UNKNOWN) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : Buffer.from(data);
    this.run();
  }

  private change(to: ListenerState): void {
    const from = this.state;
    this.state = to;
    this.hooks.changed(from, to);
  }

  private run(): void {
    for (;;) {
      const data = this.buf;
      if (!data.length) return;
      switch (this.state) {
        case ListenerState.UNKNOWN:
          this.buf = Buffer.alloc(0);
          return;
        case ListenerState.ACKNOWLEDGED:
          if (data.length < READY_TOKEN.length) return;
          if (data.subarray(0, READY_TOKEN.length).equals(READY_TOKEN)) {
            this.change(ListenerState.READY);
            this.buf = data.subarray(READY_TOKEN.length);
          } else {
            this.change(ListenerState.UNKNOWN);
            this.buf = Buffer.alloc(0);
          }
          this.hooks.forgetEvent();
          continue;
        case ListenerState.READY:
          // spurious output: Supervisor is strict about it
          this.change(ListenerState.UNKNOWN);
          this.buf = Buffer.alloc(0);
          this.hooks.forgetEvent();
          return;
        case ListenerState.BUSY:
          if (this.resultLen === null) {
            const nl = data.indexOf(0x0a);
            if (nl < 0) {
              if (data.length > MAX_RESULT_LINE) this.bad(data);
              return;
            }
            const line = data.subarray(0, nl);
            this.buf = data.subarray(nl + 1);
            const n = pyIntBytes(line.subarray(RESULT_PREFIX_LEN));
            if (n === null || n < 0) {
              this.bad(line);
              return;
            }
            this.resultLen = n;
            this.resultGot = 0;
            this.resultHead = [];
            this.resultHeadLen = 0;
          } else {
            const needed = this.resultLen - this.resultGot;
            if (needed) {
              const take = data.subarray(0, needed);
              this.resultGot += take.length;
              if (this.resultHeadLen < KEEP_BODY) {
                const keep = take.subarray(0, KEEP_BODY - this.resultHeadLen);
                this.resultHead.push(Buffer.from(keep));
                this.resultHeadLen += keep.length;
              }
              this.buf = data.subarray(take.length);
            }
            if (this.resultLen === this.resultGot) {
              const body = Buffer.concat(this.resultHead);
              const ok = this.resultGot === 2 && body.length === 2 && body[0] === 0x4f && body[1] === 0x4b;
              this.resultLen = null;
              this.resultHead = [];
              this.resultHeadLen = 0;
              this.hooks.result(ok, body);
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
    this.buf = Buffer.alloc(0);
    this.resultLen = null;
    this.hooks.reject();
    this.hooks.forgetEvent();
  }
}
