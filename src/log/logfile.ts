// A log file written with synchronous appends and Supervisor's size-based
// rotation (loggers.RotatingFileHandler): after each write, if the file has
// reached maxbytes, shift .N-1 -> .N ... base -> .1 and start a new base.
// Supervisor renames base to .1 and then creates base, so for a moment no
// file has the name, and a reader that opens it then (a script, a log
// shipper, `cat`) fails with ENOENT. tsv creates the new file under a hidden
// name first, links base as .1 and renames the new file over base: the name
// always opens, and the files end up as Supervisor's. Where that cannot be
// done (no hard links on the file system, no room for a new file) it rotates
// as Supervisor does.
// Writes are whole chunks and rotation happens only between writes, so no
// byte is lost or duplicated whatever the write rate. A file may exceed
// maxbytes by one chunk, as in Supervisor. The size that decides is the
// file's own end after each write, as Supervisor's tell() is, not a tally
// of our writes: a truncation by logrotate's copytruncate, or another
// process appending to the same file, counts.
//
// A file that stops taking writes (disk full, its directory removed, its
// permissions changed) never takes the daemon down: the owner is told once
// (LogFileReport), the output is dropped and counted, and each later write
// tries again; Supervisor prints a traceback to stderr for every failed
// write and, once a rotation could not reopen the file, never writes it again.
// A write the disk cut short leaves a line torn in the file: the rest of that
// line is held and written first when the file takes writes again, so the
// next output does not begin on the torn line's end (Supervisor's buffered
// file, too, writes what it still holds first).
import { closeSync, existsSync, fchmodSync, fstatSync, linkSync, lstatSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync, constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { loadNative, type NativeAddon } from '../daemon/native';
import { BackupGzip, type GzipRunner } from './backup-gzip';
import { nextPeriodStart, type RotatePeriod } from './rotate-period';

const PIECE = 128 * 1024;
/**
 * spliceFrom's answer once the file has passed maxbytes inside a write of the
 * program's: read at most ROTATION_READ bytes and write() them, so that the
 * rotation falls at a line end.
 */
export const SPLICE_READ_INSTEAD = -0x10000;
/** the read that replaces such a move: a page, which holds the end of most lines */
export const ROTATION_READ = 4096;
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
/** with APPEND: a new file or nothing (O_EXCL refuses any name already there, a link too) */
const EXCLUSIVE = constants.O_EXCL | constants.O_NOFOLLOW;
const NEWLINE = 0x0a;
/** the most of a torn line held for when the file takes writes again */
const OWED_MAX = 64 * 1024;
/** what one splice may move at most: a whole (1 MiB) pipe */
const SPLICE_UNBOUNDED = 1024 * 1024;
/** a splice that found this much in the pipe is a stream worth allocating blocks ahead of */
const RESERVE_WHEN = 64 * 1024;
/** how far ahead of a stream's end its blocks are allocated, at most (never past maxbytes) */
const RESERVE_AHEAD = 2 * 1024 * 1024;
// spliceFrom's results are -errno, as the native call returns them
const { EAGAIN, EINVAL } = osConstants.errno;

/** A place in a particular file (device and inode, not the name, which rotation gives to the next). */
export interface LogPosition {
  dev: number;
  ino: number;
  size: number;
  /** the file's in-place truncations by rotation until then (cutsOf) */
  cuts: number;
}

/** What made a log file stop taking output. */
export type LogFileFailure = 'write' | 'rotate' | 'reopen';

/** Told when a log file stops taking output and when it takes it again. */
export interface LogFileReport {
  /**
   * The first failure after output was written: what failed and why. After
   * 'rotate' the file keeps taking output (past maxbytes) and nothing is lost.
   */
  failed(what: LogFileFailure, err: NodeJS.ErrnoException): void;
  /** output is written again; `lost` bytes were dropped meanwhile */
  recovered(lost: number): void;
}

/** The errno of a failed log file operation in words, for messages that name the file. */
export function describeLogError(code: string | undefined, otherwise = 'cannot open'): string {
  switch (code) {
    case 'EACCES':
      return 'permission denied';
    case 'ENOENT':
      return 'the directory does not exist';
    case 'EROFS':
      return 'read-only file system';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EFBIG':
      return 'file too large';
    case 'EIO':
      return 'input/output error';
    case 'EPIPE':
      return 'broken pipe: nothing reads it';
    case 'ENXIO':
      return 'a FIFO that no process reads';
    case 'EAGAIN':
      return 'its reader is not taking it';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return otherwise;
  }
}

const FAILED_VERB: Record<LogFileFailure, string> = { write: 'write to', rotate: 'rotate', reopen: 'reopen' };
const FAILED_OTHERWISE: Record<LogFileFailure, string> = { write: 'cannot write', rotate: 'cannot rename', reopen: 'cannot open' };

/**
 * For "could not VERB log file PATH: REASON": what failed as a verb, and its
 * errno in words; naming the path the error is about when it is not the log
 * file's (a rotation stopped by a directory at NAME.1: that one is in the way).
 */
export function failureWords(what: LogFileFailure, err: NodeJS.ErrnoException & { dest?: string }, logPath: string): { verb: string; reason: string } {
  const words = describeLogError(err.code, FAILED_OTHERWISE[what]);
  const other = [err.dest, err.path].find((p) => typeof p === 'string' && p !== logPath);
  return { verb: FAILED_VERB[what], reason: `${err.code ?? ''} (${other ? `${other}: ${words}` : words})` };
}

/**
 * The LogFiles open on each file (by device and inode, so names that differ,
 * `a/../x.log` and `x.log`, are one file): more than one when several
 * channels write one file.
 */
const writers = new Map<string, Set<LogFile>>();

const fileKey = (st: { dev: number; ino: number }): string => `${st.dev}:${st.ino}`;

/**
 * Per file, how often a rotation with no backups emptied it in place (the
 * same inode, as Supervisor's 'wb' reopen): a position taken before such a
 * cut is no place in what the file holds now, even once it is as long again.
 */
const cutsByFile = new Map<string, number>();

/** How often rotation has emptied the file `st` in place (LogPosition.cuts). */
export function cutsOf(st: { dev: number; ino: number }): number {
  return cutsByFile.get(fileKey(st)) ?? 0;
}

export class LogFile {
  /** told of failures and recoveries (nobody: they go unreported) */
  report: LogFileReport | null = null;
  private fd = -1;
  private size = 0;
  /** rotation is only possible for regular files (not /dev/stdout, pipes, ttys) */
  private regular = true;
  /** the same file opened without O_APPEND (splice refuses O_APPEND): -1 = not yet, -2 = unusable */
  private spliceFd = -1;
  /** the last spliceFrom moved less than it asked for: the pipe was empty at that moment */
  spliceDrained = false;
  /**
   * The file passed maxbytes where a move or a read stopped with more in the
   * pipe, so maybe inside a line: rotated at its end (write()), or when the
   * pipe is found empty after all (drained()).
   */
  private rotationOwed = false;
  /**
   * Blocks past the end allocated ahead of a fast stream reach this offset
   * (0: none). Given back when the file is closed, so at most RESERVE_AHEAD
   * outlives a stream only if the daemon is killed.
   */
  private reservedTo = 0;
  /** the file system refused a reservation (ENOSPC, EOPNOTSUPP, ...): the writes alone decide from then on */
  private reserveRefused = false;
  /** the file could not be opened again (after rotation or a reopen): each write tries */
  private lostFile = false;
  /** a failure has been reported and no write has worked since */
  private failing = false;
  /** a rotation failed (reported) and none has worked since; the file keeps taking output */
  private rotateFailing = false;
  /** bytes of output dropped since the failure */
  private lost = 0;
  /** the rest of a line the file took only the start of before it refused writes: written first when it takes them again */
  private owed: Buffer | null = null;
  /**
   * Up to this many bytes of the writes the file refused are held, each
   * whole, and written (after `owed`) when it takes writes again, instead of
   * dropped: the main log's, as Supervisor's buffered stream keeps what a
   * full disk refused. 0 (child logs): dropped and counted.
   */
  holdRefused = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** *_logfile_compress: what gzips the backups (null: they stay plain) */
  readonly backupGzip: BackupGzip | null;
  /**
   * Set when the file holds stamped lines (*_logfile_timestamps), to the
   * stamp for now. Rotation then cuts between lines where a piece has a line
   * end, and a line that a new file continues (one longer than a piece, or
   * one unfinished when logrotate moved the file or clearLog removed it)
   * begins there with a stamp too, so every line of every file has one.
   */
  continuationStamp: (() => Buffer) | null = null;
  /** the last byte written ended no line */
  private midLine = false;
  /**
   * *_logfile_rotate: when the period the file's output belongs to ends (ms
   * since the epoch). The first write after it rotates the file, as Python's
   * TimedRotatingFileHandler does: no timer, so an idle daemon stays asleep.
   */
  private periodEnds = Infinity;
  /** the file fd writes, as `writers` knows it ('' while none is open) */
  private file = '';
  /**
   * The files remove() took the name from (the one this wrote, and the one
   * the name was, if another: a sibling channel's newer file), until a
   * reopen, or write() re-opening a file that could not be opened then, has
   * told their other writers to follow.
   */
  private removed: string[] = [];

  constructor(
    readonly path: string,
    readonly maxbytes: number,
    readonly backups: number,
    private readonly mode = 0o666,
    gzip: GzipRunner | null = null,
    private readonly period: RotatePeriod | null = null,
  ) {
    this.backupGzip = gzip && backups > 0 && (maxbytes > 0 || period) ? new BackupGzip(path, backups, gzip) : null;
    this.open();
  }

  /**
   * `truncate`: after a rotation, Supervisor reopens with 'wb' (backups=0
   * truncates in place). `exclusive`: the name was just moved away, so what is
   * there now was put there since: removed, and a new file made that no link
   * planted meanwhile can redirect (Supervisor's 'wb' follows one as root).
   */
  private open(truncate = false, exclusive = false): void {
    if (exclusive) unlinkQuiet(this.path);
    this.adopt(openLog(this.path, APPEND | (exclusive ? EXCLUSIVE : truncate ? constants.O_TRUNC : 0), this.mode));
    if (truncate && !exclusive && this.regular) cutsByFile.set(this.file, (cutsByFile.get(this.file) ?? 0) + 1);
  }

  /** Writes go to `fd` (open for appending) from now on. */
  private adopt(fd: number): void {
    if (this.owed) {
      // its line began in the file this one replaces
      this.lost += this.owed.length;
      this.owed = null;
    }
    this.fd = fd;
    const st = fstatSync(this.fd);
    this.file = fileKey(st);
    let same = writers.get(this.file);
    if (!same) writers.set(this.file, (same = new Set()));
    same.add(this);
    this.regular = st.isFile();
    this.size = this.regular ? st.size : 0;
    this.lostFile = false;
    // a file last written in an earlier period (the daemon was down, or the program stopped, at its end) rotates at the first write
    if (this.period && this.regular) this.periodEnds = nextPeriodStart(this.period, st.size > 0 ? st.mtimeMs : Date.now());
  }

  /** *_logfile_rotate: a new period has begun since the file's last output: rotate it (an empty file stays). */
  private rotateIfPeriodEnded(): void {
    if (this.period === null || Date.now() < this.periodEnds) return;
    if (fstatSync(this.fd).size > 0) this.rollover();
    // also when the file was empty, or the rotation failed (reported): the next try is the next period's
    this.periodEnds = nextPeriodStart(this.period, Date.now());
  }

  /** open() for a file already in use; false if it cannot be (reported once; each write tries again) */
  private openAgain(truncate: boolean, exclusive = false): boolean {
    try {
      this.open(truncate, exclusive);
      return true;
    } catch (e) {
      this.lostFile = true;
      this.fail('reopen', e);
      return false;
    }
  }

  private fail(what: LogFileFailure, err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.report?.failed(what, err as NodeJS.ErrnoException);
  }

  /** output was written: end a failure, if there was one */
  private worked(): void {
    if (!this.failing) return;
    this.failing = false;
    const lost = this.lost;
    this.lost = 0;
    this.report?.recovered(lost);
  }

  get opened(): boolean {
    return this.fd >= 0;
  }

  /** Another channel (stdout and stderr in one file, a pool sharing one log) writes this file too. */
  get shared(): boolean {
    return (writers.get(this.file)?.size ?? 0) > 1;
  }

  /**
   * The pipe this file is fed from is empty: the last move or read, which
   * took just as much as it could, ended where the program's writes end
   * after all, so a rotation that waited for a line end happens now.
   */
  drained(): void {
    if (this.rotationOwed && this.fd >= 0) this.rollover();
  }

  /** Which file this writes and where its end is now (null: none open, or not a regular file). */
  position(): LogPosition | null {
    if (this.fd < 0 || !this.regular) return null;
    const st = fstatSync(this.fd);
    return { dev: st.dev, ino: st.ino, size: st.size, cuts: cutsOf(st) };
  }

  /** The file's last byte is not a line end: what an earlier writer left there is an unfinished line. */
  endsMidLine(): boolean {
    if (!this.regular || this.size === 0) return false;
    // the log's own descriptor is write-only; one byte through a second one (O_NONBLOCK: the path may have become a FIFO since)
    let fd = -1;
    try {
      fd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
      const last = Buffer.alloc(1);
      return readSync(fd, last, 0, 1, this.size - 1) === 1 && last[0] !== 0x0a;
    } catch {
      return false; // unreadable by the daemon: no line of its own for the next run
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  /**
   * `readFilled`: data ends where a read filled its buffer, not (as far as
   * is known) where a write of the program's ended: the pipe may hold the
   * rest of the line.
   */
  write(data: Buffer | string, readFilled = false): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.fd < 0) {
      if (!this.lostFile) return; // closed
      try {
        this.open();
      } catch {
        this.holdOrDrop(buf);
        return;
      }
      this.othersFollow(); // a clear that could not open the new file then (its directory gone)
    }
    this.rotateIfPeriodEnded();
    if (this.fd < 0) {
      this.holdOrDrop(buf); // rotated, and no new file could be opened
      return;
    }
    if (this.maxbytes <= 0 || !this.regular) {
      // no rotation by size: one write for the whole chunk
      if (this.stampContinuedLine(buf.length) && this.writeAll(buf)) {
        this.size += buf.length;
        this.midLine = buf[buf.length - 1] !== NEWLINE;
      }
      return;
    }
    // Supervisor writes what one read returned (at most 128 KiB) and then
    // checks the size; writing in pieces of that size keeps its bound
    // (a file exceeds maxbytes by less than 128 KiB) whatever we read at once.
    for (let start = 0; start < buf.length; ) {
      let end = this.pieceEnd(buf, start);
      // Stamped lines: a piece that fills the file and ends mid-line is cut
      // after its last line end and the file rotated there, so the line's
      // start (its stamp on it) begins the next file, not a second stamp.
      let rotateHere = false;
      let writesEnd = true;
      if (this.continuationStamp && buf[end - 1] !== NEWLINE && this.size + (end - start) >= this.maxbytes) {
        const nl = buf.lastIndexOf(NEWLINE, end - 1);
        if (nl >= start) {
          end = nl + 1;
          rotateHere = true;
        }
      } else if (!this.continuationStamp && this.size + (end - start) >= this.maxbytes && (end < buf.length || readFilled)) {
        // Supervisor writes a read whole and then rotates; a read of its
        // 64 KiB pipe ends where the program's writes end, so a line written
        // whole stays in one file. Ours can end anywhere: at a piece's end,
        // or where a read filled its buffer (a 1 MiB pipe holds more than one
        // read). There the file ends at its first line end from maxbytes on
        // instead, or less than a piece past maxbytes at the latest
        // (Supervisor's bound); until then the rotation waits.
        // Bytes until the latest end (none left: a file already that far past, which ends at a piece):
        const latest = this.maxbytes + PIECE - 1 - this.size;
        const limit = Math.min(buf.length, start + (latest > 0 ? latest : PIECE));
        const lineEnd = buf.subarray(0, limit).indexOf(NEWLINE, start + Math.max(0, this.maxbytes - this.size - 1));
        end = lineEnd >= 0 ? lineEnd + 1 : limit;
        rotateHere = lineEnd >= 0 || end - start >= latest;
        writesEnd = end === buf.length && !readFilled;
      }
      const piece = buf.subarray(start, end);
      start = end;
      const rest = buf.length - end;
      if (!this.stampContinuedLine(piece.length + rest)) return;
      if (!this.writeAll(piece)) {
        this.refuse(buf.subarray(end)); // the file refused the piece: the rest goes its way
        return;
      }
      this.midLine = piece[piece.length - 1] !== NEWLINE;
      this.size = fstatSync(this.fd).size;
      if (this.continuationStamp ? this.size >= this.maxbytes || rotateHere : this.size >= this.maxbytes && (rotateHere || writesEnd || this.rotateFailing)) this.rollover();
      else this.rotationOwed = this.size >= this.maxbytes;
      if (this.fd < 0) {
        this.holdOrDrop(buf.subarray(end)); // rotated, and no new file could be opened
        return;
      }
    }
  }

  /** Where the piece from `start` ends: PIECE on, or with stamped lines after the last line end within that. */
  private pieceEnd(buf: Buffer, start: number): number {
    const end = Math.min(buf.length, start + PIECE);
    if (!this.continuationStamp || end === buf.length) return end;
    const nl = buf.lastIndexOf(NEWLINE, end - 1);
    return nl >= start ? nl + 1 : end;
  }

  /**
   * With stamped lines, a new (empty) file that continues an unfinished line
   * gets a stamp before it; false if the file refused it (the `pending`
   * bytes of output are then counted lost).
   */
  private stampContinuedLine(pending: number): boolean {
    if (!this.continuationStamp || !this.midLine || this.size !== 0 || !this.regular) return true;
    const stamp = this.continuationStamp();
    if (!this.writeAll(stamp, false)) {
      this.lost += pending;
      return false;
    }
    this.size += stamp.length;
    this.midLine = false;
    return true;
  }

  /**
   * Writes all of buf, after what is owed; false if the file refused (the
   * failure reported, and the rest of `output` held or counted lost).
   */
  private writeAll(buf: Buffer, output = true): boolean {
    if (this.owed) {
      const owed = this.owed;
      const done = this.writeSome(owed);
      if (done < owed.length) {
        this.owed = owed.subarray(done);
        if (output) this.refuse(buf);
        return false;
      }
      this.owed = null;
    }
    if (!this.writeHeld()) {
      if (output) this.refuse(buf);
      return false;
    }
    const done = this.writeSome(buf);
    if (done < buf.length) {
      if (output) this.refuse(buf.subarray(done));
      return false;
    }
    this.worked();
    return true;
  }

  /** Writes what is held; false if the file refused some (what it took of a line's start makes that line's rest owed). */
  private writeHeld(): boolean {
    while (this.held.length) {
      const h = this.held[0] as Buffer;
      const done = this.writeSome(h);
      if (done === h.length) {
        this.held.shift();
        this.heldBytes -= h.length;
        continue;
      }
      if (done > 0) {
        const rest = h.subarray(done);
        const nl = rest.indexOf(NEWLINE);
        const cut = nl < 0 ? rest.length : nl + 1;
        this.owed = Buffer.from(rest.subarray(0, cut));
        this.heldBytes -= done + cut;
        if (cut < rest.length) this.held[0] = rest.subarray(cut);
        else this.held.shift();
      }
      return false;
    }
    return true;
  }

  /**
   * Output the file could not take: held whole while there is room for it
   * (holdRefused) and nothing has been dropped since the failure (so what is
   * held is everything up to a gap the drop count tells of); else dropped and
   * counted.
   */
  private holdOrDrop(buf: Buffer): void {
    if (!buf.length) return;
    // all of it or none: one write is one record (a main-log entry may span lines: `'x' stdout output:` and the output)
    if (this.lost === 0 && buf.length <= this.holdRefused - this.heldBytes) {
      this.held.push(Buffer.from(buf));
      this.heldBytes += buf.length;
    } else this.lost += buf.length;
  }

  /** The bytes of buf written before the file refused the rest (the failure reported). */
  private writeSome(buf: Buffer): number {
    let off = 0;
    let spins = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        // a non-blocking pipe (e.g. /dev/stdout of a pipeline) may push back
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN' && spins++ < 10000) continue;
        this.fail('write', e);
        return off;
      }
    }
    return off;
  }

  /**
   * Output the file refused: the end of a line it holds the start of is
   * kept for when it takes writes again (up to OWED_MAX); the rest is held
   * or lost (holdOrDrop).
   */
  private refuse(rest: Buffer): void {
    // an empty owed: the file's end was looked at once this failure and ended a line
    let torn: boolean;
    if (this.owed) torn = this.owed.length > 0 && this.owed[this.owed.length - 1] !== NEWLINE;
    else {
      try {
        this.size = fstatSync(this.fd).size;
      } catch {
        this.size = 0;
      }
      torn = this.endsMidLine();
    }
    // the torn line's rest: up to OWED_MAX of it owed, the remainder lost
    let lineEnd = 0;
    if (torn) {
      const nl = rest.indexOf(NEWLINE);
      lineEnd = nl < 0 ? rest.length : nl + 1;
      const keep = Math.max(0, Math.min(lineEnd, OWED_MAX - (this.owed?.length ?? 0)));
      if (keep > 0) this.owed = Buffer.concat(this.owed ? [this.owed, rest.subarray(0, keep)] : [rest.subarray(0, keep)]);
      this.lost += lineEnd - keep;
    }
    this.owed ??= Buffer.alloc(0);
    this.holdOrDrop(rest.subarray(lineEnd));
  }

  /** a regular file (not /dev/stdout, a FIFO or a tty, which others may write to as well) */
  get regularFile(): boolean {
    return this.regular;
  }

  /** Whether spliceFrom can be tried: a regular file (not /dev/stdout, a pipe or a tty). */
  get spliceable(): boolean {
    return this.fd >= 0 && this.regular && this.spliceFd !== -2;
  }

  /**
   * Moves child output from pipeFd into the file inside the kernel, then
   * rotates as write() does: after a move that reaches maxbytes. Returns the
   * bytes moved, 0 at EOF, -EAGAIN
   * when the pipe is empty, or another -errno when splice cannot be used for
   * this file (spliceable is then false and the caller reads and writes instead).
   */
  spliceFrom(pipeFd: number, native: NativeAddon): number {
    if (!this.spliceable) return -EINVAL;
    this.rotateIfPeriodEnded();
    if (this.fd < 0) return -EINVAL; // rotated, and no new file could be opened: write() counts the loss
    if (this.spliceFd === -1) {
      try {
        const fd = openWriterOfSame(this.fd, this.path);
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
    if (end < this.size) {
      // Cut under us (logrotate's copytruncate): from now on O_APPEND writes,
      // which find the end under the file's lock. A splice finds it first, and
      // a cut in between leaves a hole at the start that tsv_native.c mends
      // (cut_before) only after a reader may have seen it.
      this.reservedTo = 0; // the blocks ahead went with the cut
      this.closeSpliceFd();
      this.spliceFd = -2;
      return -EINVAL;
    }
    this.size = end;
    // A move that empties the pipe ends where the program's writes end, as a
    // read of Supervisor's 64 KiB pipe does: the file is rotated after it.
    // One that does not (our pipe holds up to 1 MiB) may end inside a line:
    // the moves from there on are reads, so that write() can end the file at
    // a line end. Moves may go past maxbytes by half a piece, so that one
    // of Supervisor's reads' worth still fits under its bound (a piece).
    // (While rotating fails, the file takes output past maxbytes, in pieces,
    // as Supervisor's does.)
    let room = SPLICE_UNBOUNDED;
    if (this.maxbytes > 0) {
      if (this.rotateFailing) room = PIECE;
      else if (this.rotationOwed || this.size >= this.maxbytes) return SPLICE_READ_INSTEAD;
      else room = Math.min(SPLICE_UNBOUNDED, Math.max(this.maxbytes - this.size - 1, Math.min(PIECE, this.maxbytes + PIECE / 2 - this.size)));
    }
    const n = native.spliceToFile(pipeFd, this.spliceFd, room);
    this.spliceDrained = n < room;
    if (n > 0) {
      this.size += n;
      this.worked();
      if (n >= RESERVE_WHEN) this.reserveAhead(native);
      if (this.maxbytes > 0 && this.size >= this.maxbytes) {
        if (this.spliceDrained || this.rotateFailing) this.rollover();
        else this.rotationOwed = true;
      }
    } else if (n < 0 && n !== -EAGAIN) {
      // the file refused what the splice took from the pipe (EINVAL: nothing
      // was taken, splice is just not possible here); writes take over
      if (n !== -EINVAL) {
        this.fail('write', errnoError(n));
        this.refuse(native.takeSpare());
      }
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
    if (native.reserveSpace(this.spliceFd, from, end - from) === 0) this.reservedTo = end;
    else this.reserveRefused = true;
  }

  private closeSpliceFd(): void {
    if (this.spliceFd < 0) return;
    // give back what the stream did not fill (only what lies past the end)
    if (this.reservedTo > this.size) loadNative()?.trimSpace(this.spliceFd, this.size);
    this.reservedTo = 0;
    this.reserveRefused = false;
    closeSync(this.spliceFd);
    this.spliceFd = -1;
  }

  private rollover(): void {
    this.rotationOwed = false;
    let fresh = -1;
    // The next file gets this one's permission bits, as logrotate's `create`
    // gives them: an AUTO log stays 0600 (it may be in /tmp), a log chmodded
    // 0640 stays so. Supervisor makes it with the umask's (0644).
    const keepMode = this.fd >= 0 && this.regular ? fstatSync(this.fd).mode & 0o777 : null;
    if (this.backups > 0) {
      // with compression a backup is NAME.i (until gzipped) or NAME.i.gz
      const kinds = this.backupGzip ? ['', '.gz'] : [''];
      const first = `${this.path}.1`;
      fresh = this.openFresh();
      if (fresh >= 0 && keepMode !== null) fchmodSync(fresh, keepMode);
      try {
        for (let i = this.backups - 1; i > 0; i--) {
          const sfn = `${this.path}.${i}`;
          if (kinds.some((k) => existsSync(sfn + k))) removeAndRename(sfn, `${this.path}.${i + 1}`, kinds);
        }
        if (fresh < 0 || !linkAs(this.path, first, kinds)) removeAndRename(this.path, first, kinds, '');
        this.backupGzip?.shifted();
      } catch (e) {
        this.dropFresh(fresh);
        // the file stays and keeps taking output past maxbytes; the next write tries again
        if (!this.rotateFailing) this.report?.failed('rotate', e as NodeJS.ErrnoException);
        this.rotateFailing = true;
        return;
      }
      if (fresh >= 0) {
        try {
          renameSync(this.freshPath(), this.path);
        } catch {
          // the name is the backup's too (or gone): Supervisor's way from here
          this.dropFresh(fresh);
          fresh = -1;
          unlinkQuiet(this.path);
        }
      }
    }
    this.rotateFailing = false;
    const was = this.file;
    this.close();
    this.size = 0;
    if (fresh >= 0) this.adopt(fresh);
    else if (this.openAgain(true, this.backups > 0) && this.backups > 0 && keepMode !== null) fchmodSync(this.fd, keepMode);
    this.backupGzip?.next();
    if (this.fd < 0) return; // no new file (reported): the others keep the one they have
    // The others writing this file (stdout and stderr in one file, a pool
    // sharing one log) move to the new one too. Under Supervisor each goes on
    // writing the file now called NAME.1 and rotates that in turn, so NAME
    // holds one writer's output at a time (`tail` of stdout can show only
    // stderr) and each rotation pushes a backup out early.
    othersReopen(was);
  }

  private unregister(): void {
    const same = writers.get(this.file);
    if (same?.delete(this) && same.size === 0) writers.delete(this.file);
    this.file = '';
  }

  private freshPath(): string {
    return rotationPath(this.path);
  }

  /**
   * The next file, open for appending, under freshPath(); -1 if it cannot be
   * made. The name is known in advance and its directory may be the program
   * user's (or /tmp): whatever has it is removed, never opened through, and
   * the file made anew, so that a planted link cannot turn the daemon's
   * writes (as root) onto another file.
   */
  private openFresh(): number {
    const fresh = this.freshPath();
    unlinkQuiet(fresh);
    try {
      return openSync(fresh, APPEND | EXCLUSIVE, this.mode);
    } catch {
      return -1; // rotated as Supervisor does, which reports what fails
    }
  }

  private dropFresh(fd: number): void {
    if (fd < 0) return;
    closeSync(fd);
    unlinkQuiet(this.freshPath());
  }

  /**
   * SIGUSR2 / after logrotate: start writing to whatever file is at path now.
   * False if it cannot be opened (reported; each write tries again).
   */
  reopen(): boolean {
    this.close();
    this.spliceFd = -1; // a new file may take splice where the old one could not
    if (!this.openAgain(false)) return false;
    // after remove(): every other channel writing the removed file opens the
    // new one too. Supervisor leaves them writing the removed file (a pool
    // sharing one log, stdout when its stderr shares the file and is cleared
    // after it, a program logging to the main log), and their output is lost.
    this.othersFollow();
    return true;
  }

  /**
   * clearLog, clearProcessLogs: remove the file (not its backups); reopen()
   * starts a new one. The name goes first: when it cannot (EACCES, EROFS),
   * the file stays open and keeps taking output, and the caller answers
   * FAILED, as Supervisor's clearLog does.
   */
  remove(): void {
    const named = fileKeyAt(this.path);
    removeLogName(this.path);
    const was = this.file;
    this.close();
    this.removed = [...new Set([was, named])].filter(Boolean);
  }

  /** After a remove(): the other writers of the removed files open the name too, so that all write one file again. */
  private othersFollow(): void {
    const removed = this.removed;
    this.removed = [];
    for (const key of removed) othersReopen(key);
  }

  /** clearProcessLogs: remove the file and start a new one; false if it cannot be opened. */
  clear(): boolean {
    this.remove();
    return this.reopen();
  }

  close(): void {
    this.unregister();
    this.lostFile = false;
    if (this.spliceFd >= 0) this.closeSpliceFd();
    if (this.fd >= 0) {
      // never close the daemon's own stdio
      if (this.fd > 2) closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/** An error like fs's for a native call's -errno result. */
function errnoError(negErrno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(negErrno);
  return Object.assign(new Error(code), { code, errno: negErrno });
}

/** Where a rotation makes the log's next file before it takes the name: hidden, so globs like NAME* never see it. */
export function rotationPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.rotating`);
}

/**
 * Removes the log file at `path` (clearLog, clearProcessLogs) if the name is
 * a regular file's. Supervisor removes whatever has the name: with
 * `stdout_logfile=/dev/stdout`, as in most containers, it deletes the
 * /dev/stdout link, and as root then creates a plain file there that fills
 * /dev's memory and takes every later write meant for the container's
 * output. A link, device or pipe is left as it is, and reopened.
 */
function removeLogName(path: string): void {
  try {
    if (lstatSync(path).isFile()) unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** The writers' key of the file at `path` now ('' if none). */
function fileKeyAt(path: string): string {
  try {
    return fileKey(statSync(path));
  } catch {
    return '';
  }
}

/** Every LogFile still writing the file `was` opens its name again: a rotation or a clear has put a new file there. */
function othersReopen(was: string): void {
  for (const other of [...(writers.get(was) ?? [])]) other.reopen();
}

/** Whether a channel of this daemon writes its output to the log file `path` now. */
export function logWritten(path: string): boolean {
  try {
    return writers.has(fileKey(statSync(path)));
  } catch {
    return false;
  }
}

/**
 * clearProcessLogs for a log no process writes now (the program is not
 * running): the file is emptied as a running program's is, by removing it
 * and making a new one with its mode. False if there is no file to clear.
 */
export function clearClosedLog(path: string): boolean {
  let mode: number;
  try {
    const st = lstatSync(path);
    if (!st.isFile()) return false; // see removeLogName
    mode = st.mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  unlinkSync(path);
  const fd = openSync(path, APPEND | constants.O_EXCL, mode);
  try {
    fchmodSync(fd, mode); // past the umask
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * open(2) of /dev/stdout, /dev/fd/N or /proc/self/fd/N fails with ENXIO when
 * that descriptor is a socket (Linux opens again what the link names, and a
 * socket cannot be opened): systemd's journal stream, a service's default
 * stdout and stderr, and Node's `stdio: 'pipe'`. supervisord fails there (a
 * program with stdout_logfile=/dev/stdout never starts under a systemd unit);
 * such a name means this process's own descriptor, as a shell's `>&1` does,
 * so a copy of it is written instead.
 */
function openLog(path: string, flags: number, mode: number): number {
  try {
    if (isFifoLog(path)) return openFifo(path, flags);
    return openSync(path, flags, mode);
  } catch (e) {
    const own = ownDescriptorNamed(path);
    const copy = (e as NodeJS.ErrnoException).code === 'ENXIO' && own !== null ? (loadNative()?.dupCloexec(own) ?? -1) : -1;
    if (copy < 0) throw e;
    return copy;
  }
}

/**
 * A FIFO at a log's path: with no reader, open(2) would hold the whole daemon
 * until one comes (as it holds supervisord): ENXIO at once instead. With one,
 * written as Supervisor writes it, waiting when the reader is slow (a
 * descriptor opened again through /proc, without O_NONBLOCK), so that no
 * output is lost to a reader that falls behind for a moment.
 */
function openFifo(path: string, flags: number): number {
  const fd = openSync(path, flags | constants.O_NONBLOCK);
  try {
    const waiting = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_APPEND);
    closeSync(fd);
    return waiting;
  } catch {
    return fd; // no /proc: non-blocking, as a pipeline's stdout may be
  }
}

/** A FIFO at a log's path (not the daemon's own stdout or stderr, which stay as they are). */
function isFifoLog(path: string): boolean {
  if (ownDescriptorNamed(path) !== null) return false;
  try {
    return statSync(path).isFIFO();
  } catch {
    return false;
  }
}

/**
 * The main log at start, when it is a FIFO: a writer of it, opened once it
 * has a reader (open(2) waits for one, as supervisord's open does: a log
 * reader started after the daemon); -1 if it is no FIFO or cannot be opened
 * (the log's own open then says why). Held open while the log's own,
 * non-waiting open is made.
 */
export function waitForFifoReader(path: string): number {
  if (!isFifoLog(path)) return -1;
  try {
    return openSync(path, constants.O_WRONLY);
  } catch {
    return -1;
  }
}

/** The descriptor of this process a path names: /dev/stdout (1), /dev/stderr (2), /dev/fd/N, /proc/self/fd/N; else null. */
export function ownDescriptorNamed(path: string): number | null {
  const m = /^\/(?:dev\/std(out|err)|dev\/fd\/(0|[1-9]\d*)|proc\/self\/fd\/(0|[1-9]\d*))$/.exec(path);
  if (!m) return null;
  return m[1] === 'out' ? 1 : m[1] === 'err' ? 2 : Number(m[2] ?? m[3]);
}

/**
 * A second descriptor for the file `fd` has open, without O_APPEND (splice
 * refuses an O_APPEND file): through /proc, the very file, whatever its name
 * has become; without /proc by name, never waiting (a FIFO put at the name
 * with no reader would block the daemon in open()).
 */
function openWriterOfSame(fd: number, path: string): number {
  // read and write where we may: a truncation under a splice is mended by reading back what it wrote (tsv_native.c, cut_before)
  for (const mode of [constants.O_RDWR, constants.O_WRONLY]) {
    try {
      return openSync(`/proc/self/fd/${fd}`, mode);
    } catch {
      // no /proc, or not readable: the next way
    }
  }
  return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never made
  }
}

/**
 * dfn + each of `kinds` removed, then `dfn` made a second name of `sfn`.
 * False, with nothing changed but the removals, where the file system has no
 * hard links for it (or refuses one: protected_hardlinks, EMLINK).
 */
function linkAs(sfn: string, dfn: string, kinds: readonly string[]): boolean {
  removeAll(dfn, kinds);
  try {
    linkSync(sfn, dfn);
    return true;
  } catch {
    return false; // the rename that follows reports what is wrong, if anything is
  }
}

function removeAll(dfn: string, kinds: readonly string[]): void {
  for (const k of kinds) {
    try {
      unlinkSync(dfn + k);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/** dfn + each of `kinds` removed, then sfn + each of `moved` renamed to dfn + the same (what is missing is skipped). */
function removeAndRename(sfn: string, dfn: string, kinds: readonly string[] = [''], ...moved: string[]): void {
  removeAll(dfn, kinds);
  for (const k of moved.length ? moved : kinds) {
    try {
      renameSync(sfn + k, dfn + k);
    } catch (e) {
      // a cleanup script removed the active log: nothing to keep
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
