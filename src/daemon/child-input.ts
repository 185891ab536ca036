// A running child's stdin as the daemon writes to it: sendProcessStdin,
// events to a listener, attach's keys. What the child has no room for yet is
// held and written as it makes room, one mechanism for a pipe and a terminal
// alike: node:net takes no tty fd, and node:tty's writes to one block.
import { closeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { requireNative, type ReadableWatch } from './native';

const { EAGAIN, EPIPE } = osConstants.errno;

/**
 * Input a child has not read, held for it at most (sendProcessStdin beyond is
 * refused): Supervisor's buffer has no bound, so a client could fill the
 * daemon's memory writing to a program that never reads.
 */
export const MAX_PENDING_INPUT = 16 * 1024 * 1024;

interface Held {
  queue: Buffer[];
  bytes: number;
  watch: ReadableWatch;
  /** whenBelow's callbacks, each once the held bytes are at most its mark */
  waiters: { mark: number; cb: () => void }[];
}

export class ChildInput {
  /** the child no longer reads (EPIPE; a terminal's EIO), or never had a stdin channel */
  private closed: boolean;
  private held: Held | null = null;
  private ended = false;

  /** `fd` < 0: no stdin channel (a FastCGI child's fd 0 is its socket), so writes get EPIPE */
  constructor(
    readonly fd: number,
    private readonly name: string,
  ) {
    this.closed = fd < 0;
  }

  /** A write would go straight to the child (nothing held before it). */
  get open(): boolean {
    return !this.closed && !this.held?.bytes;
  }

  /** Bytes held for the child until its stdin has room. */
  get heldBytes(): number {
    return this.held?.bytes ?? 0;
  }

  /** Throws 'EPIPE' when the child's stdin is gone, 'ENOBUFS' when the child has left MAX_PENDING_INPUT unread. */
  write(chars: Buffer): void {
    if (this.closed) throw stdinClosed();
    const held = this.held;
    if (held?.bytes) {
      if (held.bytes + chars.length > MAX_PENDING_INPUT) throw this.full(held.bytes);
      held.queue.push(Buffer.from(chars));
      held.bytes += chars.length;
      return;
    }
    const native = requireNative();
    let off = 0;
    while (off < chars.length) {
      const n = native.writeFrom(this.fd, chars, off);
      if (n >= 0) {
        off += n;
        continue;
      }
      if (n === -EAGAIN) break;
      if (n === -EPIPE) {
        this.closed = true;
        throw stdinClosed();
      }
      const code = getSystemErrorName(n);
      throw Object.assign(new Error(`${code}: write to the stdin of ${this.name}`), { code });
    }
    if (off < chars.length) this.hold(chars.subarray(off));
  }

  /**
   * cb once at most `mark` bytes are held (at once if so already), or the
   * stdin or the run is gone: a writer that paused for the child (attach's
   * socket) goes on from there.
   */
  whenBelow(mark: number, cb: () => void): void {
    const t = this.held;
    if (!t || t.bytes <= mark) cb();
    else t.waiters.push({ mark, cb });
  }

  /** The run is over: what is held is dropped, its waiters go on, the fd is closed. */
  close(): void {
    this.ended = true;
    if (this.held) {
      this.held.watch.close();
      this.held.bytes = 0;
      wake(this.held);
    }
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
    }
  }

  private full(bytes: number): Error {
    const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
    return Object.assign(new Error(`${this.name} has not read ${mib(bytes)} of its input (at most ${mib(MAX_PENDING_INPUT)} is held for it)`), {
      code: 'ENOBUFS',
    });
  }

  /** The rest of a write the child's stdin had no room for, copied: the caller's buffer may be reused. */
  private hold(rest: Buffer): void {
    if (!this.held) {
      const watch = requireNative().watchReadable(
        this.fd,
        (status) => {
          if (this.ended) return;
          // an error from the poll (libuv's answer to POLLERR: nobody reads the pipe any more) ends the input as EPIPE would
          if (status < 0) this.drop();
          else this.flush();
        },
        false,
        true,
      );
      this.held = { queue: [], bytes: 0, watch, waiters: [] };
    }
    this.held.queue.push(Buffer.from(rest));
    this.held.bytes += rest.length;
    this.held.watch.start();
  }

  /** The child's stdin has room: as much of the held input as it takes; the watch stops once all went. */
  private flush(): void {
    const t = this.held;
    if (!t) return;
    const native = requireNative();
    while (t.queue.length) {
      const buf = t.queue[0] as Buffer;
      const n = native.writeFrom(this.fd, buf, 0);
      if (n === -EAGAIN) return;
      if (n < 0) {
        this.drop();
        return;
      }
      t.bytes -= n;
      if (n < buf.length) t.queue[0] = buf.subarray(n);
      else t.queue.shift();
      if (t.waiters.length) wake(t);
    }
    t.watch.stop();
  }

  /** The child closed its stdin: what it did not read is dropped, as Supervisor drops it. */
  private drop(): void {
    this.closed = true;
    const t = this.held;
    if (!t) return;
    t.queue = [];
    t.bytes = 0;
    t.watch.stop();
    wake(t);
  }
}

function stdinClosed(): Error {
  return Object.assign(new Error("Process' stdin channel is closed"), { code: 'EPIPE' });
}

function wake(t: Held): void {
  const due = t.waiters.filter((w) => w.mark >= t.bytes);
  if (!due.length) return;
  t.waiters = t.waiters.filter((w) => w.mark < t.bytes);
  for (const w of due) w.cb();
}
