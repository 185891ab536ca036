// version: the remote supervisord's version.
import type { Verb } from './types';
import { ExitStatus } from '../exit-status';

export const version: Verb = {
  name: 'version',
  listed: true,
  async run(ctl, arg) {
    if (arg) {
      ctl.output('Error: version accepts no arguments');
      ctl.exitstatus = ExitStatus.GENERIC;
      version.help?.(ctl);
      return;
    }
    if (!(await ctl.upcheck())) return;
    ctl.output(String(await ctl.call('getSupervisorVersion')));
  },
  help(ctl) {
    ctl.output('version\t\t\tShow the version of the remote supervisord process');
  },
};
