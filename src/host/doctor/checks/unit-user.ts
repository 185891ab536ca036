// The systemd unit starts the daemon as another user than the config's
// [supervisord] user= needs. The packaged unit has no User= (it is rendered
// without a config), so a packaged install whose config adds user= got a
// daemon that never started: systemd gives /run/tsv and /var/log/tsv to root
// at every start, and the daemon, dropped to its user, cannot make its socket.
// A package's unit is the package's to replace at each upgrade, so the fix is
// a drop-in in /etc, which this check keeps in step with the config.
import { CollectingRunner } from '../../runner';
import { USER_DROP_IN, setUserDropIn, readUnitUser } from '../../backends/systemd';
import { unitUserFix, unitUserGap } from '../context';
import type { Check } from '../types';
import { ok, skipped } from '../types';

export const unitUser: Check = {
  id: 'unit-user',
  title: "the service does not start the daemon as the config's [supervisord] user= needs",
  run(ctx) {
    if (ctx.scope !== 'system' || ctx.backend?.init !== 'systemd' || !ctx.spec) return skipped(this.id, 'not a systemd system service');
    const unit = ctx.backend.inEffect(ctx.spec);
    if (!unit) return skipped(this.id, 'no tsv unit is installed');
    const gap = unitUserGap(ctx);
    const configFile = ctx.configFile ?? ctx.spec.configFile;
    if (!gap) {
      const has = readUnitUser(unit);
      const wants = ctx.spec.daemonUser;
      return ok(this.id, `${unit} starts the daemon as ${has.user ?? 'root'}${wants ? `; [supervisord] user=${wants}` : ', and the config has no [supervisord] user='}`);
    }
    const starts = `${gap.unit}${gap.has.from && gap.has.from !== gap.unit ? ` with ${gap.has.from}` : ''} starts the daemon as ${gap.has.user ?? 'root'}`;
    let found: string;
    let why: string;
    if (gap.wants === null) {
      found = `${starts}, and ${configFile} has no [supervisord] user= (or user=root)`;
      why = `the daemon, and every program without a user= of its own, runs as ${gap.has.user ?? 'root'}, not as the config says`;
    } else if (gap.has.user === null) {
      found = `${configFile} has [supervisord] user=${gap.wants}, and ${starts} with RuntimeDirectory= and LogsDirectory=`;
      why = `systemd gives the run and log directories to root at every start; the daemon drops to ${gap.wants} before it makes its socket and opens its logs, so it cannot, and does not start`;
    } else {
      found = `${configFile} has [supervisord] user=${gap.wants}, and ${starts}`;
      why = `a daemon that does not start as root cannot become another user: it exits (Can't drop privilege as nonroot user)`;
    }
    // only doctor's own drop-in is doctor's to write; the package's unit, tsv install's and an admin's User= are not
    const ownDropIn = gap.has.from === USER_DROP_IN || (gap.packaged && gap.has.from === null);
    // a User= that names no account fails every start (217/USER); config-invalid names the user= that does not exist
    const known = gap.wants === null || ctx.daemonUser !== null;
    return {
      id: this.id,
      status: 'problem',
      found,
      why,
      fix: unitUserFix(gap, configFile),
      apply:
        ownDropIn && known && ctx.caller.uid === 0
          ? () => {
              const r = new CollectingRunner();
              setUserDropIn(r, gap.wants, configFile);
              const did = gap.wants ? `wrote ${USER_DROP_IN} (User=${gap.wants})` : `removed ${USER_DROP_IN}`;
              const running = ctx.service?.active === true ? `; systemctl restart tsv starts the daemon as ${gap.wants ?? 'root'} (it stops and starts every program)` : '';
              return `${did}${r.log.length ? `; ${r.log.join('; ')}` : ''}${running}`;
            }
          : undefined,
    };
  },
};
