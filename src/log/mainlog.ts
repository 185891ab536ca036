// The daemon's main log: `YYYY-MM-DD HH:MM:SS,mmm LEVL message\n` in local
// time (options.make_logger), to a rotating file or syslog, and copied to
// stdout with -n unless silent.
import { LogFile, failureWords } from './logfile';
import { Level, levelTag, type LevelNumber } from './levels';
import { loadNative } from '../daemon/native';
import { asctime } from './asctime';
import { writeStdio } from './stdio';
import type { RotatePeriod } from './rotate-period';

export interface LogSink {
  emit(line: string, level: LevelNumber, message: string): void;
  reopen(): void;
  remove(): void;
  close(): void;
}

/** What the main log holds of the lines its file refused (a full disk), for when it takes them again. */
const MAIN_LOG_HOLD = 64 * 1024;

export class FileSink implements LogSink {
  readonly file: LogFile;
  /** `tell`: logs a line (through every sink), once the file takes lines again */
  constructor(path: string, maxbytes: number, backups: number, rotate: RotatePeriod | null = null, tell: ((message: string) => void) | null = null) {
    this.file = new LogFile(path, maxbytes, backups, undefined, null, rotate);
    this.file.holdRefused = MAIN_LOG_HOLD;
    // the main log cannot tell of its own trouble: stderr can (with -n, the terminal or the journal)
    const say = (line: string): void => writeStdio(2, `${line}\n`);
    this.file.report = {
      failed: (what, err) => {
        const { verb, reason } = failureWords(what, err, path);
        say(`could not ${verb} the main log file ${path}: ${reason}`);
      },
      recovered: (lost) => {
        // the lines it held are in the file now; the log itself says whether any were dropped
        // (told after the write in progress, which is inside this file's write)
        const line = `the main log file ${path} takes lines again; ${lost ? `${lost} bytes of lines were dropped` : 'no line was lost'}`;
        if (tell) queueMicrotask(() => tell(line));
        else say(line);
      },
    };
  }
  emit(line: string): void {
    this.file.write(line);
  }
  reopen(): void {
    this.file.reopen();
  }
  remove(): void {
    this.file.remove();
  }
  close(): void {
    this.file.close();
  }
}

export class StdoutSink implements LogSink {
  emit(line: string): void {
    writeStdio(1, line);
  }
  reopen(): void {}
  remove(): void {}
  close(): void {}
}

/** Python's syslog.syslog per line, LOG_USER|LOG_INFO, ident = program name. */
export class SyslogSink implements LogSink {
  constructor(
    private readonly ident: string,
    private readonly format: (message: string, level: LevelNumber) => string,
  ) {}
  emit(_line: string, level: LevelNumber, message: string): void {
    const native = loadNative();
    if (!native) return;
    // Supervisor formats each line with its file format, trailing newline included.
    for (const l of message.replace(/\n+$/, '').split('\n')) native.syslog(this.ident, this.format(l, level));
  }
  reopen(): void {}
  remove(): void {}
  close(): void {}
}

export class MainLogger {
  level: LevelNumber;
  private sinks: LogSink[] = [];
  /** what was logged before the sinks existed (parse messages, early errors) */
  private pending: [LevelNumber, string][] | null = [];

  constructor(level: LevelNumber = Level.INFO) {
    this.level = level;
  }

  setSinks(sinks: LogSink[]): void {
    this.sinks = sinks;
    const pending = this.pending ?? [];
    this.pending = null;
    for (const [lvl, msg] of pending) this.log(lvl, msg);
  }

  get sinkList(): readonly LogSink[] {
    return this.sinks;
  }

  log(level: LevelNumber, message: string): void {
    if (level < this.level) return;
    if (this.pending) {
      this.pending.push([level, message]);
      return;
    }
    const line = `${asctime()} ${levelTag(level)} ${message}\n`;
    for (const s of this.sinks) {
      try {
        s.emit(line, level, message);
      } catch {
        // like Supervisor's handleError: a failing sink never stops the daemon
      }
    }
  }

  critical(m: string): void {
    this.log(Level.CRIT, m);
  }
  error(m: string): void {
    this.log(Level.ERRO, m);
  }
  warn(m: string): void {
    this.log(Level.WARN, m);
  }
  info(m: string): void {
    this.log(Level.INFO, m);
  }
  debug(m: string): void {
    this.log(Level.DEBG, m);
  }
  trace(m: string): void {
    this.log(Level.TRAC, m);
  }
  blather(m: string): void {
    this.log(Level.BLAT, m);
  }

  reopen(): void {
    for (const s of this.sinks) s.reopen();
  }

  close(): void {
    for (const s of this.sinks) s.close();
    this.sinks = [];
  }
}
