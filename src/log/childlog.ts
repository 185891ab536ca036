// One output channel (stdout or stderr) of one process, as Supervisor's
// POutputDispatcher handles it: capture-mode token scanning, strip_ansi, the
// child log file (rotating) and/or syslog, the DEBG copy in the main log, and
// the output events.
import { LogFile, failureWords, type LogFileFailure, type LogPosition } from './logfile';
import { LineStamps } from './line-stamps';
import type { GzipRunner } from './backup-gzip';
import type { RotatePeriod } from './rotate-period';
import { Level } from './levels';
import { loadNative, type NativeAddon } from '../daemon/native';
import type { MainLogger } from './mainlog';
import { outputText } from './output-text';
import { pyRepr } from '../config/pyformat';
import { constants as osConstants } from 'node:os';

export const BEGIN_TOKEN = Buffer.from('<!--XSUPERVISOR:BEGIN-->');
export const END_TOKEN = Buffer.from('<!--XSUPERVISOR:END-->');

export interface ChannelSettings {
  processName: string;
  channel: 'stdout' | 'stderr';
  /** resolved path (AUTO already replaced), 'syslog', or null */
  logfile: string | null;
  maxbytes: number;
  backups: number;
  syslog: boolean;
  /** tsv only: each line in the log file begins with the time it was read (*_logfile_timestamps) */
  timestamps: boolean;
  /** tsv only: each line in the log file begins with this text and a space (*_logfile_prefix); null: none */
  prefix: string | null;
  /** tsv only: what gzips rotated backups (*_logfile_compress); null: they stay plain */
  gzip: GzipRunner | null;
  /** tsv only: the file is also rotated when this period begins (*_logfile_rotate) */
  rotate: RotatePeriod | null;
  captureMaxbytes: number;
  /** asked at every write, as Supervisor reads options.strip_ansi */
  stripAnsi(): boolean;
  ident: string;
}

export interface ChannelHooks {
  /** every chunk as logged (after strip_ansi); a view valid only during the call */
  output(data: Buffer): void;
  /** a complete capture-mode payload */
  communication(data: Buffer): void;
}

const ESC_BEGIN = Buffer.from('\x1b[');
// one empty buffer for every channel rather than one each
const NOTHING = Buffer.alloc(0);
const NEWLINE = 0x0a;
/**
 * The longest line kept back whole from a shared log (see ChannelLog.held):
 * journald's LineMax is 48K, Docker's 16K. A longer one goes out in pieces
 * of this size, its head on the first.
 */
export const HELD_LINE_MAX = 64 * 1024;
const TERMINATORS = new Set(Array.from('HfABCDRsuJKhlpm', (c) => c.charCodeAt(0)));

/** dispatchers.stripEscapes: drop `ESC[` up to and including one of HfABCDRsuJKhlpm. */
export function stripEscapes(s: Buffer): Buffer {
  let i = s.indexOf(ESC_BEGIN);
  if (i < 0) return s;
  const parts: Buffer[] = [];
  let start = 0;
  while (i >= 0) {
    parts.push(s.subarray(start, i));
    let j = i + 1; // Supervisor starts scanning at '[' (never a terminator)
    while (j < s.length && !TERMINATORS.has(s[j])) j++;
    if (j >= s.length) return Buffer.concat(parts);
    start = j + 1;
    i = s.indexOf(ESC_BEGIN, start);
  }
  parts.push(s.subarray(start));
  return Buffer.concat(parts);
}

/** asynchat.find_prefix_at_end: length of the longest suffix of data that is a prefix of token. */
function findPrefixAtEnd(data: Buffer, token: Buffer): number {
  let l = token.length - 1;
  while (l > 0 && !data.subarray(data.length - l).equals(token.subarray(0, l))) l--;
  return l;
}

export class ChannelLog {
  private file: LogFile | null = null;
  private readonly stamps: LineStamps | null;
  private syslogOn: boolean;
  private capturemode = false;
  private capture: Buffer[] | null;
  private captureLen = 0;
  private pending: Buffer = NOTHING;
  /**
   * A line begun and not yet ended, kept back while the lines have heads and
   * the log is not a regular file (/dev/stdout, a FIFO: in a container every
   * program's log and the daemon's own may be the same stream). Written out
   * with the rest of its line, so another program's line never lands in the
   * middle of it and every head begins a line, as journald and Docker keep
   * lines whole; or at HELD_LINE_MAX, or when the channel closes. No timer:
   * output that never ends its line waits for the next line or the exit.
   */
  private held: Buffer = NOTHING;

