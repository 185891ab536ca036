// The directory of the pidfile or the control socket is missing (the
// runtime directory is gone after a reboot while the service is disabled,
// or a cleaner removed it): the config is refused and the daemon cannot start.
import { mkdirSync } from 'node:fs';
import { RUN_DIR_OPTIONS, missingDirOf } from '../../config-facts';
import type { Check } from '../types';
import { ok, skipped } from '../types';

export const runDirMissing: Check = {
  id: 'run-dir-missing',
  title: "the pidfile's or the socket's directory does not exist",
  run(ctx) {
    const err = ctx.configError;
    const dir = err ? missingDirOf(err) : null;
    if (!err || !dir || !RUN_DIR_OPTIONS.has(err.option ?? '')) return ctx.config ? ok(this.id, 'the pidfile and socket directories exist') : skipped(this.id, 'no readable config');
    return {
      id: this.id,
      status: 'problem',
      found: `${err.location()}: ${err.message}`,
      why: 'the config is refused while that directory is missing: the daemon cannot start and the ctl cannot find the socket',
      fix: `mkdir -p ${dir} (the boot service re-creates it: systemd's RuntimeDirectory=/tmpfiles.d, or the init script)`,
      apply:
        ctx.caller.uid === 0
          ? () => {
              mkdirSync(dir, { recursive: true, mode: 0o755 });
              return `created ${dir}`;
            }
          : undefined,
    };
  },
};
