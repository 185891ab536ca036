// The `tsv` command line: Supervisor's two programs as `tsv daemon` and
// `tsv ctl` (bare verbs go to the ctl), plus tsv's own host-side commands.
import { Command, CommanderError } from 'commander';
import { runDaemon } from '../daemon/cli';
import { runCtl } from '../ctl/cli';
import { configCheck, configShow } from '../config/commands';
import { printSample } from '../config/sample';
import { versionLine } from './version';

export async function runTsv(args: string[]): Promise<number> {
  const first = args[0];
  // daemon and ctl take Supervisor's getopt-style flags verbatim, so they are
  // routed before commander sees them.
  if (first === 'daemon') return runDaemon(args.slice(1), 'tsv daemon');
  if (first === 'ctl') return runCtl(args.slice(1), 'tsv ctl');

  let exitCode = 0;
  const program = new Command('tsv')
    .description('tsv: a process control system compatible with Supervisor')
    .version(versionLine(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run tsv --help for usage)');

  program.command('daemon').description('run the supervisor daemon (supervisord flags: tsv daemon -h)').helpOption(false);
  program.command('ctl').description('control a running daemon (supervisorctl verbs: tsv ctl help)').helpOption(false);

  const config = program.command('config').description('read, check and explain a supervisord.conf');
  config
    .command('check')
    .description('validate a config: warnings, then a one-line summary; exit 0 or 2')
    .option('-c, --configuration <file>', 'config file (default: the search path, /etc/tsv/supervisord.conf first)')
    .action((opts: { configuration?: string }) => {
      exitCode = configCheck({ file: opts.configuration });
    });
  config
    .command('show')
    .description('the fully expanded config: every process, every option, and where each value came from')
    .option('-c, --configuration <file>', 'config file')
    .option('--json', 'machine-readable output')
    .action((opts: { configuration?: string; json?: boolean }) => {
      exitCode = configShow({ file: opts.configuration, json: Boolean(opts.json) });
    });
  config
    .command('sample')
    .description('print a commented sample config that works as-is for a non-root user')
    .action(() => {
      printSample();
    });

  // A bare supervisorctl verb (`tsv status`, `tsv start web`) is the ctl.
  if (first && !first.startsWith('-') && !program.commands.some((c) => c.name() === first)) {
    return runCtl(args, 'tsv');
  }

  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return exitCode;
}
