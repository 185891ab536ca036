// signal <SIG> <name|group:*>... | signal <SIG> all
import type { Verb } from './types';
import { words } from './types';
import { array, makeNamespec, toCallResult } from '../api';
import { splitNamespec } from '../../config/model';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import { signalResult } from './results';

export const signal: Verb = {
  name: 'signal',
  listed: true,
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const args = words(arg);
    if (args.length < 2) {
      ctl.output('Error: signal requires a signal name and a process name');
      signal.help?.(ctl);
      ctl.exitstatus = ExitStatus.GENERIC;
      return;
    }
    const sig = args[0] as string;
    const names = args.slice(1);
    if (names.includes('all')) {
      for (const r of array(await ctl.call('signalAllProcesses', sig), 'signalAllProcesses').map(toCallResult)) {
        ctl.output(signalResult(r));
        ctl.setExitstatusFromFault(r.status);
      }
      return;
    }
    for (const name of names) {
      const [group, proc] = splitNamespec(name);
      if (proc === null) {
        try {
          for (const r of array(await ctl.call('signalProcessGroup', group, sig), 'signalProcessGroup').map(toCallResult)) {
            ctl.output(signalResult(r));
            ctl.setExitstatusFromFault(r.status);
          }
        } catch (err) {
          if (!(err instanceof XmlRpcFault) || err.faultCode !== Faults.BAD_NAME) throw err;
          ctl.output(`${group}: ERROR (no such group)`);
          ctl.exitstatus = ExitStatus.GENERIC;
        }
      } else {
        try {
          await ctl.call('signalProcess', name, sig);
        } catch (err) {
          if (!(err instanceof XmlRpcFault)) throw err;
          const r = { status: err.faultCode, name: proc, group, description: err.faultString };
          ctl.output(signalResult(r));
          ctl.setExitstatusFromFault(r.status);
          continue;
        }
        ctl.output(`${makeNamespec(group, proc)}: signalled`);
      }
    }
  },
  help(ctl) {
    ctl.output('signal <signal name> <name>\t\tSignal a process');
    ctl.output('signal <signal name> <gname>:*\t\tSignal all processes in a group');
    ctl.output('signal <signal name> <name> <name>\tSignal multiple processes or groups');
    ctl.output('signal <signal name> all\t\tSignal all processes');
  },
};
