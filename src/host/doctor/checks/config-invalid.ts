// The config cannot be read: the daemon will not start, and reread/update
// fail, until the line is fixed.
import type { Check } from '../types';
import { ok } from '../types';
import { isUserError } from './program-user-unknown';
import { missingDirOf } from '../../config-facts';

export const configInvalid: Check = {
  id: 'config-invalid',
  title: 'the config has an error (file:line)',
  run(ctx) {
    if (!ctx.configFile) {
      return {
        id: this.id,
        status: 'problem',
        found: 'no config file: none given, none installed, none on the search path (/etc/tsv/supervisord.conf, /etc/supervisor/supervisord.conf, ...)',
        why: 'without a config there is nothing to run and no socket to talk to',
        fix: 'tsv install --boot (writes /etc/tsv/supervisord.conf), or pass -c FILE',
      };
    }
    const err = ctx.configError;
    if (!err) {
      if (!ctx.config) return { id: this.id, status: 'problem', found: `${ctx.configFile} does not exist`, why: 'the service runs this file', fix: `create it (tsv config sample > ${ctx.configFile}) or reinstall` };
      const n = ctx.config.groups.reduce((a, g) => a + g.processes.length, 0);
      return ok(this.id, `${ctx.configFile} reads cleanly: ${n} process(es) in ${ctx.config.groups.length} group(s)`);
    }
    if (isUserError(err)) return ok(this.id, 'see program-user-unknown');
    if (missingDirOf(err)) return ok(this.id, 'see log-dir-missing / run-dir-missing');
    if (/^could not read config file .*: EACCES$/.test(err.message) && ctx.caller.uid !== 0) {
      // this user's permission, not the file's content: the daemon (root, or the file's owner) may read it well
      return {
        id: this.id,
        status: 'problem',
        found: `${err.message} (as ${ctx.caller.name})`,
        why: 'doctor cannot check what it cannot read; the daemon may read it (as root or as the file\'s owner) and run well',
        fix: `run doctor as a user who can read it: sudo tsv doctor -c ${ctx.configFile}`,
      };
    }
    return {
      id: this.id,
      status: 'problem',
      found: `${err.location() || ctx.configFile}: ${err.message}${err.value !== undefined ? ` (value ${JSON.stringify(err.value)})` : ''}`,
      why: 'the daemon refuses to start with this config, and reread/update/reload fail until it is fixed',
      fix: `${err.hint ? err.hint + '; ' : ''}edit ${err.file ?? ctx.configFile}${err.line ? ` line ${err.line}` : ''}, then check with: tsv config check -c ${ctx.configFile}`,
    };
  },
};
