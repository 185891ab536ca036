// `tsv pidproxy` (also a link named pidproxy): Supervisor's fourth console
// script, for programs such as mysqld_safe whose signals must reach another
// process, the one named in a pidfile. It runs the command, and each TERM,
// HUP, INT, USR1, USR2 or QUIT it receives is sent on to the pid the pidfile
// holds at that moment; after TERM, INT or QUIT it exits 0 at once. It ends,
// with status 0, when the command ends. Supervisor 4.2.5's pidproxy.py is the
// reference (behaviour read, not code copied). Where it differs, on purpose:
// it notices the command's end when it happens (Supervisor's looks every 5 s),
// and it says why when the command cannot be run or the signal cannot be sent
// (Supervisor's is silent, or prints a traceback). docs/differences.md has the rows.
import { readFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { normpath, pyInt } from '../config/datatypes';
import { coerceCLocale, requireNative, type NativeAddon } from '../daemon/native';
import { internalError } from '../cli/route';

const FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT'] as const;
type ForwardedSignal = (typeof FORWARDED)[number];
/** after passing these on, pidproxy is done */
const FINAL: ReadonlySet<ForwardedSignal> = new Set(['SIGTERM', 'SIGINT', 'SIGQUIT']);

/** Supervisor's usage text (its module docstring), with the program's name. */
function usage(progname: string): string {
  return (
    'pidproxy -- run command and proxy signals to it via its pidfile.\n\n' +
    'This executable runs a command and then monitors a pidfile.  When this\n' +
    'executable receives a signal, it sends the same signal to the pid\n' +
    'in the pidfile.\n\n' +
    `Usage: ${progname} <pidfile name> <command> [<cmdarg1> ...]\n\n`
  );
}

/**
 * Python's os.path.abspath: joined to the working directory and normalized
 * by text. The command is taken from there, never searched on PATH, as in
 * Supervisor's pidproxy.
 */
export function pyAbspath(p: string, cwd: string): string {
  // posixpath.join: no second slash after a cwd that ends in one (`/` + `x/..` is `/x/..`, not `//x/..`)
  return normpath(p.startsWith('/') ? p : cwd.endsWith('/') ? cwd + p : `${cwd}/${p}`);
}

/** write(2) straight to fd: nothing is left in a buffer when pidproxy exits or is killed. */
function say(fd: 1 | 2, text: string): void {
  try {
    writeSync(fd, text);
  } catch {
    // stdout or stderr closed: there is nobody to tell
  }
}

/**
 * The pid the pidfile holds, read as Supervisor reads it (Python's int() of
 * the stripped text), or null when it cannot be read or is not a number.
 */
function readPidfile(pidfile: string): number | null {
  try {
    return pyInt(readFileSync(pidfile, 'utf8'));
  } catch {
    return null;
  }
}

/** The largest pid kill(2) takes: Python refuses a larger one with OverflowError. */
const PID_MAX = 2 ** 31 - 1;

export async function runPidproxy(args: readonly string[], progname: string): Promise<number> {
  if (args.length < 2) {
    say(1, usage(progname));
    return 1;
  }
  const pidfile = args[0] as string;
  const argv = args.slice(1);
  const file = pyAbspath(argv[0] as string, process.cwd());
  let native: NativeAddon;
  try {
    native = requireNative();
  } catch (e) {
    say(2, `pidproxy: ${(e as Error).message}\n`);
    return 1;
  }
  coerceCLocale();
  const words = (code: string): string => {
    const n = (constants.errno as Record<string, number | undefined>)[code];
    return n === undefined ? code : `${code} (${native.strerror(n)})`;
  };

  return new Promise<number>((resolve) => {
    let child = -1;
    // Signal handlers do not keep Node's loop alive; one timer of ~24 days is not a wake-up source.
    let alive: NodeJS.Timeout;
    const keepAlive = (): void => {
      alive = setTimeout(keepAlive, PID_MAX);
    };
    keepAlive();
    let done = false;
    // The handlers stay: a signal between here and the caller's exit must not end pidproxy by its default action.
    const finish = (code: number): void => {
      done = true;
      clearTimeout(alive);
      resolve(code);
    };

    const forward = (sig: ForwardedSignal): void => {
      if (done) return;
      const pid = readPidfile(pidfile);
      if (pid === null) {
        say(1, `Can't read child pidfile ${pidfile}!\n`);
        return;
      }
      // 0 and negative numbers name process groups (-1: every process we may
      // signal); Supervisor's pidproxy sends them there, and with 0 to itself
      // again and again. No pidfile means that.
      if (pid <= 0) {
        say(1, `Can't read child pidfile ${pidfile}!\n`);
        say(2, `pidproxy: ${pidfile} holds ${pid}, which is not a process id: ${sig} not sent\n`);
        return;
      }
      if (pid > PID_MAX) {
        // Supervisor's pidproxy ends here with an OverflowError traceback and status 1.
        say(2, `pidproxy: ${pidfile} holds ${pid}, past the largest process id: ${sig} not sent\n`);
        finish(1);
        return;
      }
      const err = native.kill(pid, constants.signals[sig]);
      if (err !== 0) {
        // Supervisor's pidproxy ends here with a traceback and status 1.
        say(2, `pidproxy: couldn't send ${sig} to pid ${pid} (from ${pidfile}): ${words(err)}\n`);
        finish(1);
        return;
      }
      if (FINAL.has(sig)) finish(0);
    };
    // As in Supervisor's, the handlers are in place before the command starts.
    for (const sig of FORWARDED) process.on(sig, () => forward(sig));
    const reap = (): void => {
      if (!done && child > 0 && native.waitpid(child) >= 0) finish(0);
    };
    process.on('SIGCHLD', reap);

    try {
      const r = native.spawnInherit(file, argv);
      child = r.pid;
      if (r.execError) say(2, `pidproxy: couldn't exec ${file}: ${words(r.execError)}\n`);
    } catch (e) {
      say(2, `pidproxy: couldn't start ${file}: ${words((e as NodeJS.ErrnoException).code ?? 'EUNKNOWN')}\n`);
      finish(1);
      return;
    }
    // it may have ended before the SIGCHLD listener's first turn
    reap();
  });
}

/** The command line's entry: exits with pidproxy's status as soon as it is known. */
export function pidproxyMain(args: readonly string[], progname: string): void {
  runPidproxy(args, progname).then((code) => process.exit(code), internalError);
}
