// What the host side needs to know from a supervisord.conf: where the socket
// and pidfile are, who writes which log, how long an ordered shutdown may
// take. Read from the config model, never from the text.
import { dirname, isAbsolute } from 'node:path';
import type { ConfigError } from '../config/errors';
import type { Config, InetServerConfig, ProcessConfig, UnixServerConfig } from '../config/model';
import { principalFor } from '../os/accounts';

export interface LogTarget {
  path: string;
  /** the process it belongs to, or null for the daemon's own log */
  process: ProcessConfig | null;
  channel: 'stdout' | 'stderr' | 'main';
  /**
   * the user that writes it: the daemon's ([supervisord] user=), null for the
   * user that starts the daemon. Child logs too: supervisord opens them, not
   * the program, whatever its user= (which only the program's own files need).
   */
  user: string | null;
  /** how many backups it is rotated into (NAME.1 …), 0 when it is not: the daemon's user must also create files in its directory */
  backups: number;
}

export interface ConfigFacts {
  unix: UnixServerConfig | null;
  inet: InetServerConfig[];
  /** what the ctl uses: [supervisorctl] serverurl, else the unix socket */
  serverurl: string | null;
  pidfile: string;
  mainLog: string | null;
  childlogdir: string;
  /** explicit log files (AUTO logs go to childlogdir, written by the daemon) */
  logs: LogTarget[];
  processes: ProcessConfig[];
  /** seconds an ordered shutdown can take */
  stopTimeoutSec: number;
  /** the user the daemon drops to ([supervisord] user=), by name; null for root or none */
  daemonUser: string | null;
}

/** Paths that are not files on disk (syslog, the daemon's stdout under systemd). */
export function isRealLogPath(p: string | null): p is string {
  return p !== null && p !== 'syslog' && p !== 'AUTO' && !p.startsWith('/dev/') && !p.startsWith('/proc/');
}

/**
 * supervisord stops groups one after another, highest priority first, and
 * moves on only when a group is fully stopped (ordered_stop_groups_phase_2),
 * so the worst case is the sum of each group's longest stopwaitsecs. A margin
 * covers the daemon's own exit.
 */
export function stopTimeoutSec(config: Config, marginSec = 10): number {
  let total = 0;
  for (const g of config.groups) {
    let max = 0;
    for (const p of g.processes) max = Math.max(max, p.stopwaitsecs);
    total += max;
  }
  return Math.max(30, total + marginSec);
}

function nonRootName(user: string | null): string | null {
  const who = principalFor(user);
  return who && who.uid !== 0 ? who.name : null;
}

export function configFacts(config: Config): ConfigFacts {
  const unix = (config.servers.find((s) => s.family === 'unix') as UnixServerConfig | undefined) ?? null;
  const inet = config.servers.filter((s): s is InetServerConfig => s.family === 'inet');
  let serverurl: string | null = config.supervisorctl.present ? config.supervisorctl.serverurl : null;
  if (!serverurl && unix) serverurl = `unix://${unix.file}`;
  const processes = config.groups.flatMap((g) => g.processes);
  const logs: LogTarget[] = [];
  const sd = config.supervisord;
  const rotates = (maxbytes: number, backups: number, period: unknown): number => (maxbytes > 0 || period !== null ? backups : 0);
  if (isRealLogPath(sd.logfile)) logs.push({ path: sd.logfile, process: null, channel: 'main', user: sd.user, backups: rotates(sd.logfile_maxbytes, sd.logfile_backups, sd.logfile_rotate) });
  for (const p of processes) {
    for (const channel of ['stdout', 'stderr'] as const) {
      if (channel === 'stderr' && p.redirect_stderr) continue;
      const [target, maxbytes, backups, period] =
        channel === 'stdout'
          ? [p.stdout_logfile, p.stdout_logfile_maxbytes, p.stdout_logfile_backups, p.stdout_logfile_rotate]
          : [p.stderr_logfile, p.stderr_logfile_maxbytes, p.stderr_logfile_backups, p.stderr_logfile_rotate];
      if (isRealLogPath(target)) logs.push({ path: target, process: p, channel, user: sd.user, backups: rotates(maxbytes, backups, period) });
    }
  }
  return {
    unix,
    inet,
    serverurl,
    pidfile: sd.pidfile,
    mainLog: isRealLogPath(sd.logfile) ? sd.logfile : null,
    childlogdir: sd.childlogdir,
    logs,
    processes,
    stopTimeoutSec: stopTimeoutSec(config),
    daemonUser: nonRootName(sd.user),
  };
}

/** Directories the logs live in, deduplicated. */
export function logDirs(facts: ConfigFacts): string[] {
  return [...new Set([...facts.logs.map((l) => dirname(l.path)), facts.childlogdir])];
}

export const LOG_DIR_OPTIONS = new Set(['logfile', 'stdout_logfile', 'stderr_logfile', 'childlogdir']);
export const RUN_DIR_OPTIONS = new Set(['pidfile', 'file']);

/**
 * The directory a config error says is missing: the reader refuses a log,
 * pidfile or socket path in a directory that does not exist (as Supervisor
 * does), and that is a directory install and doctor may create.
 */
export function missingDirOf(err: ConfigError): string | null {
  if (!err.option || !(LOG_DIR_OPTIONS.has(err.option) || RUN_DIR_OPTIONS.has(err.option))) return null;
  const a = err.message.match(/^The directory named as part of the path (.+) does not exist$/);
  if (a && isAbsolute(a[1])) return dirname(a[1]);
  const b = err.message.match(/^(.+) is not an existing directory$/);
  if (b && isAbsolute(b[1])) return b[1];
  return null;
}
