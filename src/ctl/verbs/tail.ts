// tail [-f|-N] <name> [stdout|stderr]
import type { Verb } from './types';
import { words } from './types';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import { tailFollow } from './follow';
import { pyRepr as pyStrRepr } from '../../config/pyformat';
import { asciiDigits } from '../../config/datatypes';
import { pyStrip } from '../../config/ini';

export const tail: Verb = {
  name: 'tail',
  listed: true,
  flags: ['-f'],
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const args = words(arg);
    if (args.length < 1) {
      ctl.output('Error: too few arguments');
      ctl.exitstatus = ExitStatus.GENERIC;
      tail.help?.(ctl);
      return;
    }
    if (args.length > 3) {
      ctl.output('Error: too many arguments');
      ctl.exitstatus = ExitStatus.GENERIC;
      tail.help?.(ctl);
      return;
    }
    let modifier: string | null = null;
    if ((args[0] as string).startsWith('-')) modifier = args.shift() as string;
    let name: string;
    let channel: string;
    if (args.length === 1) {
      name = args[0] as string;
      channel = 'stdout';
    } else if (args.length) {
      name = args[0] as string;
      channel = (args[args.length - 1] as string).toLowerCase();
      if (channel !== 'stderr' && channel !== 'stdout') {
        ctl.output(`Error: bad channel ${pyStrRepr(channel)}`);
        ctl.exitstatus = ExitStatus.GENERIC;
        return;
      }
    } else {
      ctl.output('Error: tail requires process name');
      ctl.exitstatus = ExitStatus.GENERIC;
      return;
    }
    let bytes: number | null = 1600;
    if (modifier !== null) {
      const what = modifier.slice(1);
      if (what === 'f') bytes = null;
      else {
        const n = parsePyInt(what);
        if (n === null) {
          ctl.output(`Error: bad argument ${modifier}`);
          ctl.exitstatus = ExitStatus.GENERIC;
          return;
        }
        bytes = n;
      }
    }
    if (bytes === null) {
      await tailFollow(ctl, `/logtail/${name}/${channel}`);
      return;
    }
    let output;
    try {
      output = await ctl.call(channel === 'stdout' ? 'readProcessStdoutLog' : 'readProcessStderrLog', name, -bytes, 0);
    } catch (err) {
      if (!(err instanceof XmlRpcFault)) throw err;
      ctl.exitstatus = ExitStatus.GENERIC;
      if (err.faultCode === Faults.NO_FILE) ctl.output(`${name}: ERROR (no log file)`);
      else if (err.faultCode === Faults.FAILED) ctl.output(`${name}: ERROR (unknown error reading log)`);
      else if (err.faultCode === Faults.BAD_NAME) ctl.output(`${name}: ERROR (no such process name)`);
      else throw err;
      return;
    }
    ctl.output(String(output));
  },
  help(ctl) {
    ctl.output(
      'tail [-f] <name> [stdout|stderr] (default stdout)\n' +
        'Ex:\n' +
        'tail -f <name>\t\tContinuous tail of named process stdout\n' +
        '\t\t\tCtrl-C to exit.\n' +
        'tail -100 <name>\tlast 100 *bytes* of process stdout\n' +
        'tail <name> stderr\tlast 1600 *bytes* of process stderr',
    );
  },
};

/** Python's int(str) for the -N modifier (sign, any script's decimal digits, underscores between digits, surrounding whitespace). */
export function parsePyInt(s: string): number | null {
  const t = asciiDigits(pyStrip(s));
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return null;
  return Number(t.replace(/_/g, ''));
}
