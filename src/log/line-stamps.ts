// What begins each line of a child log file (tsv only):
// - *_logfile_timestamps: the time the daemon read the line, in the main log's
//   format, so the two read side by side (Supervisor issue #553, open since
//   2014 with PRs #332, #333, #469 and #1349; PM2's `time`, journald's lines);
// - *_logfile_prefix: a fixed text such as the process's name, so that
//   programs sharing the daemon's stdout in a container can be told apart
//   (Supervisor issues #1201 and #1326; docker compose's `name |`).
import { asctime } from './asctime';

const NEWLINE = 0x0a;

export interface LineHead {
  /** the time the line began to be read */
  time: boolean;
  /** the text after the time, with one space after it (null: none) */
  prefix: string | null;
}

/** Puts the head before each line of one channel's output, across the chunks it arrives in. */
export class LineStamps {
  /** the last chunk ended a line (or none came yet): the next byte begins one */
  private atLineStart = true;
  /** the whole head when it holds no time (it never changes then) */
  private readonly fixed: Buffer | null;
  private readonly prefix: string;

  /**
   * `fileEndsMidLine`: the file ends in a line an earlier run (or daemon) left
   * unfinished. This run's first line then begins on a line of its own, so it
   * has its head at the start of a line instead of glued to that tail.
   */
  constructor(
    private readonly now: () => number = Date.now,
    private fileEndsMidLine = false,
    head: LineHead = { time: true, prefix: null },
  ) {
    this.prefix = head.prefix === null ? '' : `${head.prefix} `;
    this.fixed = head.time ? null : Buffer.from(this.prefix, 'utf8');
  }

  /** `data` with the head before each line that begins in it; a line keeps the time of its first byte. */
  apply(data: Buffer): Buffer {
    if (!data.length) return data;
    const lineBreak = this.fileEndsMidLine ? 1 : 0;
    this.fileEndsMidLine = false;
    // where lines begin, then one copy into a buffer of the final size (100-byte lines come by the thousand per read)
    const starts: number[] = this.atLineStart ? [0] : [];
    for (let nl = data.indexOf(NEWLINE); nl >= 0 && nl + 1 < data.length; nl = data.indexOf(NEWLINE, nl + 1)) starts.push(nl + 1);
    this.atLineStart = data[data.length - 1] === NEWLINE;
    if (!starts.length) return data;
    // one time for the chunk: its lines were read at once
    const stamp = this.stamp();
    const out = Buffer.allocUnsafe(lineBreak + data.length + starts.length * stamp.length);
    if (lineBreak) out[0] = NEWLINE;
    let o = lineBreak;
    let from = 0;
    for (const at of starts) {
      o += data.copy(out, o, from, at);
      o += stamp.copy(out, o);
      from = at;
    }
    data.copy(out, o, from);
    return out;
  }

  /** The head for now: also what begins the rest of a line that a new file continues (LogFile.continuationStamp). */
  stamp(): Buffer {
    return this.fixed ?? Buffer.from(`${asctime(this.now())} ${this.prefix}`, 'utf8');
  }
}
