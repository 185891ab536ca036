// One line of /proc/PID/stat, as the daemon (pidfile, process trees) and the
// host side (doctor) read it. Linux only: elsewhere there is no /proc, and
// every caller has its own way on.
import { readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  /** exited, not yet reaped: not running, whatever its pid says */
  zombie: boolean;
}

/** null when there is no such process (or no /proc). */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ', 3);
  return { pid, ppid: Number(f[1]), pgid: Number(f[2]), zombie: f[0] === 'Z' };
}
