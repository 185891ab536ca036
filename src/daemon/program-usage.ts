// Which processes on this host belong to a supervised program, and what they
// use, read from /proc: `tsv ps` (src/ctl/usage.ts), which trusts the pids a
// daemon reports only after checking them, and the daemon's own /metrics
// (src/metrics), which knows its children. A program's processes are its main
// one, everything below it, what is left in its process group (a grandchild
// orphaned without setsid), and orphans a `stopastree` daemon adopted as a
// subreaper whose environment names the program.
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { environHas, procPids, procTimes, residentPages, type ProcTimes } from './proc-stat';

/** USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux architecture. */
export const TICKS_PER_SEC = 100;

/** Every process on the host at one moment (as near to one as reading /proc allows). */
export interface Snapshot {
  procs: Map<number, ProcTimes>;
  /** parent pid to its children */
  children: Map<number, number[]>;
  /** process group to its members */
  groups: Map<number, number[]>;
}

/** A running program, as getProcessInfo names it. */
export interface ProgramRef {
  name: string;
  group: string;
  /** its main process */
  pid: number;
}

function push(map: Map<number, number[]>, key: number, pid: number): void {
  const list = map.get(key);
  if (list) list.push(pid);
  else map.set(key, [pid]);
}

function indexed(procs: Map<number, ProcTimes>): Snapshot {
  const children = new Map<number, number[]>();
  const groups = new Map<number, number[]>();
  for (const st of procs.values()) {
    push(children, st.ppid, st.pid);
    push(groups, st.pgid, st.pid);
  }
  return { procs, children, groups };
}

/**
 * Every process on the host, read `perTurn` at a time with the event loop let
 * go between them: a daemon with a thousand programs reads ~50 µs per
 * process, and its children's exits must not wait for all of it.
 */
export async function snapshot(perTurn = 32): Promise<Snapshot> {
  const procs = new Map<number, ProcTimes>();
  const pids = procPids();
  for (let i = 0; i < pids.length; i++) {
    if (i > 0 && i % perTurn === 0) await nextTurn();
    const st = procTimes(pids[i] as number);
    if (st) procs.set(st.pid, st);
  }
  return indexed(procs);
}

/**
 * The daemon's children in snap that are not the main process of a program
 * (`mains`): orphans it adopted as a subreaper, which count for the program
 * their environment names. Looked up once for all programs.
 */
export function adoptedOrphans(snap: Snapshot, daemonPid: number, mains: ReadonlySet<number>): number[] {
  return (snap.children.get(daemonPid) ?? []).filter((pid) => !mains.has(pid));
}

/** The program's live processes in snap, its main one first (orphans: adoptedOrphans). */
export function programMembers(p: ProgramRef, snap: Snapshot, daemonPid: number, orphans: readonly number[]): number[] {
  const found = new Set<number>();
  const queue: number[] = [];
  const add = (pid: number): void => {
    const st = snap.procs.get(pid);
    if (!st || st.zombie || found.has(pid) || pid === daemonPid) return;
    found.add(pid);
    queue.push(pid);
  };
  add(p.pid);
  for (const pid of snap.groups.get(p.pid) ?? []) add(pid);
  const tag = orphans.length ? [`SUPERVISOR_PROCESS_NAME=${p.name}`, `SUPERVISOR_GROUP_NAME=${p.group}`] : [];
  for (const pid of orphans) if (environHas(pid, tag)) add(pid);
  while (queue.length) for (const c of snap.children.get(queue.shift() as number) ?? []) add(c);
  return [...found];
}

let pageBytes = 0;

/**
 * The size of a page, which /proc counts resident memory in: 4 KiB mostly,
 * 16 KiB on a Raspberry Pi 5's kernel, 64 KiB on some arm64 servers. Node
 * has no sysconf; libuv's rss is this process's page count times the page
 * size, so the two read together give it (rounded to a power of two).
 */
export function pageSize(): number {
  if (!pageBytes) {
    const pages = residentPages(process.pid);
    const raw = pages > 0 ? process.memoryUsage.rss() / pages : 4096;
    pageBytes = 2 ** Math.round(Math.log2(raw));
  }
  return pageBytes;
}

/** Resident memory of processes, summed (pages they share are counted in each, as ps does). */
export function rssBytes(pids: readonly number[]): number {
  let pages = 0;
  for (const pid of pids) pages += residentPages(pid);
  return pages * pageSize();
}

/** "980 KiB", "41.2 MiB", "1.5 GiB". */
export function binaryBytes(n: number): string {
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}

/** Boot time in wall-clock seconds (`btime`), or null without /proc. */
export function bootTime(): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
