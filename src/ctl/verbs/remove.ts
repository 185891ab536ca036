// remove <group>...: deactivate stopped groups.
import type { Verb } from './types';
import { words } from './types';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';

export const remove: Verb = {
  name: 'remove',
  listed: true,
  async run(ctl, arg) {
    for (const name of words(arg)) {
      try {
        await ctl.call('removeProcessGroup', name);
      } catch (err) {
        if (!(err instanceof XmlRpcFault)) throw err;
        ctl.exitstatus = ExitStatus.GENERIC;
        if (err.faultCode === Faults.STILL_RUNNING) ctl.output(`ERROR: process/group still running: ${name}`);
        else if (err.faultCode === Faults.BAD_NAME) ctl.output(`ERROR: no such process/group: ${name}`);
        else throw err;
        continue;
      }
      ctl.output(`${name}: removed process group`);
    }
  },
  help(ctl) {
    ctl.output('remove <name> [...]\tRemoves process/group from active config');
  },
};
