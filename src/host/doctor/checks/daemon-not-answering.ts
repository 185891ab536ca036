// The socket takes the connection and nothing answers: the daemon was
// stopped (SIGSTOP, Ctrl-Z on a foreground `-n`, a debugger), or it hangs.
// Every ctl command then hangs too, and init scripts time out. Nothing about
// the socket is stale, so no other check says anything.
import { procStat } from '../../../daemon/proc-stat';
import { mainDaemon } from '../context';
import type { Check } from '../types';
import { ok, skipped } from '../types';

const STATES: Record<string, string> = {
  T: 'stopped (SIGSTOP, or Ctrl-Z on a foreground -n)',
  t: 'stopped by a debugger (ptrace)',
  D: 'waiting in the kernel (uninterruptible: a hung disk or network file system)',
  R: 'running (busy)',
  S: 'asleep',
};

export const daemonNotAnswering: Check = {
  id: 'daemon-not-answering',
  title: 'the daemon takes connections and does not answer',
  run(ctx) {
    if (!ctx.facts?.serverurl) return skipped(this.id, 'no socket or port to ask');
    const probe = [ctx.socketProbe, ctx.probe].find((p) => p && !p.ok && p.code === 'ETIMEDOUT');
    if (!probe || probe.ok) return ok(this.id, ctx.probe?.ok || ctx.socketProbe?.ok ? 'the daemon answers' : 'nothing took the connection and kept it without an answer');
    if (ctx.socketProbe?.ok) {
      // the daemon answers on its socket: what hangs is what serverurl leads to
      return {
        id: this.id,
        status: 'problem',
        found: `${probe.message}; the daemon answers on ${ctx.facts.unix?.file}`,
        why: 'the ctl follows [supervisorctl] serverurl and waits there for ever: some other program holds that socket or port',
        fix: `see serverurl-elsewhere, and what listens at ${ctx.facts.serverurl}`,
      };
    }
    const daemon = mainDaemon(ctx);
    const stat = daemon ? procStat(daemon.pid) : null;
    if (!daemon || !stat) {
      return {
        id: this.id,
        status: 'problem',
        found: `${probe.message}; no daemon runs on ${ctx.configFile}`,
        why: 'the ctl waits on it for ever: the socket or port is held by some other program',
        fix: ctx.facts.unix ? `see what listens there: ss -xlp | grep ${ctx.facts.unix.file}` : `see what listens there: ss -tlnp`,
      };
    }
    const state = STATES[stat.state] ?? `in state ${stat.state}`;
    const stopped = stat.state === 'T';
    const mine = ctx.caller.uid === 0 || ctx.daemonUser?.uid === ctx.caller.uid;
    return {
      id: this.id,
      status: 'problem',
      found: `the daemon (pid ${daemon.pid}) is ${state}: ${probe.message}`,
      why: 'every ctl command, and the service manager\'s stop and reload, wait on it; its programs go on running, but none is restarted when it exits',
      fix: stopped
        ? `let it go on: kill -CONT ${daemon.pid}`
        : stat.state === 't'
          ? 'end the debugging session that holds it'
          : `look at what it does (cat /proc/${daemon.pid}/stack; strace -p ${daemon.pid}); restarting the service ends it, and stops and starts its programs`,
      apply:
        stopped && mine
          ? () => {
              process.kill(daemon.pid, 'SIGCONT');
              return `sent SIGCONT to the daemon (pid ${daemon.pid})`;
            }
          : undefined,
    };
  },
};