  constructor(
    private readonly s: ChannelSettings,
    private readonly main: MainLogger,
    private readonly hooks: ChannelHooks,
  ) {
    this.syslogOn = s.syslog || s.logfile === 'syslog';
    if (s.logfile && s.logfile !== 'syslog') {
      // may throw (EACCES, ENOENT): the caller reports it as a spawn error
      this.file = new LogFile(s.logfile, s.maxbytes, s.backups, undefined, s.gzip, s.rotate);
      const logPath = s.logfile;
      const file = `log file ${logPath} for program '${s.processName}'`;
      const then: Record<LogFileFailure, string> = {
        write: `its ${s.channel} output is dropped until a write works again`,
        reopen: `its ${s.channel} output is dropped until the file can be opened again`,
        rotate: `it grows past ${s.channel}_logfile_maxbytes until a rotation works`,
      };
      this.file.report = {
        failed: (what, err) => {
          const { verb, reason } = failureWords(what, err, logPath);
          main.error(`could not ${verb} ${file}: ${reason}; ${then[what]}`);
        },
        recovered: (lost) => main.warn(`${file} takes output again; ${lost} bytes of ${s.channel} output were dropped`),
      };
      if (this.file.backupGzip) {
        this.file.backupGzip.report = {
          failed: (why) => main.error(`could not gzip a backup of ${file}: ${why}; backups stay uncompressed until a later rotation gzips them (${s.channel}_logfile_compress)`),
          recovered: () => main.info(`backups of ${file} are gzipped again (${s.channel}_logfile_compress)`),
        };
      }
    }
    this.capture = s.captureMaxbytes > 0 ? [] : null;
    this.stamps =
      (s.timestamps || s.prefix !== null) && this.file
        ? new LineStamps(Date.now, this.file.endsMidLine(), { time: s.timestamps, prefix: s.prefix })
        : null;
    if (this.stamps && this.file) this.file.continuationStamp = this.stamps.stamp.bind(this.stamps);
  }

