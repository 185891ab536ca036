// stop <name|group:*>... | stop all
import type { Verb } from './types';
import { words } from './types';
import { array, makeNamespec, toCallResult } from '../api';
import { splitNamespec } from '../../config/model';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import { stopResult } from './results';

export const stop: Verb = {
  name: 'stop',
  listed: true,
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const names = words(arg);
    if (!names.length) {
      ctl.output('Error: stop requires a process name');
      ctl.exitstatus = ExitStatus.GENERIC;
      stop.help?.(ctl);
      return;
    }
    if (names.includes('all')) {
      for (const r of array(await ctl.call('stopAllProcesses'), 'stopAllProcesses').map(toCallResult)) {
        ctl.output(stopResult(r));
        ctl.setExitstatusFromFault(r.status, Faults.NOT_RUNNING);
      }
      return;
    }
    for (const name of names) {
      const [group, proc] = splitNamespec(name);
      if (proc === null) {
        try {
          for (const r of array(await ctl.call('stopProcessGroup', group), 'stopProcessGroup').map(toCallResult)) {
            ctl.output(stopResult(r));
            ctl.setExitstatusFromFault(r.status, Faults.NOT_RUNNING);
          }
        } catch (err) {
          if (!(err instanceof XmlRpcFault)) throw err;
          ctl.exitstatus = ExitStatus.GENERIC;
          if (err.faultCode !== Faults.BAD_NAME) throw err;
          ctl.output(`${group}: ERROR (no such group)`);
        }
      } else {
        try {
          await ctl.call('stopProcess', name);
        } catch (err) {
          if (!(err instanceof XmlRpcFault)) throw err;
          const r = { status: err.faultCode, name: proc, group, description: err.faultString };
          ctl.output(stopResult(r));
          ctl.setExitstatusFromFault(r.status, Faults.NOT_RUNNING);
          continue;
        }
        ctl.output(`${makeNamespec(group, proc)}: stopped`);
      }
    }
  },
  help(ctl) {
    ctl.output('stop <name>\t\tStop a process');
    ctl.output('stop <gname>:*\t\tStop all processes in a group');
    ctl.output('stop <name> <name>\tStop multiple processes or groups');
    ctl.output('stop all\t\tStop all processes');
  },
};
