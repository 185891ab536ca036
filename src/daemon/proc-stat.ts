// Processes as /proc shows them (their stat line, the environment they
// started with), as the daemon (pidfile, process trees), the host side
// (doctor) and `tsv ps` read them. Linux only: elsewhere there is no /proc,
// and every caller has its own way on.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  /** exited, not yet reaped: not running, whatever its pid says */
  zombie: boolean;
  /** proc(5)'s state letter: R running, S sleeping, D in uninterruptible wait, T stopped, t stopped by a tracer, Z zombie */
  state: string;
}

/** What /proc/PID/stat also says about a process's CPU time (`tsv ps`). */
export interface ProcTimes extends ProcStat {
  /** user + system CPU time so far, in clock ticks (USER_HZ) */
  ticks: number;
  /** the same of the children it has waited for (they hand it on when reaped) */
  childTicks: number;
  /** when it started, in clock ticks after boot */
  startTicks: number;
}

/**
 * The fields after "pid (comm) ", up to count of them; null when there is no
 * such process (or no /proc). comm may hold spaces and parentheses.
 */
function statFields(pid: number, count: number): string[] | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ', count);
}

/** null when there is no such process (or no /proc). */
export function procStat(pid: number): ProcStat | null {
  const f = statFields(pid, 3);
  return f && { pid, ppid: Number(f[1]), pgid: Number(f[2]), zombie: f[0] === 'Z', state: f[0] };
}

export function procTimes(pid: number): ProcTimes | null {
  // state is field 3 of proc(5); utime, stime, cutime, cstime and starttime are 14, 15, 16, 17 and 22
  const f = statFields(pid, 20);
  if (!f || f.length < 20) return null;
  return {
    pid,
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    zombie: f[0] === 'Z',
    state: f[0],
    ticks: Number(f[11]) + Number(f[12]),
    childTicks: Number(f[13]) + Number(f[14]),
    startTicks: Number(f[19]),
  };
}

/**
 * Resident memory in pages, as /proc/PID/statm counts it (0: no such
 * process). Not stat's rss field: since Linux 6.2 that is a per-CPU
 * counter's approximate read, up to 64 pages a CPU low, where statm, status'
 * VmRSS, ps and top give the sum.
 */
export function residentPages(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ', 2)[1]) || 0;
  } catch {
    return 0;
  }
}

/** The pid of every process /proc shows (none where there is no /proc: macOS). */
export function procPids(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

/** Every process /proc shows, as read reads it. */
export function listProcesses<T>(read: (pid: number) => T | null): T[] {
  const out: T[] = [];
  for (const pid of procPids()) {
    const st = read(pid);
    if (st) out.push(st);
  }
  return out;
}

/** The environment a process started with holds every one of `entries` (`KEY=value`). */
export function environHas(pid: number, entries: readonly string[]): boolean {
  let env: string;
  try {
    env = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return false; // gone, or another user's
  }
  const have = new Set(env.split('\0'));
  return entries.every((e) => have.has(e));
}

/** The process runs: it answers a null signal (EPERM: another user's) and is not a zombie (killed, not yet reaped). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // only a zombie known to be one: without /proc (macOS) a process that answers runs
  return procStat(pid)?.zombie !== true;
}
