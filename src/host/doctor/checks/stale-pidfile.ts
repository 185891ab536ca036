// The pidfile names a process that is gone (or a different program that got
// the pid since): init scripts then refuse to start ("already running") or
// kill the wrong process on stop.
import { readFileSync, unlinkSync } from 'node:fs';
import { pidfilePid } from '../../../daemon/pidfile';
import { isAlive, processName } from '../../procs';
import type { Check } from '../types';
import { ok, skipped } from '../types';

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || '?';
  } catch {
    return '?';
  }
}

export const stalePidfile: Check = {
  id: 'stale-pidfile',
  title: 'stale pidfile: it names a process that is not the daemon',
  run(ctx) {
    const pf = ctx.pidfile;
    if (!pf) return skipped(this.id, 'no readable config');
    if (pf.text === null) return ok(this.id, `no pidfile at ${pf.path}${ctx.daemons.length ? '' : ' (no daemon runs)'}`);
    const pid = pidfilePid(pf.text);
    const remove = (): string => {
      unlinkSync(pf.path);
      return `removed the stale pidfile ${pf.path}`;
    };
    if (pid === null) {
      return { id: this.id, status: 'problem', found: `${pf.path} holds ${JSON.stringify(pf.text.trim().slice(0, 40))}, not a pid`, why: 'init scripts cannot tell whether the daemon runs', fix: `rm ${pf.path}`, apply: remove };
    }
    if (ctx.daemons.some((d) => d.pid === pid)) return ok(this.id, `${pf.path} names the running daemon (pid ${pid})`);
    // never called stale (and removed by --fix) on a guess: it may be this config's daemon
    if (ctx.daemonsUnknown.some((d) => d.pid === pid)) {
      return skipped(this.id, `${pf.path} names pid ${pid}, a daemon whose config this user cannot tell (it was started with a relative -c or none, in a directory only its user may see); run doctor as root`);
    }
    const alive = isAlive(pid);
    // A daemon started with another path to this config (a copy, a file renamed
    // since) is not this config's as far as -c tells, but its pidfile is live:
    // removing it is what an init script's stop then misses.
    if (alive && processName(pid) === 'supervisord') {
      return skipped(this.id, `${pf.path} names pid ${pid}, a running supervisord started as ${comm(pid)}, not with this config's path; left as it is`);
    }
    return {
      id: this.id,
      status: 'problem',
      found: alive ? `${pf.path} names pid ${pid}, which is not a daemon on this config (${comm(pid)})` : `${pf.path} names pid ${pid}, which is not running`,
      why: alive
        ? 'the pid was reused: an init script would think the daemon runs, or signal the wrong process on stop'
        : 'left by a daemon that was killed or crashed; init scripts may refuse to start ("already running") or report it "dead but pidfile exists"',
      fix: `remove it (safe: it names no daemon): rm ${pf.path}`,
      apply: remove,
    };
  },
};
