// Output of a one-shot command (`tsv status`) with write(2) on fds 1 and 2.
// process.stdout on a pipe or a terminal is a net.Socket: loading node:net
// and streams costs a fresh process more than the command's own work. The
// interactive shell keeps process.stdout, which readline writes to as well.
import { fstatSync, writeSync } from 'node:fs';
import { outputFailed } from '../cli/output-errors';

/** Writes to `fd` in full; on a non-blocking fd that is full it goes on through Node's stream. */
export class FdOutput {
  private stream: NodeJS.WriteStream | null = null;

  constructor(
    private readonly fd: 1 | 2,
    private readonly fallback: () => NodeJS.WriteStream,
  ) {}

  write(text: string | Uint8Array): void {
    if (this.stream) {
      this.stream.write(text);
      return;
    }
    const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A closed pipe (`tsv status | head -1`) ends output quietly; `> /dev/full` says so (src/cli/output-errors.ts).
      if (code !== 'EAGAIN') outputFailed(e, this.fd);
      // The fd is non-blocking (a parent set O_NONBLOCK): the stream waits for room instead.
      this.stream = this.fallback();
      this.stream.write(buf.subarray(off));
    }
  }
}

/** Linux's major number of the memory devices: /dev/null, /dev/zero, /dev/full, /dev/random. */
const LINUX_MEM_MAJOR = 1;

/**
 * isatty(fd), loading node:tty (and with it node:net) only for a character
 * device that may be a terminal: not for `> /dev/null`, common in scripts.
 */
export function isTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    if (process.platform === 'linux' && Math.floor(st.rdev / 256) % 4096 === LINUX_MEM_MAJOR) return false;
  } catch {
    return false;
  }
  return (require('node:tty') as typeof import('node:tty')).isatty(fd);
}

const streams: NodeJS.WriteStream[] = [];

/** No output waits in a Node stream (what FdOutput writes is out when write returns). */
export function outputFlushed(): boolean {
  return streams.every((s) => s.writableLength === 0);
}

/** A stream the ctl writes to, ending as FdOutput's writes do when its output fails. */
export function endOnOutputError(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  streams.push(stream);
  const fd = stream === process.stderr ? 2 : 1;
  stream.on('error', (err: NodeJS.ErrnoException) => outputFailed(err, fd));
  return stream;
}
