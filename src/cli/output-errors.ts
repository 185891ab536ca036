// What a one-shot command does when its own output cannot be written: a
// reader that went away (`tsv config sample | head -1`) ends it quietly with
// the status it had, as the ctl does; any other failure (`> /dev/full`) is one
// line on stderr and status 1, Supervisor's status there, without its
// traceback. The daemon's log echo is not a one-shot command's output and
// keeps going (src/log/stdio.ts).
import { writeSync } from 'node:fs';
import { writeAll } from '../log/stdio';

const STREAM_NAMES = { 1: 'standard output', 2: 'standard error' } as const;

let brokenPipeLine: string | null = null;

/**
 * What stderr says when stdout's reader goes away while `line` is set: the
 * follow verbs' (`tail -f | head -1`), as supervisorctl's http_client says
 * it; null again for the quiet end of every other command.
 */
export function onBrokenPipe(line: string | null): void {
  brokenPipeLine = line;
}

/** Ends the process after a failed write to fd 1 or 2. */
export function outputFailed(err: unknown, fd: 1 | 2): never {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EPIPE') {
    if (brokenPipeLine !== null && fd === 1) {
      try {
        writeSync(2, brokenPipeLine);
      } catch {
        // stderr is gone too
      }
    }
    process.exit(process.exitCode ?? 0);
  }
  const why = e.code ? `${e.code} (${describeErrno(e)})` : String(err);
  try {
    writeSync(2, `tsv: cannot write to ${STREAM_NAMES[fd]}: ${why}\n`);
  } catch {
    // stderr is what failed, or is gone too: the status says it
  }
  process.exit(1);
}

/** Node's message without its "CODE: " head and ", syscall" tail: "no space left on device". */
function describeErrno(e: NodeJS.ErrnoException): string {
  const m = /^[A-Z0-9]+: (.*?)(?:, \w+)?$/.exec(e.message);
  return m?.[1] ?? e.message;
}

/** Writes all of text to fd 1 or 2 with write(2), or ends the process as outputFailed says. */
export function writeOutput(fd: 1 | 2, text: string): void {
  try {
    writeAll(fd, text);
  } catch (err) {
    outputFailed(err, fd);
  }
}

let guarded = false;

/**
 * Gives process.stdout and process.stderr the same ending: without an 'error'
 * listener a failed write is an uncaught exception, printed as a stack.
 * Called by the commands that write through them, never by the daemon (taking
 * process.stdout on a pipe makes the pipe non-blocking, see src/log/stdio.ts).
 */
export function guardOutputStreams(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', (err) => outputFailed(err, 1));
  process.stderr.on('error', (err) => outputFailed(err, 2));
}
