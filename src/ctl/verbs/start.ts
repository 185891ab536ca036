// start <name|group:*>... | start all
import type { Verb } from './types';
import { words } from './types';
import { array, makeNamespec, toCallResult } from '../api';
import { splitNamespec } from '../../config/model';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import { startResult } from './results';

export const start: Verb = {
  name: 'start',
  listed: true,
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const names = words(arg);
    if (!names.length) {
      ctl.output('Error: start requires a process name');
      ctl.exitstatus = ExitStatus.INVALID_ARGS;
      start.help?.(ctl);
      return;
    }
    if (names.includes('all')) {
      for (const r of array(await ctl.call('startAllProcesses'), 'startAllProcesses').map(toCallResult)) {
        ctl.output(startResult(r));
        ctl.setExitstatusFromFault(r.status, Faults.ALREADY_STARTED);
      }
      return;
    }
    for (const name of names) {
      const [group, proc] = splitNamespec(name);
      if (proc === null) {
        try {
          for (const r of array(await ctl.call('startProcessGroup', group), 'startProcessGroup').map(toCallResult)) {
            ctl.output(startResult(r));
            ctl.setExitstatusFromFault(r.status, Faults.ALREADY_STARTED);
          }
        } catch (err) {
          if (err instanceof XmlRpcFault && err.faultCode === Faults.BAD_NAME) {
            ctl.output(`${group}: ERROR (no such group)`);
            ctl.exitstatus = ExitStatus.INVALID_ARGS;
          } else {
            ctl.exitstatus = ExitStatus.GENERIC;
            throw err;
          }
        }
      } else {
        try {
          await ctl.call('startProcess', name);
        } catch (err) {
          if (!(err instanceof XmlRpcFault)) throw err;
          const r = { status: err.faultCode, name: proc, group, description: err.faultString };
          ctl.output(startResult(r));
          ctl.setExitstatusFromFault(r.status, Faults.ALREADY_STARTED);
          continue;
        }
        ctl.output(`${makeNamespec(group, proc)}: started`);
      }
    }
  },
  help(ctl) {
    ctl.output('start <name>\t\tStart a process');
    ctl.output('start <gname>:*\t\tStart all processes in a group');
    ctl.output('start <name> <name>\tStart multiple processes or groups');
    ctl.output('start all\t\tStart all processes');
  },
};
