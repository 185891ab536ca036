// The service is installed but not enabled: it runs now, perhaps, but not
// after the next reboot.
import { CollectingRunner } from '../../runner';
import type { Check } from '../types';
import { ok, skipped } from '../types';

export const unitDisabled: Check = {
  id: 'unit-disabled',
  title: 'the service is installed but not enabled at boot',
  run(ctx) {
    const { backend, spec, service } = ctx;
    if (!backend || !spec) return skipped(this.id, 'no init system detected and no install manifest');
    if (!service || !service.installed) {
      return { id: this.id, status: 'info', found: `no ${backend.init} service for tsv is installed (${backend.definitionPath(spec)} is absent)`, fix: 'tsv install --boot' };
    }
    const path = backend.inEffect(spec) ?? backend.definitionPath(spec);
    if (service.enabled === null) return skipped(this.id, `cannot tell whether ${path} is enabled (${service.detail})`);
    if (service.enabled !== false) return ok(this.id, `${path} is enabled (${service.detail})`);
    return {
      id: this.id,
      status: 'problem',
      found: `${path} is installed but not enabled (${service.detail})`,
      why: 'the daemon and its programs will not come back after a reboot',
      fix: backend.init === 'systemd' ? `systemctl${spec.scope === 'user' ? ' --user' : ''} enable tsv.service` : backend.init === 'openrc' ? 'rc-update add tsv default' : backend.init === 'sysv' ? 'update-rc.d tsv defaults' : 'launchctl enable system/tsv',
      apply: ctx.caller.uid === 0 || spec.scope === 'user'
        ? () => {
            const r = new CollectingRunner();
            backend.enable(r, spec);
            return `enabled: ${r.log.join('; ')}`;
          }
        : undefined,
    };
  },
};
