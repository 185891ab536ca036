// A program of this config runs under no daemon: its daemon was killed with
// -9 (or crashed, or lost its cgroup's stop) and its children went on, or the
// program put a copy of itself in the background and exited. Starting the
// daemon again then starts a second copy beside the first (ports taken, two
// writers of one log), and nothing ever stops the first. The daemon marks
// every child's environment (SUPERVISOR_ENABLED, SUPERVISOR_SERVER_URL,
// SUPERVISOR_GROUP_NAME, SUPERVISOR_PROCESS_NAME), which tells them apart.
import { procPids, procTimes } from '../../../daemon/proc-stat';
import { environOf, processName } from '../../procs';
import type { Check } from '../types';
import { ok, skipped } from '../types';

/** how long a leftover may take to end by itself before it counts */
const LINGER_MS = 1500;

export const programsOrphaned: Check = {
  id: 'programs-orphaned',
  title: 'programs of this config run under no daemon',
  async run(ctx) {
    if (!ctx.config) return skipped(this.id, 'no readable config');
    // what each process of this config finds in its environment: its name, and whether its
    // leftovers that a subreaper daemon took in stay its own (stopastree: stopped with it)
    const marks = new Map<string, { name: string; tree: boolean }>();
    for (const g of ctx.config.groups) {
      for (const p of g.processes) {
        marks.set(`${g.name}\0${p.name}\0${p.serverurl ?? ctx.config.serverurl ?? ''}`, { name: g.name === p.name ? p.name : `${g.name}:${p.name}`, tree: p.stopastree });
      }
    }
    if (marks.size === 0) return ok(this.id, 'no programs configured');
    const daemons = new Set(ctx.allDaemons.map((d) => d.pid));
    const markOf = (pid: number): string | null => {
      const env = environOf(pid);
      if (env?.SUPERVISOR_ENABLED !== '1') return null;
      return `${env.SUPERVISOR_GROUP_NAME ?? ''}\0${env.SUPERVISOR_PROCESS_NAME ?? ''}\0${env.SUPERVISOR_SERVER_URL ?? ''}`;
    };
    const orphaned = (pid: number): { name: string; pid: number; ppid: number; started: number; adopted: boolean } | null => {
      const mark = markOf(pid);
      const program = mark === null ? undefined : marks.get(mark);
      if (program === undefined) return null;
      const st = procTimes(pid);
      if (!st || st.zombie) return null;
      // A daemon's child is a program's process, which the daemon made the leader of its own
      // process group (or session) at the spawn. A tsv daemon that is a child subreaper (any
      // stopastree program) also takes in what other programs leave: it reaps those, and
      // nothing stops them, as nothing would under init (where supervisord leaves them).
      const adopted = daemons.has(st.ppid);
      if (adopted && (st.pgid === pid || program.tree)) return null;
      // a process the program started itself is the program's, not an orphan of its own
      if (markOf(st.ppid) === mark) return null;
      return { name: program.name, pid, ppid: st.ppid, started: st.startTicks, adopted };
    };
    const seen = procPids()
      .filter((pid) => pid !== process.pid)
      .map(orphaned)
      .filter((o) => o !== null);
    // A program just stopped may leave a child for a moment (the `sleep 1` of a
    // shell loop whose shell got the stop signal alone): only what is still
    // there, the same process, a moment later is an orphan.
    if (seen.length > 0) await new Promise((r) => setTimeout(r, LINGER_MS));
    const orphans = seen.filter((o) => orphaned(o.pid)?.started === o.started);
    if (orphans.length === 0) return ok(this.id, 'every running process of this config has its daemon');
    return {
      id: this.id,
      status: 'problem',
      found: `${orphans.map((o) => `${o.name} pid ${o.pid} (${processName(o.pid)}, parent pid ${o.ppid}${o.adopted ? ': the daemon, which took it in when its parent ended' : ''})`).join('; ')}: not a daemon's child${orphans.some((o) => o.adopted) ? ' it started' : ''}`,
      why: `no daemon watches or stops them, and ${ctx.daemons.length > 0 ? 'the daemon on this config may run its own copies beside them' : 'the next start of the daemon starts a second copy beside each'} (ports taken, two writers of one log); left by a daemon killed with -9 or one that crashed, or put in the background by the program itself`,
      fix: `look at them (ps -o pid,ppid,lstart,args -p ${orphans.map((o) => o.pid).join(',')}) and stop them (kill PID); not applied by --fix: it stops programs`,
    };
  },
};
