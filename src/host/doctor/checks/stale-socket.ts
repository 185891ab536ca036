// The socket file is there but nobody listens: a daemon was killed with -9
// (or the machine lost power with a persistent /run). The ctl says
// "refused connection"; the fix is to remove it (no daemon can be using it).
import { unlinkSync } from 'node:fs';
import { fileKind } from '../../../daemon/socket';
import type { Check } from '../types';
import { describeStat } from '../../../os/access';
import { userName } from '../../../os/accounts';
import { configuredSocket, isFinding, ok, othersSocket, socketHiddenFinding } from '../types';

export const staleSocket: Check = {
  id: 'stale-socket',
  title: 'stale control socket: the file exists, nobody listens',
  run(ctx) {
    const unix = configuredSocket(this.id, ctx);
    if (isFinding(unix)) return unix;
    const st = ctx.socketStat;
    const hidden = socketHiddenFinding(this.id, unix.file, ctx);
    if (hidden) return hidden;
    if (!st) return ok(this.id, `${unix.file} does not exist (see socket-missing)`);
    if (!st.isSocket()) {
      const link = st.isSymbolicLink();
      return {
        id: this.id,
        status: 'problem',
        found: `${unix.file} is ${fileKind(st)}, not a socket`,
        why: link
          ? 'the ctl cannot connect through it, and the daemon replaces the link with its socket at its next start (as supervisord does)'
          : 'the ctl cannot connect to it, and the daemon refuses to start while it is there (supervisord would delete it, and what it holds)',
        fix: link ? `look where it points, then remove it: rm ${unix.file}` : `look at what it is, then move it away, or give [unix_http_server] file= a path where nothing is`,
      };
    }
    const blocked = othersSocket(ctx, unix.file);
    if (blocked) {
      return {
        id: this.id,
        status: 'problem',
        found: `${describeStat(unix.file, st)} is a socket ${ctx.caller.name} may not connect to, and no daemon runs on ${ctx.configFile}`,
        why: `it is not this config's daemon's, which cannot start while it is there: as ${ctx.daemonUser?.name} it may not remove it (${blocked}); if it is stale, only its owner or root may tell and remove it`,
        fix: `ask ${st.uid === 0 ? 'root' : `${userName(st.uid)} or root`} to look (sudo tsv doctor --fix -c ${ctx.configFile} removes it if nothing listens), or give [unix_http_server] file= a path of your own`,
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
