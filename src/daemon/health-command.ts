// A healthcheck that is a command (tsv only), as docker's HEALTHCHECK CMD:
// it runs as the program's own processes do (its user with its
// supplementary groups, its directory, umask and environment, its PATH for
// the lookup), in a process group of its own, stdin at end of file, stdout
// and stderr on one pipe; exit status 0 within the timeout is an answer. Its
// exit comes through the daemon's reaper like every child's, so nothing
// polls; the first line of what it printed is the log line's reason. The
// gzip of rotated log backups runs the same way (gzip-helper.ts), with the
// backup as its stdin and the file it makes as its stdout.
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { ProcessConfig } from '../config/model';
import type { Look, ProbeResult } from './health';
import { decodeWaitStatus } from './signals';
import { requireNative, type NativeSpawnResult } from './native';
import { CommandError, resolveCommand, spawnChild, SpawnFailure } from './spawn';

export interface CommandLookHost {
  config: ProcessConfig;
  /** the program's environment, KEY=value */
  env: string[];
  minfds: number;
  /** the reaper tells `reaped` the command's wait status */
  registerHelper(pid: number, reaped: (status: number) => void): void;
  /** the command's stdin (the daemon keeps its own descriptor); none: at end of file */
  stdinFd?: number;
  /** the command's stdout (the daemon keeps its own descriptor); what it prints on stderr is then its output */
  stdoutFd?: number;
  /** what a run that outlasts its time is said to have done (a look's default: `no answer within N s`) */
  timedOut?: string;
}

/** what is kept of the command's output: enough for a line, not a flood */
const OUTPUT_KEPT = 4096;
const REASON_CHARS = 200;

/** The first line with text in it, control characters shown as spaces, cut to fit a log line. */
function firstLine(out: Buffer): string {
  const line = out
    .toString('utf8')
    .split('\n')
    .map((l) => l.replace(/[\x00-\x1f\x7f]/g, ' ').trim())
    .find((l) => l !== '');
  if (!line) return '';
  return line.length > REASON_CHARS ? `${line.slice(0, REASON_CHARS)}…` : line;
}

/** One run of the command, given up (and its process group killed) after timeoutMs; `cancel` drops it unanswered. */
export function commandLook(argv: string[], host: CommandLookHost, timeoutMs: number): Look {
  let cancel = (): void => {};
  const answer = new Promise<ProbeResult>((resolve) => {
    let child: NativeSpawnResult;
    try {
      const exec = resolveCommand(argv, host.config);
      child = spawnChild({ exec, env: host.env, config: { ...host.config, redirect_stderr: true }, minfds: host.minfds, stdinFd: host.stdinFd, stdoutFd: host.stdoutFd });
    } catch (e) {
      if (e instanceof CommandError) return resolve({ ok: false, detail: e.message });
      if (e instanceof SpawnFailure) return resolve({ ok: false, detail: `cannot start it: ${e.message}` });
      throw e;
    }
    if (child.stdin >= 0) closeSync(child.stdin);
    const pid = child.pid;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let status: number | null = null;
    let outputClosed = false;
    let done = false;
    /**
     * The look is over (answered, timed out or dropped): false if it was
     * already. `keepReading`: something the command left in the background
     * holds its output, which is read (and dropped) until it closes, so that
     * its next write does not die of SIGPIPE.
     */
    const settle = (keepReading = false): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      if (!keepReading) output.destroy();
      // read on, but not keeping the daemon alive for it (a shutdown)
      else output.unref();
      return true;
    };
    const finish = (r: ProbeResult, keepReading = false): void => {
      if (settle(keepReading)) resolve(r);
    };
    // its pid names its group while it is unreaped, or while something holding the pipe may still be in it
    const killGroup = (): void => {
      if (status === null || !outputClosed) requireNative().kill(-pid, 9);
    };
    const answered = (sts: number): void => {
      const { exitstatus, message } = decodeWaitStatus(sts);
      const said = child.execError ? `couldn't exec ${argv[0]}: ${child.execError}` : firstLine(Buffer.concat(kept));
      finish({ ok: exitstatus === 0, detail: said ? `${message}: ${said}` : message }, !outputClosed);
    };
    const exited = (): void => {
      if (status === null) return;
      if (outputClosed) return answered(status);
      // The command has exited and a process it left in the background holds
      // its output (`helper &`): the exit is the answer, as systemd's
      // ExecStartPre= ends at its process's exit. What it wrote before
      // exiting is read in this turn of the loop's poll; the answer follows it.
      const sts = status;
      setImmediate(() => answered(sts));
    };
    const output = new Socket({ fd: host.stdoutFd === undefined ? child.stdout : child.stderr, readable: true, writable: false });
    output.on('data', (b: Buffer) => {
      if (done || keptBytes >= OUTPUT_KEPT) return;
      kept.push(b.subarray(0, OUTPUT_KEPT - keptBytes));
      keptBytes += Math.min(b.length, OUTPUT_KEPT - keptBytes);
    });
    output.on('error', () => output.destroy());
    output.on('close', () => {
      outputClosed = true;
      if (!done) exited();
    });
    host.registerHelper(pid, (sts) => {
      status = sts;
      exited();
    });
    const timer = setTimeout(() => {
      killGroup();
      finish({ ok: false, detail: host.timedOut ?? `no answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    cancel = () => {
      if (!done) killGroup();
      settle();
    };
  });
  return { answer, cancel };
}
