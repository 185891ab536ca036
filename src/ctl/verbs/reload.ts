// reload: ask the remote supervisord to restart itself (asks first in the shell).
import type { Verb } from './types';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';

export const reload: Verb = {
  name: 'reload',
  listed: true,
  async run(ctl, arg) {
    if (arg) {
      ctl.output('Error: reload accepts no arguments');
      ctl.exitstatus = ExitStatus.GENERIC;
      reload.help?.(ctl);
      return;
    }
    if (ctl.options.interactive) {
      if (!(await ctl.confirm('Really restart the remote supervisord process y/N? '))) return;
    }
    try {
      await ctl.call('restart');
    } catch (err) {
      if (!(err instanceof XmlRpcFault)) throw err;
      ctl.exitstatus = ExitStatus.GENERIC;
      if (err.faultCode === Faults.SHUTDOWN_STATE) ctl.output('ERROR: already shutting down');
      // a tsv daemon refuses to restart into a config that no longer loads
      // (supervisorctl prints its one-line error for this fault); worded as reread words it
      else if (err.faultCode === Faults.CANT_REREAD) ctl.output(`ERROR: ${err.faultString}`);
      else throw err;
      return;
    }
    ctl.output('Restarted supervisord');
  },
  help(ctl) {
    ctl.output('reload \t\tRestart the remote supervisord.');
  },
};
