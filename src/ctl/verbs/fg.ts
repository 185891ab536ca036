// fg <name>: follow a running process's stdout and stderr and send each line
// typed to its stdin, until Ctrl-C, end of input or the process stops.
import type { Verb } from './types';
import { words } from './types';
import { ExitStatus } from '../exit-status';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import { ProcessStates, toProcessInfo } from '../api';
import { follow } from './follow';
import { Interrupted } from '../line-input';
import { faultRepr } from '../python-errors';

export const fg: Verb = {
  name: 'fg',
  listed: true,
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const names = words(arg);
    if (!names.length) {
      ctl.output('ERROR: no process name supplied');
      ctl.exitstatus = ExitStatus.GENERIC;
      fg.help?.(ctl);
      return;
    }
    if (names.length > 1) {
      ctl.output('ERROR: too many process names supplied');
      ctl.exitstatus = ExitStatus.GENERIC;
      return;
    }
    const name = names[0] as string;
    let info;
    try {
      info = toProcessInfo(await ctl.call('getProcessInfo', name));
    } catch (err) {
      if (!(err instanceof XmlRpcFault)) throw err;
      if (err.faultCode === Faults.BAD_NAME) {
        ctl.output('ERROR: bad process name supplied');
        ctl.exitstatus = ExitStatus.GENERIC;
      } else {
        ctl.output(`ERROR: ${faultRepr(err)}`);
      }
      return;
    }
    if (info.state !== ProcessStates.RUNNING) {
      ctl.output('ERROR: process not running');
      ctl.exitstatus = ExitStatus.GENERIC;
      return;
    }
    ctl.output('==> Press Ctrl-C to exit <==');
    const out = follow(ctl, `/logtail/${name}/stdout`);
    const err = follow(ctl, `/logtail/${name}/stderr`);
    const stopStreams = (): void => {
      out.stop();
      err.stop();
    };
    const lines = ctl.lines();
    // Ctrl-C may land while a line is being sent, with no read to fail: like
    // supervisorctl's KeyboardInterrupt, it still ends fg, once that call is back.
    let interrupted = false;
    try {
      await ctl.interruptible(
        () => {
          interrupted = true;
          lines.interruptRead();
        },
        async () => {
          for (;;) {
            if (interrupted) throw new Interrupted();
            const line = await lines.readLine('');
            if (line === null) throw new Interrupted();
            try {
              await ctl.call('sendProcessStdin', name, line + '\n');
            } catch (e) {
              if (!(e instanceof XmlRpcFault)) throw e;
              ctl.output(e.faultCode === Faults.NOT_RUNNING ? 'Process got killed' : `ERROR: ${faultRepr(e)}`);
              ctl.output('Exiting foreground');
              return;
            }
            const now = toProcessInfo(await ctl.call('getProcessInfo', name));
            if (now.state !== ProcessStates.RUNNING) {
              ctl.output('Process got killed');
              ctl.output('Exiting foreground');
              return;
            }
          }
        },
      );
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      ctl.output('Exiting foreground');
    } finally {
      stopStreams();
    }
  },
  help(ctl) {
    ctl.output('fg <process>\tConnect to a process in foreground mode');
    ctl.output('\t\tCtrl-C to exit');
  },
};
