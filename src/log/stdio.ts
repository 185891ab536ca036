// The daemon's own writes to its stdout and stderr (the main log's echo with
// -n, its complaints), made without process.stdout and process.stderr: on a
// pipe Node makes the descriptor non-blocking, and that flag belongs to the
// pipe's open file description, shared with every other process writing to
// it. In a container, the entrypoint shell and a `tail` or log shipper beside
// the daemon then got EAGAIN whenever the reader fell behind (GNU cat and tail
// exit on it, Python drops the lines); Supervisor never changes the flags.
// Here each write is synchronous and whole, as Python's are: a reader that
// stalls makes the daemon wait, as it makes supervisord wait.
import { writeSync } from 'node:fs';

/** Writes all of text to fd 1 or 2; throws what write(2) refuses. */
export function writeAll(fd: 1 | 2, text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) rest = rest.subarray(writeSync(fd, rest));
}

/** Writes all of text to fd 1 or 2; nothing if the descriptor is gone (closed, EPIPE). */
export function writeStdio(fd: 1 | 2, text: string): void {
  try {
    writeAll(fd, text);
  } catch {
    // a closed terminal or a reader that went away must not take the daemon down
  }
}
