// The directory of the pidfile or the control socket is missing (the
// runtime directory is gone after a reboot while the service is disabled,
// or a cleaner removed it): the config is refused and the daemon cannot start.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { changeDirectory, notADirectory, refuseLinkOfOthers } from '../../../os/access';
import { RUN_DIR_OPTIONS, missingDirOf } from '../../config-facts';
import type { Check } from '../types';
import { ok, skipped } from '../types';

export const runDirMissing: Check = {
  id: 'run-dir-missing',
  title: "the pidfile's or the socket's directory does not exist",
  run(ctx) {
    const err = ctx.configError;
    const configDir = err && RUN_DIR_OPTIONS.has(err.option ?? '') ? missingDirOf(err) : null;
    // the config is not refused for a missing socket directory (Supervisor's is not either): the bind fails
    const sockDir = ctx.facts?.unix ? dirname(ctx.facts.unix.file) : null;
    const socketDirMissing = sockDir !== null && (!existsSync(sockDir) || notADirectory(sockDir) !== null);
    const dir = configDir ?? (socketDirMissing ? sockDir : null);
    if (!dir) return ctx.config ? ok(this.id, 'the pidfile and socket directories exist') : skipped(this.id, 'no readable config');
    const socketFile = `[unix_http_server] file=${ctx.facts?.unix?.file}`;
    const blocked = notADirectory(dir);
    if (blocked) {
      return {
        id: this.id,
        status: 'problem',
        found: `${err && configDir ? `${err.location()}: ${err.message}` : socketFile} (${blocked.path} is ${blocked.is})`,
        why: 'the directory cannot be made where a file is in the way, and the daemon cannot start without it',
        fix: `move the file out of the way (mv ${blocked.path} ${blocked.path}.old) and run tsv doctor --fix again, or point the option at another directory`,
      };
    }
    return {
      id: this.id,
      status: 'problem',
      found: err && configDir ? `${err.location()}: ${err.message}` : `the control socket's directory ${dir} does not exist (${socketFile})`,
      why: 'the daemon cannot start while that directory is missing (a config naming it as the pidfile\'s is refused; the socket cannot be bound, errno.ENOENT) and the ctl cannot find the socket',
      fix: `mkdir -p ${dir} (the boot service re-creates it: systemd's RuntimeDirectory=/tmpfiles.d, or the init script)`,
      apply:
        ctx.caller.uid === 0
          ? () => {
              refuseLinkOfOthers(dir);
              const first = mkdirSync(dir, { recursive: true, mode: 0o755 });
              // a daemon that is not root makes its socket and pidfile there as its own user
              const who = ctx.daemonUser && ctx.daemonUser.uid !== 0 ? ctx.daemonUser : null;
              // the umask (077 for some roots) must not close the new directories to that user
              for (let d = dir; first && d.length >= first.length; d = dirname(d)) changeDirectory(d, d === dir && who ? who.uid : -1, d === dir && who ? who.gid : -1, 0o755);
              return who ? `created ${dir} for ${who.name} (${ctx.daemonUserFrom})` : `created ${dir}`;
            }
          : undefined,
    };
  },
};
