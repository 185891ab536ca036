// tail -f over HTTP (Supervisor's tail_f_producer): send the last `head`
// bytes of a log, then whatever is appended, following rotation (the name
// now points at another inode: reopen and send the new file from its start)
// and truncation ("==> File truncated <==", then the new content). Unlike
// Supervisor, which only compares sizes, a file truncated and refilled past
// its old size before we look is noticed too: the last bytes we sent must
// still be where we left them. tsv's clients may ask for an `offset` instead
// of the last `head` bytes (`tsv logs` continues from where its XML-RPC read
// of the history ended).
//
// Event-driven: inotify watches on the file and on its directory wake the
// follower; nothing runs while the log is quiet. A client that reads slowly
// gets the data as fast as it drains (the file is the buffer).
import { closeSync, fstatSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { openLog } from '../log/readlog';
import { basename, dirname } from 'node:path';

/** The response side: a writable stream (an http.ServerResponse). */
export interface ChunkSink {
  write(chunk: Buffer | string): boolean;
  once(event: 'drain', fn: () => void): unknown;
  end(): unknown;
}

export interface LogFollower {
  /** the offset in the file of the first byte the stream sends */
  readonly start: number;
  /** send the bytes from `start` on, then follow; call once the headers are out */
  begin(): void;
  stop(): void;
}

/**
 * Where to begin: Supervisor's `head` (the last N bytes), or tsv's `offset`
 * (a client that has read the file up to there continues without a gap or a
 * repeat; a file now shorter than that was replaced, so all of it is sent).
 */
export type StartAt = { head: number } | { offset: number };

const CHUNK = 64 * 1024;
/** bytes kept from the end of what was sent, to recognise a rewritten file */
const MARK = 32;
/** the backups looked through for the file a stream holds, after a rotation (NAME.1 … NAME.N) */
const MAX_BACKUPS_LOOKED_AT = 10000;
/** Written into a log stream where the file was found truncated; the file's new content follows from its start. */
export const TRUNCATED = '==> File truncated <==\n';

class Follower implements LogFollower {
  private fd: number | null = null;
  private ino = -1;
  private pos = 0;
  /** the last bytes sent, ending at pos */
  private mark: Buffer = Buffer.alloc(0);
  private dirWatch: FSWatcher | null = null;
  private fileWatch: FSWatcher | null = null;
  private draining = false;
  private stopped = false;

  constructor(
    private readonly path: string,
    from: StartAt,
    private readonly out: ChunkSink,
  ) {
    this.open();
    if (this.fd !== null) {
      const size = fstatSync(this.fd).size;
      if ('head' in from) {
        if (size >= from.head) this.pos = size - from.head;
      } else if (from.offset <= size) {
        this.pos = from.offset;
      }
      this.remember();
    }
  }

  /** Where the stream begins in the file (its first byte's offset). */
  get start(): number {
    return this.pos;
  }

  begin(): void {
    const name = basename(this.path);
    try {
      // rotation and re-creation show as entries of the directory
      this.dirWatch = watch(dirname(this.path), { persistent: false }, (_ev, file) => {
        if (file === null || String(file) === name) this.wake();
      });
      this.dirWatch.on('error', () => {});
    } catch {
      this.dirWatch = null;
    }
    this.wake();
  }

  /** Follows the file at `path` (the log's name, or a backup on the way to it) from its start. */
  private open(path = this.path): void {
    this.closeFile();
    try {
      // a pipe, a socket or a terminal has nothing to follow, and is not opened or read from (readlog.ts)
      this.fd = openLog(path);
      if (this.fd === null) return;
      this.ino = fstatSync(this.fd).ino;
      this.pos = 0;
      this.mark = Buffer.alloc(0);
    } catch {
      this.fd = null;
      return;
    }
    try {
      // writes to the file we hold, even once it is unlinked or renamed
      this.fileWatch = watch(path, { persistent: false }, () => this.wake());
      this.fileWatch.on('error', () => {});
    } catch {
      this.fileWatch = null;
    }
  }

  private closeFile(): void {
    this.fileWatch?.close();
    this.fileWatch = null;
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.fd = null;
  }

  private remember(): void {
    if (this.fd === null) return;
    const n = Math.min(MARK, this.pos);
    const buf = Buffer.alloc(n);
    this.mark = buf.subarray(0, n ? readSync(this.fd, buf, 0, n, this.pos - n) : 0);
  }

  /** The file no longer holds what we sent before pos: it was truncated (and maybe refilled). */
  private rewritten(size: number): boolean {
    if (size < this.pos) return true;
    const n = this.mark.length;
    if (n === 0) return false;
    const buf = Buffer.alloc(n);
    return readSync(this.fd as number, buf, 0, n, this.pos - n) !== n || !buf.equals(this.mark);
  }

  /**
   * The file we hold is read to its end and the name is another file's: go
   * on with the file that came after ours. Rotation moved ours to NAME.1 and
   * maybe, rotating again before we came back, on to NAME.k: the next is
   * NAME.k-1 (NAME after NAME.1), and the stream reads each one through
   * before the newest (Supervisor's follows the name, so whatever it held
   * between two looks is never sent). Ours no longer among the backups
   * (removed past *_logfile_backups, or gzipped): the file at the name.
   */
  private followRotation(): void {
    const ino = inoAt(this.path);
    if (ino === null || ino === this.ino) return;
    const held = this.ino;
    for (let tries = 0; tries < 3; tries++) {
      const k = this.backupHolding(held);
      if (k === null) break;
      this.open(k === 1 ? this.path : `${this.path}.${k - 1}`);
      // a rotation in between shifted the names: what we opened is not the file after ours
      if (inoAt(`${this.path}.${k}`) === held) return;
    }
    this.open();
  }

  /** The k of the backup NAME.k that is the file `ino`; null if none is. */
  private backupHolding(ino: number): number | null {
    for (let k = 1; k <= MAX_BACKUPS_LOOKED_AT; k++) {
      const at = inoAt(`${this.path}.${k}`);
      if (at === null) return null; // the backups end here
      if (at === ino) return k;
    }
    return null;
  }

  /** _follow(): the name points at another file now (rotation) */
  private follow(): void {
    const ino = inoAt(this.path);
    if (ino !== null && ino !== this.ino) this.open();
  }

  private wake(): void {
    if (this.stopped || this.draining) return;
    try {
      if (this.fd === null) this.follow();
      if (this.fd === null) return;
      // The bytes before pos are compared once per wake-up; after that this
      // loop only reads on from what it has just sent.
      let firstPass = true;
      for (;;) {
        const size = fstatSync(this.fd).size;
        const truncated = firstPass ? this.rewritten(size) : size < this.pos;
        firstPass = false;
        let ok = true;
        if (truncated) {
          this.pos = 0;
          this.mark = Buffer.alloc(0);
          ok = this.out.write(TRUNCATED);
        } else if (size > this.pos) {
          const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - this.pos));
          const n = readSync(this.fd, buf, 0, buf.length, this.pos);
          if (n <= 0) return;
          this.pos += n;
          const sent = buf.subarray(0, n);
          this.mark = n >= MARK ? Buffer.from(sent.subarray(n - MARK)) : Buffer.concat([this.mark, sent]).subarray(-MARK);
          ok = this.out.write(sent);
        } else {
          // Only a drained file is left for the one that took its name (rotation):
          // what was written to it just before is sent first.
          const ino = this.ino;
          this.followRotation();
          if (this.fd === null || this.ino === ino) return;
          firstPass = true;
          continue;
        }
        if (!ok) {
          this.draining = true;
          this.out.once('drain', () => {
            this.draining = false;
            this.wake();
          });
          return;
        }
      }
    } catch {
      // the file descriptor went away under us: end the stream as Supervisor does
      this.stop();
      this.out.end();
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.dirWatch?.close();
    this.dirWatch = null;
    this.closeFile();
  }
}

/** The inode at `path` now; null when nothing is there (the name unlinked: a stream keeps reading what it holds). */
function inoAt(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

/** A follower of `path` into `out`, not yet sending (begin()); the caller stops it when the client goes away. */
export function followLog(path: string, from: StartAt, out: ChunkSink): LogFollower {
  return new Follower(path, from, out);
}
