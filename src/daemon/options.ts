// supervisord's command line (options.ServerOptions): Python's getopt
// (src/cli/getopt.ts), the same errors, and command-line values overriding
// the config file.
import { resolve } from 'node:path';
import type { Config, LogLevelName } from '../config/model';
import * as dt from '../config/datatypes';
import { pyRepr } from '../config/pyformat';
import { getopt, GetoptError } from '../cli/getopt';

export class UsageError extends Error {}

export interface DaemonFlags {
  configfile?: string;
  nodaemon?: boolean;
  silent?: boolean;
  help?: boolean;
  version?: boolean;
  user?: string;
  umask?: number;
  directory?: string;
  logfile?: string;
  logfile_maxbytes?: number;
  logfile_backups?: number;
  loglevel?: LogLevelName;
  pidfile?: string;
  identifier?: string;
  childlogdir?: string;
  nocleanup?: boolean;
  minfds?: number;
  minprocs?: number;
  strip_ansi?: boolean;
  profile_options?: string;
}

type Key = keyof DaemonFlags;

export interface OptSpec {
  key: Key;
  short: string | null;
  long: string;
  takesArg: boolean;
  /** converts and validates a value (throws with the reason) */
  conv?: (v: string) => DaemonFlags[Key];
}

/** supervisord's flags (also what `tsv completion` offers after `tsv daemon`). */
export const DAEMON_OPTIONS: readonly OptSpec[] = [
  { key: 'help', short: 'h', long: 'help', takesArg: false },
  { key: 'help', short: '?', long: '', takesArg: false },
  { key: 'configfile', short: 'c', long: 'configuration', takesArg: true },
  { key: 'version', short: 'v', long: 'version', takesArg: false },
  { key: 'nodaemon', short: 'n', long: 'nodaemon', takesArg: false },
  { key: 'user', short: 'u', long: 'user', takesArg: true },
  { key: 'umask', short: 'm', long: 'umask', takesArg: true, conv: (v) => dt.octalType(v) },
  { key: 'directory', short: 'd', long: 'directory', takesArg: true, conv: (v) => dt.existingDirectory(v) },
  { key: 'logfile', short: 'l', long: 'logfile', takesArg: true, conv: (v) => dt.existingDirpath(v) },
  { key: 'logfile_maxbytes', short: 'y', long: 'logfile_maxbytes', takesArg: true, conv: (v) => dt.byteSize(v) },
  { key: 'logfile_backups', short: 'z', long: 'logfile_backups', takesArg: true, conv: (v) => dt.integer(v) },
  { key: 'loglevel', short: 'e', long: 'loglevel', takesArg: true, conv: (v) => dt.loggingLevel(v) },
  { key: 'pidfile', short: 'j', long: 'pidfile', takesArg: true, conv: (v) => dt.existingDirpath(v) },
  { key: 'identifier', short: 'i', long: 'identifier', takesArg: true },
  { key: 'childlogdir', short: 'q', long: 'childlogdir', takesArg: true, conv: (v) => dt.existingDirectory(v) },
  { key: 'minfds', short: 'a', long: 'minfds', takesArg: true, conv: (v) => dt.integer(v) },
  { key: 'minprocs', short: null, long: 'minprocs', takesArg: true, conv: (v) => dt.integer(v) },
  { key: 'nocleanup', short: 'k', long: 'nocleanup', takesArg: false },
  { key: 'strip_ansi', short: 't', long: 'strip_ansi', takesArg: false },
  { key: 'profile_options', short: null, long: 'profile_options', takesArg: true },
  { key: 'silent', short: 's', long: 'silent', takesArg: false },
];

const SHORTOPTS = DAEMON_OPTIONS.filter((s) => s.short).map((s) => `${s.short}${s.takesArg ? ':' : ''}`).join('');
const LONGOPTS = DAEMON_OPTIONS.filter((s) => s.long).map((s) => `${s.long}${s.takesArg ? '=' : ''}`);

/**
 * Parse argv like Python's getopt.getopt + Options.realize: the whole line is
 * read first (unknown options, missing arguments, then positional
 * arguments fail), then each option is handled in order, so a bad value
 * before -h fails and -h or -v ends the handling where it stands.
 */
