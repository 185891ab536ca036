// help [action]: the action list, or one action's help.
import type { Verb } from './types';
import { columnize } from '../python-text';
import { findVerb, verbNames } from './index';

export const help: Verb = {
  name: 'help',
  // Listed as undocumented in supervisorctl, so absent from `help`'s table.
  listed: false,
  async run(ctl, arg) {
    if (arg.trim() === 'help') {
      ctl.output('help\t\tPrint a list of available actions');
      ctl.output('help <action>\tPrint help for <action>');
      return;
    }
    if (arg) {
      // EOF is the controller's, not the plugin's: no help for it here.
      const verb = arg === 'EOF' ? undefined : findVerb(arg);
      if (verb?.help) verb.help(ctl);
      else ctl.output(`*** No help on ${arg}`);
      return;
    }
    const header = 'default commands (type help <topic>):';
    ctl.io.write('\n' + header + '\n' + '='.repeat(header.length) + '\n' + columnize(verbNames(true), 79) + '\n');
  },
};
