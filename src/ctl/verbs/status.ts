// status [name|group:*|all ...] [--json]
import type { Verb } from './types';
import { takeFlag, words } from './types';
import { makeNamespec, namedBy, noSuchName, STOPPED_STATES } from '../api';
import type { ProcessInfo } from '../api';
import { StatusExitStatus } from '../exit-status';
import { statusLines } from '../format';

export const status: Verb = {
  name: 'status',
  listed: true,
  flags: ['--json'],
  async run(ctl, rawArg) {
    // --json is tsv's: the matching process structs as a JSON array.
    const { present: json, rest: arg } = takeFlag(rawArg, '--json');
    // Any upcheck failure is LSB status 4 ("unknown") for status.
    if (!(await ctl.upcheck())) {
      ctl.exitstatus = StatusExitStatus.UNKNOWN;
      return;
    }
    const allInfos = await ctl.allProcessInfo();
    const names = words(arg);
    let matching: ProcessInfo[];
    if (!names.length || names.includes('all')) {
      matching = allInfos;
    } else {
      matching = [];
      for (const name of names) {
        const named = allInfos.filter((info) => namedBy(info, name));
        matching.push(...named);
        if (!named.length) {
          const msg = noSuchName(name);
          if (json) ctl.io.writeErr(msg + '\n');
          else ctl.output(msg);
          ctl.exitstatus = StatusExitStatus.UNKNOWN;
        }
      }
    }
    if (json) {
      const rows = matching.map((i) => ({ namespec: makeNamespec(i.group, i.name), ...i }));
      ctl.io.write(JSON.stringify(rows, null, 2) + '\n');
    } else {
      ctl.io.write(statusLines(matching, ctl.io.color));
    }
    if (matching.some((i) => STOPPED_STATES.has(i.state))) ctl.exitstatus = StatusExitStatus.NOT_RUNNING;
  },
  help(ctl) {
    ctl.output('status <name>\t\tGet status for a single process');
    ctl.output('status <gname>:*\tGet status for all processes in a group');
    ctl.output('status <name> <name>\tGet status for multiple named processes');
    ctl.output('status\t\t\tGet all process status info');
  },
};
