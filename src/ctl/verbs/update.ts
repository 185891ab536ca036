// update [all|<group>...]: reread, then stop/remove disappeared groups,
// restart changed ones and add new ones.
import type { Verb } from './types';
import { words } from './types';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import { array, toCallResult } from '../api';
import { toChanges } from './reread';

export const update: Verb = {
  name: 'update',
  listed: true,
  async run(ctl, arg) {
    const log = (name: string, message: string): void => ctl.output(`${name}: ${message}`);
    let result;
    try {
      result = await ctl.call('reloadConfig');
    } catch (err) {
      if (!(err instanceof XmlRpcFault)) throw err;
      ctl.exitstatus = ExitStatus.GENERIC;
      if (err.faultCode !== Faults.SHUTDOWN_STATE) throw err;
      ctl.output('ERROR: already shutting down');
      return;
    }
    const { added, changed, removed } = toChanges(result);
    let valid = new Set(words(arg));
    if (valid.has('all')) valid = new Set();
    if (valid.size) {
      const groups = new Set<string>();
      for (const info of await ctl.allProcessInfo()) groups.add(info.group);
      for (const g of added) groups.add(g);
      for (const g of valid) {
        if (!groups.has(g)) {
          ctl.output(`ERROR: no such group: ${g}`);
          ctl.exitstatus = ExitStatus.GENERIC;
        }
      }
    }
    const wanted = (g: string): boolean => !valid.size || valid.has(g);
    for (const g of removed) {
      if (!wanted(g)) continue;
      const results = array(await ctl.call('stopProcessGroup', g), 'stopProcessGroup').map(toCallResult);
      log(g, 'stopped');
      if (results.some((r) => r.status === Faults.FAILED)) {
        ctl.output(`${g}: has problems; not removing`);
        ctl.exitstatus = ExitStatus.GENERIC;
        continue;
      }
      await ctl.call('removeProcessGroup', g);
      log(g, 'removed process group');
    }
    for (const g of changed) {
      if (!wanted(g)) continue;
      await ctl.call('stopProcessGroup', g);
      log(g, 'stopped');
      await ctl.call('removeProcessGroup', g);
      await ctl.call('addProcessGroup', g);
      log(g, 'updated process group');
    }
    for (const g of added) {
      if (!wanted(g)) continue;
      await ctl.call('addProcessGroup', g);
      log(g, 'added process group');
    }
  },
  help(ctl) {
    ctl.output('update\t\t\tReload config and add/remove as necessary, and will restart affected programs');
    ctl.output('update all\t\tReload config and add/remove as necessary, and will restart affected programs');
    ctl.output('update <gname> [...]\tUpdate specific groups');
  },
};
