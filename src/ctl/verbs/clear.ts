// clear <name>... | clear all
import type { Verb } from './types';
import { words } from './types';
import { array, makeNamespec, toCallResult } from '../api';
import { splitNamespec } from '../../config/model';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { clearResult } from './results';

export const clear: Verb = {
  name: 'clear',
  listed: true,
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const names = words(arg);
    if (!names.length) {
      ctl.output('Error: clear requires a process name');
      ctl.exitstatus = ExitStatus.GENERIC;
      clear.help?.(ctl);
      return;
    }
    if (names.includes('all')) {
      for (const r of array(await ctl.call('clearAllProcessLogs'), 'clearAllProcessLogs').map(toCallResult)) {
        ctl.output(clearResult(r));
        ctl.setExitstatusFromFault(r.status);
      }
      return;
    }
    for (const name of names) {
      const [group, proc] = splitNamespec(name);
      try {
        await ctl.call('clearProcessLogs', name);
      } catch (err) {
        if (!(err instanceof XmlRpcFault)) throw err;
        const r = { status: err.faultCode, name: proc ?? 'None', group, description: err.faultString };
        ctl.output(clearResult(r));
        ctl.setExitstatusFromFault(r.status);
        continue;
      }
      ctl.output(`${makeNamespec(group, proc ?? 'None')}: cleared`);
    }
  },
  help(ctl) {
    ctl.output("clear <name>\t\tClear a process' log files.");
    ctl.output("clear <name> <name>\tClear multiple process' log files");
    ctl.output("clear all\t\tClear all process' log files");
  },
};
