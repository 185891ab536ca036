// shutdown: ask the remote supervisord to stop (asks first in the shell).
import type { Verb } from './types';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { RpcConnectionError } from '../../rpc/client';
import { Faults } from '../../rpc/faults';

export const shutdown: Verb = {
  name: 'shutdown',
  listed: true,
  async run(ctl, arg) {
    if (arg) {
      ctl.output('Error: shutdown accepts no arguments');
      ctl.exitstatus = ExitStatus.GENERIC;
      shutdown.help?.(ctl);
      return;
    }
    if (ctl.options.interactive) {
      if (!(await ctl.confirm('Really shut the remote supervisord process down y/N? '))) return;
    }
    try {
      await ctl.call('shutdown');
    } catch (err) {
      if (err instanceof XmlRpcFault) {
        if (err.faultCode === Faults.SHUTDOWN_STATE) {
          ctl.output('ERROR: already shutting down');
          return;
        }
        ctl.exitstatus = ExitStatus.GENERIC;
        throw err;
      }
      if (err instanceof RpcConnectionError) {
        ctl.exitstatus = ExitStatus.GENERIC;
        if (err.code === 'ECONNREFUSED') {
          ctl.output(`ERROR: ${ctl.options.serverurl} refused connection (already shut down?)`);
          return;
        }
        if (err.code === 'ENOENT') {
          ctl.output(`ERROR: ${ctl.options.serverurl} no such file (already shut down?)`);
          return;
        }
      }
      throw err;
    }
    ctl.output('Shut down');
  },
  help(ctl) {
    ctl.output('shutdown \tShut the remote supervisord down.');
  },
};