  /**
   * Data read from the pipe. `data` may be a view of a buffer that is reused
   * for the next read: anything kept beyond this call is copied. `filled`:
   * the read filled its buffer, so its end need not be where a write of the
   * program's ended (LogFile.write; capture mode's pieces end at its tokens).
   */
  feed(data: Buffer, filled = false): void {
    if (this.capture === null) {
      this.log(data, filled);
      return;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : Buffer.from(data);
    this.recordOutput();
  }

  private recordOutput(): void {
    for (;;) {
      const token = this.capturemode ? END_TOKEN : BEGIN_TOKEN;
      if (this.pending.length <= token.length) return; // Supervisor holds short tails
      const data = this.pending;
      this.pending = NOTHING;
      const at = data.indexOf(token);
      if (at < 0) {
        const keep = findPrefixAtEnd(data, token);
        if (keep) {
          this.pending = data.subarray(data.length - keep);
          this.log(data.subarray(0, data.length - keep));
        } else {
          this.log(data);
        }
        return;
      }
      this.log(data.subarray(0, at));
      this.toggleCapturemode();
      this.pending = data.subarray(at + token.length);
      if (!this.pending.length) return;
    }
  }

  private toggleCapturemode(): void {
    this.capturemode = !this.capturemode;
    if (!this.capturemode && this.capture) {
      const data = Buffer.concat(this.capture);
      this.capture = [];
      this.captureLen = 0;
      this.hooks.communication(data);
      this.main.debug(`${pyRepr(this.s.processName)} ${this.s.channel} emitted a comm event`);
    }
  }

  private log(raw: Buffer, filled = false): void {
    if (!raw.length) return;
    // what strip_ansi leaves may be nothing: Supervisor still logs the (empty) entry and sends the event
    const data = this.s.stripAnsi() ? stripEscapes(raw) : raw;
    if (this.capturemode && this.capture) {
      // BoundIO.write: a write that overflows drops as many of the oldest bytes
      // as it has, then is kept whole (even past capture_maxbytes)
      if (this.captureLen + data.length > this.s.captureMaxbytes) {
        const kept = Buffer.concat(this.capture).subarray(data.length);
        this.capture = [kept];
        this.captureLen = kept.length;
      }
      this.capture.push(Buffer.from(data));
      this.captureLen += data.length;
    } else if (data.length) {
      // only the file's copy: events, syslog and the main log's echo get the output as written
      if (this.file) this.toFile(this.file, data, filled);
      if (this.syslogOn) this.toSyslog(data);
    }
    if (this.main.level <= Level.DEBG) {
      this.main.debug(`${pyRepr(this.s.processName)} ${this.s.channel} output:\n${outputText(data)}`);
    }
    this.hooks.output(data);
  }

  private toFile(file: LogFile, data: Buffer, filled: boolean): void {
    if (!this.stamps) return file.write(data, filled);
    const out = this.stamps.apply(data);
    if (file.regularFile) return file.write(out);
    const end = out.lastIndexOf(NEWLINE) + 1;
    if (end === 0) {
      this.held = this.held.length ? Buffer.concat([this.held, out]) : Buffer.from(out);
      if (this.held.length >= HELD_LINE_MAX) this.writeHeld(file);
      return;
    }
    file.write(this.held.length ? Buffer.concat([this.held, out.subarray(0, end)]) : out.subarray(0, end));
    // `out` may be the caller's view of the shared read buffer: keep a copy
    this.held = end < out.length ? Buffer.from(out.subarray(end)) : NOTHING;
  }

  private writeHeld(file: LogFile): void {
    if (!this.held.length) return;
    const held = this.held;
    this.held = NOTHING;
    file.write(held);
  }

  private toSyslog(data: Buffer): void {
    const native = loadNative();
    if (!native) return;
    const text = data.toString('utf8').replace(/\n+$/, '');
    for (const line of text.split('\n')) native.syslog(this.s.ident, `${this.s.processName} ${line}`);
  }

  /**
   * Whether this channel itself needs nothing but its file to see the bytes
   * (no capture mode, strip_ansi, line heads, syslog or DEBG echo in the main
   * log, and a regular file that takes splice). Output subscribers are the
   * caller's part of the decision (ProcessOutput.zeroCopy, src/daemon/process-output.ts).
   */
  get fileOnly(): boolean {
    return this.capture === null && !this.stamps && !this.s.stripAnsi() && !this.syslogOn && this.main.level > Level.DEBG && !!this.file && this.file.spliceable;
  }

  /** The pipe is empty: what was fed last ended where a write of the program's did (LogFile.drained). */
  drained(): void {
    this.file?.drained();
  }

  /** Where the file's end is now (LogFile.position). */
  position(): LogPosition | null {
    return this.file?.position() ?? null;
  }

  /** LogFile.spliceFrom: the bytes go from the pipe to the file without passing through here. */
  spliceFrom(pipeFd: number, native: NativeAddon): number {
    return this.file ? this.file.spliceFrom(pipeFd, native) : -osConstants.errno.EINVAL;
  }

  /** Another channel writes this one's file too: its output must not land inside one of this channel's lines. */
  get sharesFile(): boolean {
    return this.file?.shared ?? false;
  }

  /** The last spliceFrom emptied the pipe (it moved less than it could have). */
  get spliceDrained(): boolean {
    return this.file?.spliceDrained ?? true;
  }

  /** the file's current path (for tail/read), or null */
  get path(): string | null {
    return this.file ? this.file.path : null;
  }

  reopen(): void {
    this.file?.reopen();
  }

  /** clearProcessLogs: remove and reopen */
  removeAndReopen(): void {
    // Supervisor's reopen raises here, and clearProcessLogs answers FAILED
    if (this.file && !this.file.clear()) throw new Error(`cannot reopen ${this.file.path}`);
    if (this.capture) {
      this.capture = [];
      this.captureLen = 0;
    }
  }

  close(): void {
    if (this.file) this.writeHeld(this.file);
    this.file?.close();
    this.file = null;
  }
}

