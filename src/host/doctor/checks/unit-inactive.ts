// The service is installed but not running: crashed and given up on, killed,
// or stopped and forgotten. Says what the init system says about why.
import { CollectingRunner } from '../../runner';
import { indent, lastLines } from '../../run';
import type { Check } from '../types';
import { ok, skipped } from '../types';

export const unitInactive: Check = {
  id: 'unit-inactive',
  title: 'the service is installed but not running',
  run(ctx) {
    const { backend, spec, service } = ctx;
    if (!backend || !spec) return skipped(this.id, 'no init system detected and no install manifest');
    if (!service || !service.installed) return skipped(this.id, 'no service installed');
    if (service.managerDown) {
      const me = ctx.caller.name;
      return {
        id: this.id,
        status: 'problem',
        found: `the per-user service tsv does not run: ${service.detail}`,
        why: `a user's manager runs while the user is logged in, or from boot when lingering is on: without it tsv and its programs do not run now and do not start at boot`,
        fix: `loginctl enable-linger ${me} (as root, or as ${me} where polkit allows it); the manager then starts tsv.service, now and at every boot`,
      };
    }
    if (service.active !== false) return ok(this.id, `the ${backend.init} service is running (${service.detail})`);
    const why = backend.diagnostics(spec);
    const outside = ctx.daemons.length ? ` (a daemon runs outside the service: pid ${ctx.daemons.map((d) => d.pid).join(', ')})` : '';
    const subject = `the ${backend.init} service tsv is not running${outside}`;
    return {
      id: this.id,
      status: 'problem',
      subject,
      found: `${subject} (${service.detail})${why ? `; the init system says:\n${indent(lastLines(why, 12), '    ')}` : ''}`,
      why: 'no program of the config runs under the service, and the ctl cannot reach a daemon (or reaches one the init system does not manage)',
      fix: backend.init === 'systemd' ? `systemctl${spec.scope === 'user' ? ' --user' : ''} start tsv.service` : backend.init === 'openrc' ? 'rc-service tsv start' : backend.init === 'sysv' ? '/etc/init.d/tsv start' : 'launchctl kickstart system/tsv',
      apply:
        (ctx.caller.uid === 0 || spec.scope === 'user') && ctx.daemons.length === 0
          ? () => {
              const r = new CollectingRunner();
              backend.start(r, spec);
              return `started: ${r.log.join('; ')}`;
            }
          : undefined,
    };
  },
};
