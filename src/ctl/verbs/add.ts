// add <group>...: activate groups that reread found.
import type { Verb } from './types';
import { words } from './types';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';

export const add: Verb = {
  name: 'add',
  listed: true,
  async run(ctl, arg) {
    for (const name of words(arg)) {
      try {
        await ctl.call('addProcessGroup', name);
      } catch (err) {
        if (!(err instanceof XmlRpcFault)) throw err;
        if (err.faultCode === Faults.SHUTDOWN_STATE) {
          ctl.output('ERROR: shutting down');
          ctl.exitstatus = ExitStatus.GENERIC;
        } else if (err.faultCode === Faults.ALREADY_ADDED) {
          ctl.output('ERROR: process group already active');
        } else if (err.faultCode === Faults.BAD_NAME) {
          ctl.output(`ERROR: no such process/group: ${name}`);
          ctl.exitstatus = ExitStatus.GENERIC;
        } else {
          ctl.exitstatus = ExitStatus.GENERIC;
          throw err;
        }
        continue;
      }
      ctl.output(`${name}: added process group`);
    }
  },
  help(ctl) {
    ctl.output('add <name> [...]\tActivates any updates in config for process/group');
  },
};
