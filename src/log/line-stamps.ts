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

  constructor(private readonly now: () => number = Date.now) {}

  /** `data` with `YYYY-MM-DD HH:MM:SS,mmm ` before each line that begins in it; a line keeps the time of its first byte. */
  apply(data: Buffer): Buffer {
    if (!data.length) return data;
    // one time for the chunk: its lines were read at once
    const stamp = Buffer.from(`${asctime(this.now())} `, 'latin1');
    const parts: Buffer[] = [];
    let start = 0;
    if (this.atLineStart) parts.push(stamp);
    for (let nl = data.indexOf(NEWLINE); nl >= 0 && nl + 1 < data.length; nl = data.indexOf(NEWLINE, start)) {
      parts.push(data.subarray(start, nl + 1), stamp);
      start = nl + 1;
    }
    parts.push(data.subarray(start));
    this.atLineStart = data[data.length - 1] === NEWLINE;
    return Buffer.concat(parts);
  }
}
