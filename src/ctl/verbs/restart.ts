// restart <name|group:*>... | restart all: stop, then start, the same names.
// restart --rolling ...: one at a time (tsv only; rolling-restart.ts).
import type { Verb } from './types';
import { refuseArgs, takeFlag, words } from './types';
import { rollingRestart } from './rolling-restart';
import { ExitStatus } from '../exit-status';
import { start } from './start';
import { stop } from './stop';

export const restart: Verb = {
  name: 'restart',
  listed: true,
  flags: ['--rolling'],
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const rolling = takeFlag(arg, '--rolling');
    if (rolling.present && words(rolling.rest).length) {
      // tsv's own form takes names only: an option (`--json`) is refused before anything restarts, as ps refuses it
      const option = words(rolling.rest).find((n) => n.startsWith('-'));
      if (option) refuseArgs(ctl, restart, `bad argument ${option}`);
      else await rollingRestart(ctl, words(rolling.rest));
      return;
    }
    if (!words(rolling.rest).length) {
      ctl.output('Error: restart requires a process name');
      ctl.exitstatus = ExitStatus.GENERIC;
      restart.help?.(ctl);
      return;
    }
    await stop.run(ctl, arg);
    await start.run(ctl, arg);
  },
  help(ctl) {
    ctl.output('restart <name>\t\tRestart a process');
    ctl.output('restart <gname>:*\tRestart all processes in a group');
    ctl.output('restart <name> <name>\tRestart multiple processes or groups');
    ctl.output('restart all\t\tRestart all processes');
    ctl.output('Note: restart does not reread config files. For that, see reread and update.');
  },
};
