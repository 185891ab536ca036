// maintail [-f|-N]
import type { Verb } from './types';
import { words } from './types';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import { tailFollow } from './follow';
import { parsePyInt } from './tail';

export const maintail: Verb = {
  name: 'maintail',
  listed: true,
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const args = words(arg);
    let bytes = 1600;
    if (args.length > 1) {
      ctl.output('Error: too many arguments');
      ctl.exitstatus = ExitStatus.GENERIC;
      maintail.help?.(ctl);
      return;
    }
    if (args.length === 1) {
      const a = args[0] as string;
      if (!a.startsWith('-')) {
        ctl.output(`Error: bad argument ${a}`);
        ctl.exitstatus = ExitStatus.GENERIC;
        return;
      }
      const what = a.slice(1);
      if (what === 'f') {
        await tailFollow(ctl, '/mainlogtail');
        return;
      }
      const n = parsePyInt(what);
      if (n === null) {
        ctl.output(`Error: bad argument ${a}`);
        ctl.exitstatus = ExitStatus.GENERIC;
        return;
      }
      bytes = n;
    }
    let output;
    try {
      output = await ctl.call('readLog', -bytes, 0);
    } catch (err) {
      if (!(err instanceof XmlRpcFault)) throw err;
      ctl.exitstatus = ExitStatus.GENERIC;
      if (err.faultCode === Faults.NO_FILE) ctl.output('supervisord: ERROR (no log file)');
      else if (err.faultCode === Faults.FAILED) ctl.output('supervisord: ERROR (unknown error reading log)');
      else throw err;
      return;
    }
    ctl.output(String(output));
  },
  help(ctl) {
    ctl.output(
      'maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\n' +
        'maintail -100\tlast 100 *bytes* of supervisord main log file\n' +
        'maintail\tlast 1600 *bytes* of supervisor main log file\n',
    );
  },
};
