// `tsv ctl` / supervisorctl: Supervisor's command-line client, speaking
// XML-RPC to supervisord (or tsv's daemon) with the same flags, actions,
// output and exit statuses.
import { realizeOptions, OptionsExit } from './options';
import { Controller } from './controller';
import { coerceCLocaleIfLoaded } from '../daemon/native';
import { Interrupted } from './line-input';
import { runShell } from './shell';
import { useColor } from './format';
import { FdOutput, isTerminal, endOnOutputError } from './fd-output';
import type { ControllerIO } from './controller';

/** fd 1 or 2 written with write(2) (./fd-output.ts), through its stream only if it pushes back. */
function fdOutput(fd: 1 | 2): FdOutput {
  return new FdOutput(fd, () => endOnOutputError(fd === 1 ? process.stdout : process.stderr));
}

/** A one-shot command writes with write(2). */
function fdIo(): ControllerIO {
  const out = fdOutput(1);
  const err = fdOutput(2);
  return { write: (text) => out.write(text), writeErr: (text) => err.write(text), color: useColor(isTerminal(1), process.env) };
}

/** The shell writes through process.stdout, as readline does. */
function streamIo(): ControllerIO {
  const out = endOnOutputError(process.stdout);
  const err = endOnOutputError(process.stderr);
  return {
    write: (text) => out.write(text),
    writeErr: (text) => err.write(text),
    color: useColor(Boolean(process.stdout.isTTY), process.env),
  };
}

export async function runCtl(args: string[], progname: string): Promise<number> {
  coerceCLocaleIfLoaded();
  const options = realizeOptions(args, progname);
  if (options instanceof OptionsExit) {
    if (options.stdout) fdOutput(1).write(options.stdout);
    if (options.stderr) fdOutput(2).write(options.stderr);
    return options.code;
  }
  const oneShot = options.args.length > 0;
  const ctl = new Controller(options, oneShot ? fdIo() : streamIo());
  try {
    if (oneShot) {
      await ctl.onecmd(options.args.join(' '));
      return ctl.exitstatus;
    }
    await runShell(ctl);
    // The shell always exits 0, as supervisorctl's does.
    return 0;
  } catch (err) {
    if (err instanceof Interrupted) {
      process.stdout.write('\n');
      return 130;
    }
    throw err;
  } finally {
    ctl.close();
  }
}
