// pid | pid <name>... | pid all [--json]
import type { Verb } from './types';
import { takeFlag, words } from './types';
import { makeNamespec, toProcessInfo } from '../api';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';

export const pid: Verb = {
  name: 'pid',
  listed: true,
  flags: ['--json'],
  async run(ctl, rawArg) {
    // --json is tsv's: {"supervisord": pid} or [{"name", "pid"}...].
    const { present: json, rest: arg } = takeFlag(rawArg, '--json');
    if (!(await ctl.upcheck())) return;
    const names = words(arg);
    const rows: Array<{ name: string; pid: number }> = [];
    if (!names.length) {
      const p = await ctl.call('getPID');
      if (json) ctl.io.write(JSON.stringify({ supervisord: p }) + '\n');
      else ctl.output(String(p));
      return;
    }
    if (names.includes('all')) {
      for (const info of await ctl.allProcessInfo()) {
        if (json) rows.push({ name: makeNamespec(info.group, info.name), pid: info.pid });
        else ctl.output(String(info.pid));
      }
    } else {
      for (const name of names) {
        let info;
        try {
          info = toProcessInfo(await ctl.call('getProcessInfo', name));
        } catch (err) {
          ctl.exitstatus = ExitStatus.GENERIC;
          if (err instanceof XmlRpcFault && err.faultCode === Faults.BAD_NAME) {
            const msg = `No such process ${name}`;
            if (json) ctl.io.writeErr(msg + '\n');
            else ctl.output(msg);
            continue;
          }
          throw err;
        }
        if (json) rows.push({ name, pid: info.pid });
        else ctl.output(String(info.pid));
        if (info.pid === 0) ctl.exitstatus = ExitStatus.NOT_RUNNING;
      }
    }
    if (json) ctl.io.write(JSON.stringify(rows, null, 2) + '\n');
  },
  help(ctl) {
    ctl.output('pid\t\t\tGet the PID of supervisord.');
    ctl.output('pid <name>\t\tGet the PID of a single child process by name.');
    ctl.output('pid all\t\t\tGet the PID of every child process, one per line.');
  },
};
