// What a supervised program's processes use, read from /proc on this host:
// CPU over a short window and resident memory, for the main process and every
// process it started (`tsv ps`). Only Supervisor's API is needed for the
// pids, so it works against supervisord too. A daemon on another host (or in
// another pid namespace) must never be measured through an unrelated local
// process that happens to have the same pid: a pid is trusted only when its
// process here is a child of the daemon's pid, and either it started when the
// daemon says it did, or that parent is a supervisor daemon. The second way
// is for clocks stepped after the start (a Raspberry Pi without a real-time
// clock boots with a stale time, and NTP moves it on once the network is up):
// the daemon's `start` is then off by the step.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcTimes } from '../daemon/proc-stat';
import { TICKS_PER_SEC, adoptedOrphans, bootTime, programMembers, rssBytes, snapshot } from '../daemon/program-usage';

/** how far /proc's start time may be from the daemon's `start` (whole seconds, and the clock's drift since boot) */
const START_SLACK_SEC = 2;

export interface RunningProgram {
  name: string;
  group: string;
  pid: number;
  /** wall-clock seconds, as getProcessInfo's `start` */
  start: number;
}

export interface ProgramUsage {
  /** the main process first, then what it started */
  pids: number[];
  /** CPU time over the window, as a share of one core (200: two cores busy) */
  cpuPercent: number;
  /** resident memory summed over the processes (pages they share are counted in each, as ps does) */
  rssBytes: number;
}

/** Whether process pid here runs supervisord or tsv's daemon (its command line is readable by everyone). */
function isSupervisorDaemon(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    return argv.some((a) => /(^|\/)supervisord$/.test(a)) || (argv.some((a) => /(^|\/)tsv(\.cjs|-linux-\w+)?$/.test(a)) && argv.includes('daemon'));
  } catch {
    return false;
  }
}

/** Whether /proc's process pid is the one the daemon started at `start` (see the top of this file). */
function sameProcess(st: ProcTimes | undefined, p: RunningProgram, daemonPid: number, boot: number, daemonHere: () => boolean): boolean {
  if (!st || st.ppid !== daemonPid) return false;
  return Math.abs(boot + st.startTicks / TICKS_PER_SEC - p.start) <= START_SLACK_SEC || daemonHere();
}

/**
 * Each program's use over windowMs, by `group:name`; 'ended' for one whose
 * process was here when the window began and is gone at its end (it exited,
 * or was restarted); a program whose pid is not its process on this host is
 * left out.
 */
export async function measureUsage(programs: readonly RunningProgram[], daemonPid: number, windowMs = 500): Promise<Map<string, ProgramUsage | 'ended'>> {
  const out = new Map<string, ProgramUsage | 'ended'>();
  const boot = bootTime();
  if (boot === null || !programs.length) return out;
  const mains = new Set(programs.map((p) => p.pid));
  let daemon: boolean | null = null;
  const daemonHere = (): boolean => (daemon ??= isSupervisorDaemon(daemonPid));
  const beforeSnap = await snapshot();
  const before = beforeSnap.procs;
  const t0 = performance.now();
  const here = programs.filter((p) => sameProcess(before.get(p.pid), p, daemonPid, boot, daemonHere));
  if (!here.length) return out;
  await sleep(windowMs);
  const after = await snapshot();
  const seconds = (performance.now() - t0) / 1000;
  const orphans = adoptedOrphans(after, daemonPid, mains);
  const orphansBefore = adoptedOrphans(beforeSnap, daemonPid, mains);
  for (const p of here) {
    if (!sameProcess(after.procs.get(p.pid), p, daemonPid, boot, daemonHere)) {
      out.set(`${p.group}:${p.name}`, 'ended');
      continue;
    }
    const pids = programMembers(p, after, daemonPid, orphans);
    const survivors = new Set<number>();
    let ticks = 0;
    for (const pid of pids) {
      const now = after.procs.get(pid) as ProcTimes;
      const then = before.get(pid);
      const same = then !== undefined && then.startTicks === now.startTicks;
      if (same) survivors.add(pid);
      // A process started within the window used all its time in it. The
      // time of children that ended and were waited for is handed to their
      // parent (cutime, cstime): a shell looping over short commands uses
      // its CPU there, as top's and /metrics' totals count it.
      ticks += now.ticks - (same ? then.ticks : 0) + now.childTicks - (same ? then.childTicks : 0);
    }
    // what a member that ended within the window had used before it came with it into its parent's share
    for (const pid of programMembers(p, beforeSnap, daemonPid, orphansBefore)) {
      const then = before.get(pid) as ProcTimes;
      const now = after.procs.get(pid);
      // still there (a zombie too: not waited for yet, so none of its time is its parent's)
      if (now && now.startTicks === then.startTicks) continue;
      if (survivors.has(then.ppid)) ticks -= then.ticks + then.childTicks;
    }
    out.set(`${p.group}:${p.name}`, {
      pids,
      cpuPercent: (Math.max(0, ticks) / TICKS_PER_SEC / seconds) * 100,
      rssBytes: rssBytes(pids),
    });
  }
  return out;
}
