// The socket file is there but nobody listens: a daemon was killed with -9
// (or the machine lost power with a persistent /run). The ctl says
// "refused connection"; the fix is to remove it (no daemon can be using it).
import { unlinkSync } from 'node:fs';
import type { Check } from '../types';
import { configuredSocket, isFinding, ok } from '../types';

export const staleSocket: Check = {
  id: 'stale-socket',
  title: 'stale control socket: the file exists, nobody listens',
  run(ctx) {
    const unix = configuredSocket(this.id, ctx);
    if (isFinding(unix)) return unix;
    const st = ctx.socketStat;
    if (!st) return ok(this.id, `${unix.file} does not exist (see socket-missing)`);
    if (!st.isSocket()) {
      return {
        id: this.id,
        status: 'problem',
        found: `${unix.file} exists but is not a socket`,
        why: 'the ctl cannot connect to it, and the daemon removes it at its next start to bind its socket there (as supervisord does), so what it holds will be lost',
        fix: `look at what it is, then remove it: rm ${unix.file}`,
      };
    }
    const probe = ctx.socketProbe;
    if (!probe || probe.ok || probe.code !== 'ECONNREFUSED') return ok(this.id, probe?.ok ? `${unix.file} answers` : `${unix.file} exists`);
    if (ctx.daemons.length > 0) {
      return {
        id: this.id,
        status: 'problem',
        found: `${unix.file} refuses connections although a daemon runs on this config (pid ${ctx.daemons.map((d) => d.pid).join(', ')})`,
        why: 'the daemon no longer listens on the file at that path; the ctl cannot reach it',
        fix: `restart the service (or kill -USR2 ${ctx.daemons[0].pid} to have tsv's daemon put its socket back)`,
      };
    }
    return {
      id: this.id,
      status: 'problem',
      found: `${unix.file} exists but nobody listens on it (connect: ECONNREFUSED) and no daemon runs on ${ctx.configFile}`,
      why: 'left by a daemon that was killed or crashed; the ctl reports "refused connection", and init scripts that test for the file think the daemon runs',
      fix: `remove it (safe: nothing listens): rm ${unix.file}`,
      apply: () => {
        unlinkSync(unix.file);
        return `removed the stale socket ${unix.file}`;
      },
    };
  },
};
