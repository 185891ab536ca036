// reread: have supervisord reread its config and say which groups changed.
import type { Verb } from './types';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import type { XmlRpcValue } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import type { Controller } from '../controller';
import { array } from '../api';
import { pyStrCompare } from '../../config/ini';

export interface ConfigChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

/** reloadConfig() answers [[added, changed, removed]]. */
export function toChanges(v: XmlRpcValue): ConfigChanges {
  const outer = array(v, 'reloadConfig');
  const inner = array(outer[0] as XmlRpcValue, 'reloadConfig');
  const names = (x: XmlRpcValue | undefined): string[] => array(x ?? [], 'reloadConfig').map(String);
  return { added: names(inner[0]), changed: names(inner[1]), removed: names(inner[2]) };
}

function formatChanges(ctl: Controller, c: ConfigChanges): void {
  const kinds = new Map<string, string>();
  for (const n of c.added) kinds.set(n, 'available');
  for (const n of c.changed) kinds.set(n, 'changed');
  for (const n of c.removed) kinds.set(n, 'disappeared');
  if (!kinds.size) {
    ctl.output('No config updates to processes');
    return;
  }
  for (const name of [...kinds.keys()].sort(pyStrCompare)) ctl.output(`${name}: ${kinds.get(name) as string}`);
}

export const reread: Verb = {
  name: 'reread',
  listed: true,
  async run(ctl, arg) {
    if (arg) {
      ctl.output('Error: reread accepts no arguments');
      ctl.exitstatus = ExitStatus.GENERIC;
      reread.help?.(ctl);
      return;
    }
    let result;
    try {
      result = await ctl.call('reloadConfig');
    } catch (err) {
      if (!(err instanceof XmlRpcFault)) throw err;
      ctl.exitstatus = ExitStatus.GENERIC;
      if (err.faultCode === Faults.SHUTDOWN_STATE) ctl.output('ERROR: supervisor shutting down');
      else if (err.faultCode === Faults.CANT_REREAD) ctl.output(`ERROR: ${err.faultString}`);
      else throw err;
      return;
    }
    formatChanges(ctl, toChanges(result));
  },
  help(ctl) {
    ctl.output("reread \t\t\tReload the daemon's configuration files without add/remove");
  },
};
