// stdout_logfile_timestamps / stderr_logfile_timestamps (tsv only): each line
// of a child log begins with the time the daemon read it, in the main log's
// format, so the two read side by side (Supervisor issue #553, open since
// 2014 with PRs #332, #333, #469 and #1349; PM2's `time`, journald's lines).
import { asctime } from './asctime';

const NEWLINE = 0x0a;

/** Stamps the beginning of each line of one channel's output, across the chunks it arrives in. */
export class LineStamps {
  /** the last chunk ended a line (or none came yet): the next byte begins one */
  private atLineStart = true;

  /**
   * `fileEndsMidLine`: the file ends in a line an earlier run (or daemon) left
   * unfinished. This run's first line then begins on a line of its own, so it
   * has its stamp at the start of a line instead of glued to that tail.
   */
  constructor(
    private readonly now: () => number = Date.now,
    private fileEndsMidLine = false,
  ) {}

  /** `data` with `YYYY-MM-DD HH:MM:SS,mmm ` before each line that begins in it; a line keeps the time of its first byte. */
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

  /** The stamp for now: also what begins the rest of a line that a new file continues (LogFile.continuationStamp). */
  stamp(): Buffer {
    return Buffer.from(`${asctime(this.now())} `, 'latin1');
  }
}
