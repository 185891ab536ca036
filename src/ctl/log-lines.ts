// The pieces of `tsv logs` that do not talk to a daemon: cutting a log's
// history to its last lines, finding where a supervisord log stream repeats
// that history, and writing the lines of many logs interleaved, each line
// whole and labelled with the process and channel it came from.
import { StringDecoder } from 'node:string_decoder';
import { TRUNCATED } from '../rpc/logtail';

/**
 * The last `n` lines of `text`, as `tail -n` counts them: an unfinished last
 * line (a prompt, a progress bar) is one of them, and what the stream sends
 * next completes it. `fromStart` says whether the text begins at the start
 * of the file; if not, its first line is a piece of one and is dropped.
 */
export function lastLines(text: string, n: number, fromStart: boolean): string {
  let body = text;
  if (!fromStart) {
    const nl = body.indexOf('\n');
    body = nl < 0 ? '' : body.slice(nl + 1);
  }
  if (n <= 0) return '';
  const end = body.lastIndexOf('\n') + 1;
  let cut = end;
  for (let i = end < body.length ? 1 : 0; i < n && cut > 0; i++) {
    cut = cut >= 2 ? body.lastIndexOf('\n', cut - 2) + 1 : 0;
  }
  return body.slice(cut);
}

/**
 * How many bytes at the start of `head` repeat the end of `history`, at most
 * `max`: supervisord's log stream begins with the last 1,024 bytes of the file
 * as it is when the stream opens, which overlap the history read just before.
 * The largest match is taken; a log that repeats itself exactly at that
 * boundary may lose the repeated bytes of the moment between the two reads.
 */
export function overlap(history: Buffer, head: Buffer, max: number): number {
  for (let k = Math.min(max, history.length, head.length); k > 0; k--) {
    if (head.subarray(0, k).equals(history.subarray(history.length - k))) return k;
  }
  return 0;
}

/**
 * What of a log's history (as XML-RPC carries it: CR read as LF) follows the
 * last bytes already shown; all of it if they are not in it. Only the last
 * 256 bytes shown are looked for, from a line start where there is one.
 */
export function textAfter(history: string, shown: Buffer): string {
  const norm = (t: string): string => t.replace(/\r\n?/g, '\n');
  let tail = norm(shown.subarray(Math.max(0, shown.length - 256)).toString('utf8'));
  const nl = tail.indexOf('\n');
  if (nl >= 0 && nl < tail.length - 1) tail = tail.slice(nl + 1);
  const text = norm(history);
  const at = tail === '' ? -1 : text.lastIndexOf(tail);
  return at < 0 ? text : text.slice(at + tail.length);
}

const TRUNCATED_MARK = Buffer.from(TRUNCATED);

/**
 * Where a stream's bytes are in the file again after a truncation mark (both
 * daemons send Supervisor's mark, then the file from its start): the number
 * of bytes of `chunk` after the last mark in it, or -1 if it holds none. The
 * mark may begin in `before`, the bytes shown just before the chunk.
 */
export function bytesAfterTruncation(before: Buffer, chunk: Buffer): number {
  const carried = Math.min(TRUNCATED_MARK.length - 1, before.length);
  const joined = carried > 0 ? Buffer.concat([before.subarray(before.length - carried), chunk]) : chunk;
  const at = joined.lastIndexOf(TRUNCATED_MARK);
  return at < 0 ? -1 : joined.length - at - TRUNCATED_MARK.length;
}

/** An unfinished line is shown on its own after this long without more output (a prompt, a progress bar). */
export const PARTIAL_LINE_MS = 200;

type Style = readonly [open: string, close: string];
const PALETTE: readonly Style[] = [
  ['\x1b[36m', '\x1b[39m'],
  ['\x1b[35m', '\x1b[39m'],
  ['\x1b[34m', '\x1b[39m'],
  ['\x1b[33m', '\x1b[39m'],
  ['\x1b[32m', '\x1b[39m'],
];
const STDERR_STYLE: Style = ['\x1b[31m', '\x1b[39m'];

function labelOf(namespec: string, stderr: boolean): string {
  return stderr ? `${namespec} (stderr)` : namespec;
}

/** Where the labelled lines go, and how wide the label column is (it grows to the widest label). */
export class LogOutput {
  private width = 0;
  private readonly colours = new Map<string, Style>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly colour: boolean,
  ) {}

  /** Makes the label column wide enough for this channel's label before it writes (so the first lines line up too). */
  reserve(namespec: string, stderr: boolean): void {
    this.width = Math.max(this.width, labelOf(namespec, stderr).length);
  }

  /** A channel's writer; its label is `namespec` or `namespec (stderr)`. */
  channel(namespec: string, stderr: boolean): LineWriter {
    const label = labelOf(namespec, stderr);
    this.width = Math.max(this.width, label.length);
    let style = this.colours.get(namespec);
    if (!style) {
      style = PALETTE[this.colours.size % PALETTE.length] as Style;
      this.colours.set(namespec, style);
    }
    const shown = stderr ? STDERR_STYLE : style;
    return new LineWriter((line) => {
      const pad = ' '.repeat(Math.max(0, this.width - label.length));
      const head = this.colour ? shown[0] + label + shown[1] : label;
      this.write(`${head}${pad} | ${line}\n`);
    });
  }
}

/** One channel's bytes cut into whole lines, each written with its label. */
export class LineWriter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.pending = lines.pop() as string;
    for (const line of lines) this.emit(line);
    this.armTimer();
  }

  /** Writes the unfinished line, if any: the stream ended (`last`), or no more came for a while. */
  flush(last = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // a character cut in two by the chunks stays in the decoder until the stream ends
    const rest = this.pending + (last ? this.decoder.end() : '');
    this.pending = '';
    if (rest) this.emit(rest);
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.pending ? setTimeout(() => this.flush(), PARTIAL_LINE_MS) : null;
  }
}
