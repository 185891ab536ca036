// avail [--json]: every configured process, in use or not.
import type { Verb } from './types';
import { takeFlag } from './types';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import { array, makeNamespec, toConfigInfo } from '../api';
import { ljust } from '../python-text';

export const avail: Verb = {
  name: 'avail',
  listed: true,
  flags: ['--json'],
  async run(ctl, rawArg) {
    // --json is tsv's: the getAllConfigInfo structs as a JSON array.
    const { present: json, rest: arg } = takeFlag(rawArg, '--json');
    if (arg) {
      ctl.output('Error: avail accepts no arguments');
      ctl.exitstatus = ExitStatus.GENERIC;
      avail.help?.(ctl);
      return;
    }
    let infos;
    try {
      infos = array(await ctl.call('getAllConfigInfo'), 'getAllConfigInfo').map(toConfigInfo);
    } catch (err) {
      if (!(err instanceof XmlRpcFault)) throw err;
      ctl.exitstatus = ExitStatus.GENERIC;
      if (err.faultCode !== Faults.SHUTDOWN_STATE) throw err;
      ctl.output('ERROR: supervisor shutting down');
      return;
    }
    if (json) {
      const rows = infos.map((i) => ({ namespec: makeNamespec(i.group, i.name), ...i }));
      ctl.io.write(JSON.stringify(rows, null, 2) + '\n');
      return;
    }
    let out = '';
    for (const i of infos) {
      const name = ljust(makeNamespec(i.group, i.name), 32);
      const inuse = ljust(i.inuse ? 'in use' : 'avail', 9);
      const autostart = ljust(i.autostart ? 'auto' : 'manual', 9);
      out += `${name} ${inuse} ${autostart} ${String(i.group_prio)}:${String(i.process_prio)}\n`;
    }
    ctl.io.write(out);
  },
  help(ctl) {
    ctl.output('avail\t\t\tDisplay all configured processes');
  },
};
