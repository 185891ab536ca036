// The processes a program started, for `stopastree` (tsv only): Supervisor
// signals the program's pid or its process group, so whatever left the group
// (setsid, a double fork, `npm` and `sh -c` trees) or outlived the program
// keeps running, holding its port (Supervisor issues #1101, #865, PR #1502).
//
// The tree is read from /proc when it is needed (a stop, the program's end,
// the end of one of its leftovers), never polled. Lineage comes from parent
// pids while they last; the daemon is a child subreaper (process.ts), so an
// orphan of the tree is reparented to the daemon and stays findable: as a pid
// seen in the tree before, or by the SUPERVISOR_PROCESS_NAME and
// SUPERVISOR_GROUP_NAME its environment inherited from the program.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { MainLogger } from '../log/mainlog';
import { requireNative } from './native';
import { environHas, listProcesses, procStat, procTimes, type ProcTimes } from './proc-stat';

let childrenFiles: boolean | null = null;

/**
 * /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN, on in Debian's and most
 * kernels) lets the tree be read at the cost of its own size; without it,
 * every process on the host is read. A tree of 10 among 1,095 processes,
 * 2026-11-25: 2.0 ms down the tree, 39 ms reading them all.
 */
function haveChildrenFiles(): boolean {
  if (childrenFiles === null) {
    try {
      readFileSync(`/proc/${process.pid}/task/${process.pid}/children`);
      childrenFiles = true;
    } catch {
      childrenFiles = false;
    }
  }
  return childrenFiles;
}

/** The children of pid, forked by any of its threads (an orphan comes to any thread of its subreaper). */
function readChildren(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
    } catch {
      continue; // the thread ended
    }
    for (const c of text.split(' ')) if (c) out.push(Number(c));
  }
  return out;
}

export interface TreeQuery {
  /** the program's main pid while it runs (0 once it has been reaped) */
  main: number;
  /** its process group (the main pid, which stays the group's id while any member lives) */
  pgid: number;
  /** this daemon's pid: orphans of the tree are its children */
  daemon: number;
  /** pids found in this run's tree before: still members after being orphaned */
  seen: ReadonlySet<number>;
  /** children of the daemon that it spawned itself (programs' main pids, healthcheck commands) */
  own: { has(pid: number): boolean };
  /** `SUPERVISOR_PROCESS_NAME=…` and `SUPERVISOR_GROUP_NAME=…` as the program was given them */
  tag: readonly string[];
}

export interface Tree {
  /** live members other than the main process */
  members: number[];
  /** those of them outside the program's process group, which a signal to the group does not reach */
  outside: number[];
  /** members (zombies included) that are the daemon's own children now, which it must reap */
  adopted: number[];
}

/** An orphan the daemon adopted belongs to this program's tree. */
function ours(q: TreeQuery, p: ProcTimes): boolean {
  return q.seen.has(p.pid) || (p.pgid === q.pgid && q.pgid > 1) || (!p.zombie && environHas(p.pid, q.tag));
}

/** The program's processes besides its main one, as /proc shows them now. */
export function findTree(q: TreeQuery, how: 'walk' | 'scan' = haveChildrenFiles() ? 'walk' : 'scan'): Tree {
  const found = how === 'walk' ? walkTree(q) : scanTree(q);
  const members: number[] = [];
  const outside: number[] = [];
  const adopted: number[] = [];
  for (const p of found) {
    if (!p.zombie) {
      members.push(p.pid);
      if (p.pgid !== q.pgid) outside.push(p.pid);
    }
    if (p.ppid === q.daemon) adopted.push(p.pid);
  }
  return { members, outside, adopted };
}

/**
 * Breadth-first from the roots, and from the main process's children, through
 * childrenOf; the main process and the daemon themselves are never members.
 */
function collect(q: TreeQuery, roots: Iterable<ProcTimes>, childrenOf: (pid: number) => Iterable<ProcTimes>): ProcTimes[] {
  const found = new Map<number, ProcTimes>();
  const queue: number[] = [];
  const add = (p: ProcTimes): void => {
    if (p.pid === q.main || p.pid === q.daemon || found.has(p.pid)) return;
    found.set(p.pid, p);
    queue.push(p.pid);
  };
  for (const p of roots) add(p);
  if (q.main) queue.push(q.main);
  while (queue.length) for (const c of childrenOf(queue.pop() as number)) add(c);
  return [...found.values()];
}

/** Down from the main process and from the daemon's adopted children. */
function walkTree(q: TreeQuery): ProcTimes[] {
  const stats = (pids: number[]): ProcTimes[] => pids.map(procTimes).filter((p): p is ProcTimes => p !== null);
  const adopted = stats(readChildren(q.daemon).filter((pid) => !q.own.has(pid))).filter((p) => ours(q, p));
  return collect(q, adopted, (pid) => stats(readChildren(pid)));
}

/** Every process on the host: also finds members of the group that lineage lost (no subreaper). */
function scanTree(q: TreeQuery): ProcTimes[] {
  const all = listProcesses(procTimes);
  const children = new Map<number, ProcTimes[]>();
  for (const p of all) {
    let list = children.get(p.ppid);
    if (!list) children.set(p.ppid, (list = []));
    list.push(p);
  }
  const roots = all.filter((p) => (p.pgid === q.pgid && q.pgid > 1) || (p.ppid === q.daemon && !q.own.has(p.pid) && ours(q, p)));
  return collect(q, roots, (pid) => children.get(pid) ?? []);
}

let subreaper: 'not yet' | 'done' | 'failed' = 'not yet';

/**
 * Orphans of the daemon's children come to the daemon instead of init from
 * now on (for as long as it runs: it cannot tell whose they would have been).
 * Only a daemon with a stopastree program asks for it.
 */
export function becomeSubreaper(log: MainLogger): void {
  if (subreaper !== 'not yet') return;
  const r = requireNative().becomeSubreaper();
  subreaper = r === 0 ? 'done' : 'failed';
  if (r === 0) log.debug('became a child subreaper: orphans of programs come to this daemon (stopastree)');
  else {
    log.warn(
      `stopastree: this system cannot hand orphans to tsv (PR_SET_CHILD_SUBREAPER: ${requireNative().strerror(-r)}); ` +
        'a process that leaves a program before it ends is found only while it stays in its process group',
    );
  }
}

/**
 * The processes in process group pgid that hold one of the pipes (by inode)
 * open, as /proc shows their descriptors: what a program put in the
 * background with its output still attached (`cmd &`). Empty without /proc.
 */
export function pipeHolders(pgid: number, pipeInodes: readonly number[]): number[] {
  if (!pipeInodes.length) return [];
  const r = requireNative().kill(-pgid, 0);
  if (r !== 0 && r !== 'EPERM') return []; // the group is gone: no need to read every process
  const names = new Set(pipeInodes.map((ino) => `pipe:[${ino}]`));
  return listProcesses(procStat)
    .filter((p) => p.pgid === pgid && !p.zombie && holdsAny(p.pid, names))
    .map((p) => p.pid);
}

function holdsAny(pid: number, names: ReadonlySet<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone, or another user's
  }
  for (const fd of fds) {
    try {
      if (names.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}
