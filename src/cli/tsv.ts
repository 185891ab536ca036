// The `tsv` command line past route() (src/cli/route.ts, which has already
// sent `tsv ctl`, supervisorctl's verbs and --version on): `tsv daemon` with
// supervisord's flags, and tsv's own commands.
import { versionLine } from './version';
import { guardOutputStreams } from './output-errors';

// Each subcommand's modules (and commander) are required when that subcommand
// runs, not at start-up: `tsv --version` and `tsv status` must start fast.
const commander = (): typeof import('commander') => require('commander') as typeof import('commander');
const daemonCli = (): typeof import('../daemon/cli') => require('../daemon/cli') as typeof import('../daemon/cli');
const ctlCli = (): typeof import('../ctl/cli') => require('../ctl/cli') as typeof import('../ctl/cli');
const configCommands = (): typeof import('../config/commands') => require('../config/commands') as typeof import('../config/commands');
const configSample = (): typeof import('../config/sample') => require('../config/sample') as typeof import('../config/sample');
const selftest = (): typeof import('../native/selftest') => require('../native/selftest') as typeof import('../native/selftest');
const completionScript = (): typeof import('./completion-script') => require('./completion-script') as typeof import('./completion-script');
const hostCli = (): typeof import('../host/cli') => require('../host/cli') as typeof import('../host/cli');

export async function runTsv(args: string[]): Promise<number> {
  const first = args[0];
  // The daemon takes supervisord's getopt-style flags verbatim, so it is
  // routed before commander sees them.
  if (first === 'daemon') return daemonCli().runDaemon(args.slice(1), 'tsv daemon');
  // Hidden: checks of this binary's native addons and pseudo-terminals (see src/native/selftest.ts).
  if (first === 'selftest') {
    guardOutputStreams();
    return selftest().runSelftest(args.slice(1));
  }

  const { CommanderError } = commander();
  let exitCode = 0;
  const program = tsvProgram((code) => {
    exitCode = code;
  });

  // A bare supervisorctl verb (`tsv status`, `tsv start web`) is the ctl.
  if (first && !first.startsWith('-') && !program.commands.some((c) => c.name() === first)) {
    return ctlCli().runCtl(args, 'tsv');
  }

  guardOutputStreams();
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return exitCode;
}

/** tsv's own command line, for commander; each command reports its exit status through `setExit`. */
export function tsvProgram(setExit: (code: number) => void): import('commander').Command {
  const { Command } = commander();
  const program = new Command('tsv')
    .description('tsv: a process control system compatible with Supervisor')
    .version(versionLine(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run tsv --help for usage)')
    .addHelpText(
      'after',
      [
        '',
        "supervisorctl's verbs also work without `ctl`: tsv status, tsv start NAME, tsv tail -f NAME, ...",
        "(tsv help lists them), and tsv's own: logs (every log in one view), ps (CPU and memory),",
        "events (the event stream), attach NAME (a pty=true program's terminal), status --json,",
        'restart --rolling NAME... (one at a time, each up before the next). tsv help VERB says more.',
      ].join('\n'),
    );

  program.command('daemon').description('run the supervisor daemon (supervisord flags: tsv daemon -h)').helpOption(false);
  program.command('ctl').description('control a running daemon (supervisorctl verbs: tsv ctl help)').helpOption(false);
  // Routed before this (src/cli/route.ts); listed for --help.
  program.command('pidproxy').description("Supervisor's pidproxy: tsv pidproxy PIDFILE COMMAND [ARG ...]").helpOption(false);
  program.command('crashmail').description("superlance's crashmail, an event listener that mails each crash: tsv crashmail -h").helpOption(false);

  const config = program.command('config').description('read, check and explain a supervisord.conf');
  config
    .command('check')
    .description('validate a config: warnings, then a one-line summary; exit 0 or 2')
    .option('-c, --configuration <file>', 'config file (default: the first found on Supervisor\'s search path, ./supervisord.conf before ~/.config/tsv/ and /etc/tsv/, then /etc/supervisord.conf)')
    .action((opts: { configuration?: string }) => {
      setExit(configCommands().configCheck({ file: opts.configuration }));
    });
  config
    .command('show')
    .description('the fully expanded config: every process, every option, and where each value came from')
    .option('-c, --configuration <file>', 'config file')
    .option('--json', 'machine-readable output')
    .action((opts: { configuration?: string; json?: boolean }) => {
      setExit(configCommands().configShow({ file: opts.configuration, json: Boolean(opts.json) }));
    });
  config
    .command('sample')
    .description('print a commented sample config that works as-is for a non-root user')
    .action(() => {
      configSample().printSample();
    });

  program
    .command('completion')
    .description('print the Tab completion script for bash or zsh: source <(tsv completion bash)')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      const script = completionScript().COMPLETION_SCRIPTS.get(shell);
      if (script === undefined) {
        process.stderr.write(`tsv completion: no completion for "${shell}" (there is one for bash and one for zsh)\n`);
        setExit(2);
        return;
      }
      process.stdout.write(script);
    });

  // install, uninstall, doctor (and the hidden wait-ready the units run).
  hostCli().registerHostCommands(program, setExit);
  return program;
}
