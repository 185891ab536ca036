// The daemon's user cannot make the control socket or write the pidfile in
// their directories. supervisord drops to [supervisord] user= before it binds
// the socket, so a root-owned /var/run/app with user=app stops it ("Cannot
// open an HTTP server: socket.error reported errno.EACCES (13)"), as does a
// socket directory a user's own daemon may not write; a pidfile it cannot
// write is only a CRIT line, and init scripts that read it then lose the daemon.
import { dirname } from 'node:path';
import { canCreateIn, canWriteOrCreate, changeDirectory, isDirectory, isSharedDir } from '../../../os/access';
import type { Check } from '../types';
import { ok, skipped } from '../types';
import { unitUserFix, unitUserGap } from '../context';

interface Blocked {
  what: 'socket' | 'pidfile';
  path: string;
  reason: string;
  blocker: string;
}

export const runDirUnwritable: Check = {
  id: 'run-dir-unwritable',
  title: "the daemon's user cannot make the socket or write the pidfile where the config puts them",
  run(ctx) {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const daemon = ctx.daemonUser;
    if (!daemon) return skipped(this.id, `the daemon's user is unknown (${ctx.daemonUserFrom})`);
    const blocked: Blocked[] = [];
    // a missing directory is run-dir-missing's
    const sock = ctx.facts.unix?.file ?? null;
    if (sock && isDirectory(dirname(sock))) {
      const r = canCreateIn(dirname(sock), daemon);
      if (!r.ok) blocked.push({ what: 'socket', path: sock, reason: r.reason ?? 'not writable', blocker: r.blocker ?? dirname(sock) });
    }
    const pid = ctx.facts.pidfile;
    const p = isDirectory(dirname(pid)) ? canWriteOrCreate(pid, daemon) : { ok: true };
    if (!p.ok) blocked.push({ what: 'pidfile', path: pid, reason: p.reason ?? 'not writable', blocker: p.blocker ?? dirname(pid) });
    if (blocked.length === 0) return ok(this.id, `${daemon.name} (${ctx.daemonUserFrom}) may make the socket and write the pidfile`);
    // a directory tsv install made for the daemon is given to its user; any other may be shared (/run, /var/run) and is left to the user
    const owned = new Set(ctx.manifest?.dirs.map((d) => d.path) ?? []);
    const givable = ctx.caller.uid === 0 && blocked.every((b) => b.blocker === dirname(b.path) && owned.has(b.blocker));
    const dirs = [...new Set(blocked.map((b) => b.blocker))];
    // a unit that starts the daemon as another user gives the directories to that one at every start
    const gap = unitUserGap(ctx);
    const undone = gap !== null && gap.wants !== null;
    return {
      id: this.id,
      status: 'problem',
      found: blocked.map((b) => `${b.what === 'socket' ? `[unix_http_server] file=${b.path}` : `pidfile ${b.path}`}: ${b.reason}`).join('; '),
      why: `the daemon runs as ${daemon.name} (${ctx.daemonUserFrom}) and makes these as that user: ${[
        blocked.some((b) => b.what === 'socket') ? 'without its socket it does not start (Cannot open an HTTP server: socket.error reported errno.EACCES (13))' : null,
        blocked.some((b) => b.what === 'pidfile') ? 'without its pidfile it runs, but init scripts and PIDFile= that read the file cannot find it' : null,
      ]
        .filter(Boolean)
        .join('; ')}`,
      fix: gap && undone
        ? unitUserFix(gap, ctx.configFile ?? '', { dirs: ` of ${dirs.join(' or ')}`, option: 'RuntimeDirectory=' })
        : dirs.some(isSharedDir)
        ? `move the file to a directory of its own that ${daemon.name} owns (systemd: RuntimeDirectory= with User=${daemon.name}; by hand: mkdir /run/NAME && chown ${daemon.name} /run/NAME); never chown ${dirs.filter(isSharedDir).join(' or ')} itself`
        : `${dirs.map((d) => `chown ${daemon.name} ${d}`).join(' && ')}, or move the file to a directory ${daemon.name} owns (systemd: RuntimeDirectory= with User=${daemon.name})`,
      apply: givable && !undone
        ? () => {
            for (const d of dirs) changeDirectory(d, daemon.uid, daemon.gid, null);
            return `gave ${dirs.join(', ')} to ${daemon.name}`;
          }
        : undefined,
    };
  },
};
