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
      const yesno = await ctl.rawInput('Really restart the remote supervisord process y/N? ');
      if (!(yesno ?? '').toLowerCase().startsWith('y')) return;
    }
    try {
      await ctl.call('restart');
    } catch (err) {
      if (!(err instanceof XmlRpcFault)) throw err;
      ctl.exitstatus = ExitStatus.GENERIC;
      if (err.faultCode !== Faults.SHUTDOWN_STATE) throw err;
      ctl.output('ERROR: already shutting down');
      return;
    }
    ctl.output('Restarted supervisord');
  },
  help(ctl) {
    ctl.output('reload \t\tRestart the remote supervisord.');
  },
};
