// quit / exit / EOF (Ctrl-D): leave the shell.
import type { Verb } from './types';

export const eof: Verb = {
  name: 'EOF',
  listed: false,
  async run(ctl) {
    ctl.output('');
    return true;
  },
};

export const quit: Verb = {
  name: 'quit',
  listed: true,
  run: (ctl, arg) => eof.run(ctl, arg),
  help(ctl) {
    ctl.output('quit\tExit the supervisor shell.');
  },
};

export const exit: Verb = {
  name: 'exit',
  listed: true,
  run: (ctl, arg) => eof.run(ctl, arg),
  help(ctl) {
    ctl.output('exit\tExit the supervisor shell.');
  },
};
