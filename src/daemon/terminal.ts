// The pseudo-terminal of a program with pty=true, as `tsv attach` reaches it:
// its size, the last few KiB it showed (so an attach starts with context, as
// supervisorctl's fg starts with the log's tail) and the clients attached to
// it. Output reaches it from the process's stdout channel, input goes through
// the same path as sendProcessStdin: this module only fans out and resizes.
import { requireNative } from './native';

/** One attached client (a connection of src/rpc/attach.ts). */
export interface TerminalClient {
  output(data: Buffer): void;
  /** the program is gone (or the daemon stops): the line that says so; no call after this */
  end(reason: string): void;
}

export interface WindowSize {
  cols: number;
  rows: number;
}

/** The size a program's terminal starts with until a client attaches (a VT100's). */
export const DEFAULT_WINDOW: WindowSize = { cols: 80, rows: 24 };

/** What an attach replays: enough for a screenful of lines, little enough to keep for every pty program. */
export const REPLAY_BYTES = 8 * 1024;

/** tty_struct's limits: a window is at most 65535 cells either way; 0 would be refused by most programs */
export function validWindow(cols: number, rows: number): boolean {
  return Number.isInteger(cols) && Number.isInteger(rows) && cols >= 1 && rows >= 1 && cols <= 0xffff && rows <= 0xffff;
}

export class Terminal {
  private readonly clients = new Set<TerminalClient>();
  /** the last REPLAY_BYTES of output, oldest first, in the pieces they came in */
  private recent: Buffer[] = [];
  private recentBytes = 0;
  private ended: string | null = null;

  constructor(
    /** the master side (the daemon's copy; the process's stdout fd) */
    private readonly fd: number,
  ) {}

  output(data: Buffer): void {
    if (this.ended !== null) return;
    // data is the daemon's shared read buffer: the replay keeps a copy of its
    // tail only (never more than twice REPLAY_BYTES in all), and the whole
    // read is copied once, only while someone is attached
    const kept = Buffer.from(data.length > REPLAY_BYTES ? data.subarray(data.length - REPLAY_BYTES) : data);
    this.recent.push(kept);
    this.recentBytes += kept.length;
    while (this.recentBytes - this.recent[0].length >= REPLAY_BYTES) this.recentBytes -= (this.recent.shift() as Buffer).length;
    if (this.clients.size === 0) return;
    const whole = kept.length === data.length ? kept : Buffer.from(data);
    for (const c of this.clients) c.output(whole);
  }

  /**
   * What the terminal showed lately, from the start of a line when the
   * replay had to cut into older output (a cut mid-line, or mid escape
   * sequence, would show a fragment).
   */
  replay(): Buffer {
    const all = Buffer.concat(this.recent);
    if (all.length <= REPLAY_BYTES) return all;
    const tail = all.subarray(all.length - REPLAY_BYTES);
    const nl = tail.indexOf(0x0a);
    return nl < 0 ? tail : tail.subarray(nl + 1);
  }

  /** Adds a client (its window comes as resizes); an ended terminal takes none. */
  attach(client: TerminalClient): void {
    if (this.ended === null) this.clients.add(client);
  }

  detach(client: TerminalClient): void {
    this.clients.delete(client);
  }

  /** 0 or -errno (the terminal may be gone with its program); the kernel signals SIGWINCH on a change */
  resize(size: WindowSize): number {
    if (this.ended !== null) return 0;
    return requireNative().setWindowSize(this.fd, size.cols, size.rows);
  }

  /** The program is gone: every client is told why and let go. */
  end(reason: string): void {
    if (this.ended !== null) return;
    this.ended = reason;
    this.recent = [];
    this.recentBytes = 0;
    const clients = [...this.clients];
    this.clients.clear();
    for (const c of clients) c.end(reason);
  }
}