export function parseFlags(args: string[]): DaemonFlags {
  let opts: Array<[string, string]>;
  let positional: string[];
  try {
    [opts, positional] = getopt(args, SHORTOPTS, LONGOPTS);
  } catch (e) {
    if (e instanceof GetoptError) throw new UsageError(e.message);
    throw e;
  }
  if (positional.length) {
    throw new UsageError(`positional arguments are not supported: [${positional.map(pyRepr).join(', ')}]`);
  }
  const flags: DaemonFlags = {};
  const seen = new Set<Key>();
  for (const [optName, arg] of opts) {
    const spec = DAEMON_OPTIONS.find((s) => (optName.startsWith('--') ? s.long === optName.slice(2) : s.short === optName.slice(1))) as OptSpec;
    if (spec.key === 'help' || spec.key === 'version') return { [spec.key]: true };
    let value: DaemonFlags[Key] = spec.takesArg ? arg : true;
    if (spec.takesArg && spec.conv) {
      try {
        value = spec.conv(arg);
      } catch (e) {
        throw new UsageError(`invalid value for ${optName} ${pyRepr(arg)}: ${(e as Error).message}`);
      }
    }
    if (seen.has(spec.key)) throw new UsageError(`conflicting command line option ${pyRepr(optName)}`);
    seen.add(spec.key);
    (flags as Record<Key, unknown>)[spec.key] = value;
  }
  return flags;
}

/** Command line over config file (attr priority 2 over 1), as realize() does. */
export function applyFlags(config: Config, flags: DaemonFlags, cwd = process.cwd()): void {
  const sd = config.supervisord;
  const cli = { kind: 'cli' } as const;
  const put = <K extends keyof typeof sd>(k: K, v: (typeof sd)[K] | undefined): void => {
    if (v === undefined) return;
    sd[k] = v;
    sd.sources[k as string] = cli;
  };
  if (flags.nodaemon) put('nodaemon', true);
  if (flags.silent) put('silent', true);
  if (flags.nocleanup) put('nocleanup', true);
  if (flags.strip_ansi) put('strip_ansi', true);
  put('umask', flags.umask);
  put('directory', flags.directory);
  put('logfile_maxbytes', flags.logfile_maxbytes);
  put('logfile_backups', flags.logfile_backups);
  put('loglevel', flags.loglevel);
  put('identifier', flags.identifier);
  put('childlogdir', flags.childlogdir);
  put('minfds', flags.minfds);
  put('minprocs', flags.minprocs);
  // realize(): an empty -l or -j leaves the config's value
  if (flags.logfile) put('logfile', flags.logfile === 'syslog' ? 'syslog' : resolve(cwd, flags.logfile));
  if (flags.pidfile) put('pidfile', resolve(cwd, flags.pidfile));
  if (flags.user !== undefined) {
    let uid: number;
    try {
      uid = dt.nameToUid(flags.user);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    put('user', flags.user);
    put('uid', uid);
  }
}

export const USAGE = `supervisord -- run a set of applications as daemons.

Usage: %s [options]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-n/--nodaemon -- run in the foreground (same as 'nodaemon=true' in config file)
-s/--silent -- no logs to stdout (maps to 'silent=true' in config file)
-h/--help -- print this usage message and exit
-v/--version -- print supervisord version number and exit
-u/--user USER -- run supervisord as this user (or numeric uid)
-m/--umask UMASK -- use this umask for daemon subprocess (default is 022)
-d/--directory DIRECTORY -- directory to chdir to when daemonized
-l/--logfile FILENAME -- use FILENAME as logfile path
-y/--logfile_maxbytes BYTES -- use BYTES to limit the max size of logfile
-z/--logfile_backups NUM -- number of backups to keep when max bytes reached
-e/--loglevel LEVEL -- use LEVEL as log level (debug,info,warn,error,critical)
-j/--pidfile FILENAME -- write a pid file for the daemon process to FILENAME
-i/--identifier STR -- identifier used for this instance of supervisord
-q/--childlogdir DIRECTORY -- the log directory for child process logs
-k/--nocleanup --  prevent the process from performing cleanup (removal of
                   old automatic child log files) at startup.
-a/--minfds NUM -- the minimum number of file descriptors for start success
-t/--strip_ansi -- strip ansi escape codes from process output
--minprocs NUM  -- the minimum number of processes available for start success
--profile_options OPTIONS -- run supervisord under profiler and output
                             results based on OPTIONS, which  is a comma-sep'd
                             list of 'cumulative', 'calls', and/or 'callers',
                             e.g. 'cumulative,callers')
`;
