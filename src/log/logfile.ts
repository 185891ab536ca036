// A log file written with synchronous appends and Supervisor's size-based
// rotation (loggers.RotatingFileHandler): after each write, if the file has
// reached maxbytes, shift .N-1 -> .N ... base -> .1 and start a new base.
// Writes are whole chunks and rotation happens only between writes, so no
// byte is lost or duplicated whatever the write rate. A file may exceed
// maxbytes by one chunk, as in Supervisor. The size that decides is the
// file's own end after each write, as Supervisor's tell() is, not a tally
// of our writes: a truncation by logrotate's copytruncate, or another
// process appending to the same file, counts.
import { closeSync, existsSync, fstatSync, openSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { NativeAddon } from '../daemon/native';

const PIECE = 128 * 1024;
/** what one splice may move at most: a whole (1 MiB) pipe */
const SPLICE_UNBOUNDED = 1024 * 1024;
/** a splice that found this much in the pipe is a stream worth allocating blocks ahead of */
const RESERVE_WHEN = 64 * 1024;
/** how far ahead of a stream's end its blocks are allocated, at most (never past maxbytes) */
const RESERVE_AHEAD = 2 * 1024 * 1024;
// spliceFrom's results are -errno, as the native call returns them
const { EAGAIN, EINVAL } = osConstants.errno;

export class LogFile {
  private fd = -1;
  private size = 0;
  /** rotation is only possible for regular files (not /dev/stdout, pipes, ttys) */
  private regular = true;
  /** the same file opened without O_APPEND (splice refuses O_APPEND): -1 = not yet, -2 = unusable */
  private spliceFd = -1;
  /** the last spliceFrom moved less than it asked for: the pipe was empty at that moment */
  spliceDrained = false;
  /**
   * Blocks past the end allocated ahead of a fast stream reach this offset
   * (0: none). Given back when the file is closed, so at most RESERVE_AHEAD
   * outlives a stream only if the daemon is killed.
   */
  private reservedTo = 0;
  /** the file system refused a reservation (ENOSPC, EOPNOTSUPP, ...): the writes alone decide from then on */
  private reserveRefused = false;
  /** the native helper spliceFrom was given (it made the blocks to give back) */
  private native: NativeAddon | null = null;

  constructor(
    readonly path: string,
    readonly maxbytes: number,
    readonly backups: number,
    private readonly mode = 0o666,
  ) {
    this.open();
  }

  private open(): void {
    this.fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, this.mode);
    const st = fstatSync(this.fd);
    this.regular = st.isFile();
    this.size = this.regular ? st.size : 0;
  }

  get opened(): boolean {
    return this.fd >= 0;
  }

  write(data: Buffer | string): void {
    if (this.fd < 0) return;
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.maxbytes <= 0 || !this.regular) {
      // no rotation: one write for the whole chunk
      this.writeAll(buf);
      this.size += buf.length;
      return;
    }
    // Supervisor writes what one read returned (at most 128 KiB) and then
    // checks the size; writing in pieces of that size keeps its bound
    // (a file exceeds maxbytes by less than 128 KiB) whatever we read at once.
    for (let start = 0; start < buf.length; start += PIECE) {
      const piece = buf.subarray(start, Math.min(buf.length, start + PIECE));
      this.writeAll(piece);
      this.size = fstatSync(this.fd).size;
      if (this.size >= this.maxbytes) this.rollover();
    }
  }

  private writeAll(buf: Buffer): void {
    let off = 0;
    let spins = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        // a non-blocking pipe (e.g. /dev/stdout of a pipeline) may push back
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN' && spins++ < 10000) continue;
        throw e;
      }
    }
  }

  /** Whether spliceFrom can be tried: a regular file (not /dev/stdout, a pipe or a tty). */
  get spliceable(): boolean {
    return this.fd >= 0 && this.regular && this.spliceFd !== -2;
  }

  /**
   * Moves child output from pipeFd into the file inside the kernel, at most
   * up to maxbytes (so rotation cuts exactly there), then rotates as write()
   * does. Returns the bytes moved, 0 at EOF, -EAGAIN
   * when the pipe is empty, or another -errno when splice cannot be used for
   * this file (spliceable is then false and the caller reads and writes instead).
   */
  spliceFrom(pipeFd: number, native: NativeAddon): number {
    if (!this.spliceable) return -EINVAL;
    if (this.spliceFd === -1) {
      try {
        const fd = openSync(this.path, constants.O_WRONLY);
        const a = fstatSync(fd);
        const b = fstatSync(this.fd);
        if (a.ino !== b.ino || a.dev !== b.dev) {
          closeSync(fd);
          this.spliceFd = -2; // the path moved under us: stay on write()
          return -EINVAL;
        }
        this.spliceFd = fd;
      } catch {
        this.spliceFd = -2;
        return -EINVAL;
      }
    }
    const end = fstatSync(this.spliceFd).size;
    if (end < this.size) this.reservedTo = 0; // truncated under us: the blocks ahead went with it
    this.size = end;
    // Up to maxbytes exactly, so rotation cuts there; a file already past it
    // (as opened) takes one 128 KiB piece before rotating, as write() does.
    let room = SPLICE_UNBOUNDED;
    if (this.maxbytes > 0) room = this.maxbytes > this.size ? Math.min(SPLICE_UNBOUNDED, this.maxbytes - this.size) : PIECE;
    const n = native.spliceToFile(pipeFd, this.spliceFd, room);
    this.spliceDrained = n < room;
    if (n > 0) {
      this.size += n;
      if (n >= RESERVE_WHEN) this.reserveAhead(native);
      if (this.maxbytes > 0 && this.size >= this.maxbytes) this.rollover();
    } else if (n < 0 && n !== -EAGAIN) {
      this.closeSpliceFd();
      this.spliceFd = -2;
    }
    return n;
  }

  /**
   * Allocates the blocks the stream is about to fill (see reserveSpace in
   * src/daemon/native/tsv_native.c): writes into them cost the daemon a
   * quarter less CPU than writes that make ext4 reserve space block by
   * block. Up to maxbytes at most, so a rotated file keeps nothing extra.
   */
  private reserveAhead(native: NativeAddon): void {
    if (this.reserveRefused || this.size + RESERVE_AHEAD / 2 <= this.reservedTo) return;
    const from = Math.max(this.size, this.reservedTo);
    const end = this.maxbytes > 0 ? Math.min(this.maxbytes, this.size + RESERVE_AHEAD) : this.size + RESERVE_AHEAD;
    if (end <= from) return;
    this.native = native;
    if (native.reserveSpace(this.spliceFd, from, end - from) === 0) this.reservedTo = end;
    else this.reserveRefused = true;
  }

  private closeSpliceFd(): void {
    if (this.spliceFd < 0) return;
    // give back what the stream did not fill (only what lies past the end)
    if (this.reservedTo > this.size) this.native?.trimSpace(this.spliceFd, this.size);
    this.reservedTo = 0;
    this.reserveRefused = false;
    closeSync(this.spliceFd);
    this.spliceFd = -1;
  }

  private rollover(): void {
    closeSync(this.fd);
    this.fd = -1;
    this.closeSpliceFd();
    if (this.backups > 0) {
      for (let i = this.backups - 1; i > 0; i--) {
        const sfn = `${this.path}.${i}`;
        if (existsSync(sfn)) removeAndRename(sfn, `${this.path}.${i + 1}`);
      }
      removeAndRename(this.path, `${this.path}.1`);
    }
    // Supervisor reopens with 'wb': backups=0 truncates in place
    this.fd = openSync(this.path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND, this.mode);
    this.size = 0;
  }

  /** SIGUSR2 / after logrotate: start writing to whatever file is at path now. */
  reopen(): void {
    this.close();
    this.spliceFd = -1; // a new file may take splice where the old one could not
    this.open();
  }

  /** clearLog: remove the file (not its backups) and start a new one. */
  remove(): void {
    this.close();
    try {
      unlinkSync(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  close(): void {
    if (this.spliceFd >= 0) this.closeSpliceFd();
    if (this.fd >= 0) {
      // never close the daemon's own stdio
      if (this.fd > 2) closeSync(this.fd);
      this.fd = -1;
    }
  }
}

function removeAndRename(sfn: string, dfn: string): void {
  try {
    unlinkSync(dfn);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    renameSync(sfn, dfn);
  } catch (e) {
    // a cleanup script removed the active log: nothing to keep
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
