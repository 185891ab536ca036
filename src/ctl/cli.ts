// `tsv ctl` / supervisorctl: Supervisor's command-line client, speaking
// XML-RPC to supervisord (or tsv's daemon) with the same flags, actions,
// output and exit statuses.
import { realizeOptions, OptionsExit } from './options';
import { Controller } from './controller';
import { Interrupted } from './line-input';
import { runShell } from './shell';
import { useColor } from './format';

export async function runCtl(args: string[], progname: string): Promise<number> {
  const options = realizeOptions(args, progname);
  if (options instanceof OptionsExit) {
    if (options.stdout) process.stdout.write(options.stdout);
    if (options.stderr) process.stderr.write(options.stderr);
    return options.code;
  }
  // A closed pipe (`tsv ctl status | head -1`) ends output quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const ctl = new Controller(options, {
    write: (text) => process.stdout.write(text),
    writeErr: (text) => process.stderr.write(text),
    color: useColor(process.stdout, process.env),
  });
  try {
    if (options.args.length) {
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
