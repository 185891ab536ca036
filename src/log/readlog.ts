// Supervisor's log reading for the RPC layer (options.readFile / tailFile),
// byte for byte, quirks included (tail returns the last `length` bytes, not
// the bytes from `offset`).
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';

export class ReadLogError extends Error {
  constructor(readonly fault: 'BAD_ARGUMENTS' | 'FAILED') {
    super(fault);
  }
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(Math.max(0, len));
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n <= 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * An fd to read the file, or null where Supervisor's read fails: Python's
 * open() (a directory opens in Node, not in Python), or its seek, which a
 * pipe, a socket or a terminal refuses (ESPIPE: a log on /dev/stdout in a
 * container). A pipe is not opened at all: its read end would take bytes
 * meant for whatever reads the daemon's output, and a FIFO's open may wait.
 */
export function openLog(filename: string): number | null {
  try {
    const st = statSync(filename);
    if (st.isFIFO() || st.isSocket()) return null;
  } catch {
    return null;
  }
  let fd: number;
  try {
    fd = openSync(filename, 'r');
  } catch {
    return null;
  }
  const st = fstatSync(fd);
  if (st.isDirectory() || (st.isCharacterDevice() && isatty(fd))) {
    closeSync(fd);
    return null;
  }
  return fd;
}

export function readFile(filename: string, offset: number, length: number): Buffer {
  const fd = openLog(filename);
  if (fd === null) throw new ReadLogError('FAILED');
  try {
    const size = fstatSync(fd).size;
    if (offset < 0) {
      if (length) throw new ReadLogError('BAD_ARGUMENTS');
      const pos = Math.max(0, size + offset);
      return readAt(fd, pos, Math.min(-offset, size - pos));
    }
    if (length < 0) throw new ReadLogError('BAD_ARGUMENTS');
    if (length === 0) return readAt(fd, offset, Math.max(0, size - offset));
    return readAt(fd, offset, Math.max(0, Math.min(length, size - offset)));
  } catch (e) {
    if (e instanceof ReadLogError) throw e;
    throw new ReadLogError('FAILED');
  } finally {
    closeSync(fd);
  }
}

export interface TailResult {
  data: Buffer;
  offset: number;
  overflow: boolean;
}

export function tailFile(filename: string, offset: number, length: number): TailResult {
  const fd = openLog(filename);
  if (fd === null) return { data: Buffer.alloc(0), offset, overflow: false };
  try {
    const sz = fstatSync(fd).size;
    let overflow = false;
    if (sz > offset + length) {
      overflow = true;
      offset = sz - 1;
    }
    if (offset + length > sz) {
      if (offset > sz - 1) length = 0;
      offset = sz - length;
    }
    if (offset < 0) offset = 0;
    if (length < 0) length = 0;
    // Python's read(length) stops at the end of the file; a buffer of `length` (2 GiB and up) cannot be had
    const data = length === 0 ? Buffer.alloc(0) : readAt(fd, offset, Math.min(length, sz - offset));
    return { data, offset: sz, overflow };
  } catch {
    return { data: Buffer.alloc(0), offset, overflow: false };
  } finally {
    closeSync(fd);
  }
}
