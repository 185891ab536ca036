// The host commands on tsv's command line: install, uninstall, doctor, and
// the hidden wait-ready used by the generated units and scripts.
import type { Command } from 'commander';
import { parseInit } from './init-detect';
import { indent } from './run';
import { HostError, UsageError, processOutput } from './types';
import { EMPTY_CONFIG_FLAG } from '../config/search';

// Loaded when the command runs, so registering them costs `tsv --help` nothing.
const installMod = (): typeof import('./install') => require('./install') as typeof import('./install');
const uninstallMod = (): typeof import('./uninstall') => require('./uninstall') as typeof import('./uninstall');
const doctorMod = (): typeof import('./doctor/run') => require('./doctor/run') as typeof import('./doctor/run');
const waitReadyMod = (): typeof import('./wait-ready') => require('./wait-ready') as typeof import('./wait-ready');

function report(name: string, err: unknown): number {
  if (err instanceof HostError) {
    process.stderr.write(`tsv ${name}: ${err.message}\n${err.detail ? indent(err.detail) + '\n' : ''}`);
    return err instanceof UsageError ? 2 : 1;
  }
  // A file the system refused us (EACCES, EROFS, ENOSPC ...): say which, no stack.
  const e = err as NodeJS.ErrnoException;
  if (e instanceof Error && typeof e.code === 'string' && e.syscall) {
    process.stderr.write(`tsv ${name}: ${e.message}\n`);
    return 1;
  }
  throw err;
}

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number, not "${value}"`);
  return n;
}

export function registerHostCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command('install')
    .description('install tsv as a boot service (systemd, OpenRC, sysvinit, launchd), start it, and check it answers')
    .option('--boot', 'start tsv at boot (required: this is what install does)')
    .option('--init <system>', 'systemd, openrc, sysv or launchd (default: detected)')
    .option('--user', 'a per-user service (systemd user unit, LaunchAgent); no root needed')
    .option('--dry-run', 'print every file it would write and every command it would run; change nothing')
    .option('--from-supervisor [file]', 'import an existing Supervisor config (default /etc/supervisor/supervisord.conf) and its conf.d')
    .option('-c, --configuration <file>', 'the config the service runs (default /etc/tsv/supervisord.conf; written if absent)')
    .option('--tsv-path <path>', 'the tsv program the service runs (default: this one); a .js/.cjs file runs under node')
    .option('--node <path>', 'the node binary for a --tsv-path script (default: this one)')
    .option('--daemon-command <command>', 'a Supervisor-compatible daemon to run instead of `tsv daemon` (it gets -n -c FILE)')
    .action(async (o: { boot?: boolean; init?: string; user?: boolean; dryRun?: boolean; fromSupervisor?: string | true; configuration?: string; tsvPath?: string; node?: string; daemonCommand?: string }) => {
      try {
        if (!o.boot) throw new UsageError('say --boot: `tsv install --boot` installs and starts the boot service');
        setExit(
          await installMod().install(
            {
              init: o.init ? parseInit(o.init) : undefined,
              user: Boolean(o.user),
              dryRun: Boolean(o.dryRun),
              fromSupervisor: o.fromSupervisor,
              config: o.configuration,
              tsvPath: o.tsvPath,
              node: o.node,
              daemonCommand: o.daemonCommand,
            },
            processOutput,
          ),
        );
      } catch (err) {
        setExit(report('install', err));
      }
    });

  program
    .command('uninstall')
    .description('stop and remove what `tsv install` created (its manifest says what); --purge also removes config and logs')
    .option('--purge', 'also remove the config, the logs and the tsv group')
    .option('--user', 'the per-user service')
    .option('--dry-run', 'say what would be removed; change nothing')
    .action(async (o: { purge?: boolean; user?: boolean; dryRun?: boolean }) => {
      try {
        setExit(await uninstallMod().uninstall({ purge: Boolean(o.purge), user: Boolean(o.user), dryRun: Boolean(o.dryRun) }, processOutput));
      } catch (err) {
        setExit(report('uninstall', err));
      }
    });

  program
    .command('doctor')
    .description('check the installation for every known failure class; --fix repairs what is safe to repair')
    .option('--fix', 'apply the safe fixes, then check again')
    .option('--json', 'machine-readable report')
    .option('-c, --configuration <file>', 'the config to check (default: the installed one, else the search path)')
    .option('--user', 'the per-user installation')
    .action(async (o: { fix?: boolean; json?: boolean; configuration?: string; user?: boolean }) => {
      try {
        // as the daemon and config check say it: an empty -c searches nothing
        if (o.configuration === '') throw new UsageError(EMPTY_CONFIG_FLAG);
        setExit(await doctorMod().doctor({ fix: Boolean(o.fix), json: Boolean(o.json), configuration: o.configuration, user: Boolean(o.user) }, processOutput));
      } catch (err) {
        setExit(report('doctor', err));
      }
    });

  program
    .command('wait-ready', { hidden: true })
    .description('wait until the control socket answers (used by the generated units)')
    .option('-c, --configuration <file>', 'config file')
    .option('--timeout <seconds>', 'give up after this long', '30')
    .option('--pid <pid>', 'give up when this process exits')
    .option('--quiet', 'print nothing')
    .action(async (o: { configuration?: string; timeout: string; pid?: string; quiet?: boolean }) => {
      try {
        setExit(
          await waitReadyMod().waitReadyCommand(
            { configuration: o.configuration, timeoutSec: intOption('--timeout', o.timeout) ?? 30, pid: intOption('--pid', o.pid), quiet: Boolean(o.quiet) },
            processOutput,
          ),
        );
      } catch (err) {
        setExit(report('wait-ready', err));
      }
    });
}
