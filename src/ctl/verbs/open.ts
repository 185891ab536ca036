// open <url>: talk to another supervisord from now on, and show its status.
import type { Verb } from './types';
import { ExitStatus } from '../exit-status';
import { status } from './status';

export const open: Verb = {
  name: 'open',
  listed: true,
  async run(ctl, arg) {
    const url = arg.trim();
    // urlparse's scheme: letters, digits, + - . before the first colon.
    const m = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(url);
    const scheme = m ? (m[1] as string).toLowerCase() : '';
    if (scheme !== 'unix' && scheme !== 'http') {
      ctl.output('ERROR: url must be http:// or unix://');
      ctl.exitstatus = ExitStatus.GENERIC;
      return;
    }
    ctl.options.serverurl = url;
    const old = ctl.exitstatus;
    await status.run(ctl, '');
    ctl.exitstatus = old;
  },
  help(ctl) {
    ctl.output('open <url>\tConnect to a remote supervisord process.');
    ctl.output('\t\t(for UNIX domain socket, use unix:///socket/path)');
  },
};
