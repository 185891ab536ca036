// Which options each kind of section has, so that a key Supervisor would
// silently ignore (a typo such as `autostrat`) gets a warning naming its line.
import { RLIMIT_OPTIONS } from './rlimits';

export type SectionKind =
  | 'supervisord'
  | 'supervisorctl'
  | 'include'
  | 'unix_http_server'
  | 'inet_http_server'
  | 'program'
  | 'eventlistener'
  | 'fcgi-program'
  | 'group'
  | 'plugin';

/** The kind of a section as Supervisor matches it (case-sensitive prefixes), or null if it ignores it. */
export function sectionKind(name: string): SectionKind | null {
  if (name === 'supervisord' || name === 'supervisorctl' || name === 'include') return name;
  if (name.startsWith('unix_http_server')) return 'unix_http_server';
  if (name.startsWith('inet_http_server')) return 'inet_http_server';
  if (name.startsWith('program:')) return 'program';
  if (name.startsWith('eventlistener:')) return 'eventlistener';
  if (name.startsWith('fcgi-program:')) return 'fcgi-program';
  if (name.startsWith('group:')) return 'group';
  if (name.startsWith('rpcinterface:') || name.startsWith('ctlplugin:')) return 'plugin';
  return null;
}

const PROGRAM = [
  'command', 'process_name', 'numprocs', 'numprocs_start', 'priority', 'autostart', 'autorestart', 'startsecs',
  'startretries', 'exitcodes', 'stopsignal', 'stopwaitsecs', 'stopasgroup', 'killasgroup', 'user', 'directory',
  'umask', 'redirect_stderr', 'environment', 'environment_file', 'serverurl', 'pty', 'stopastree', 'fatalretrysecs', 'restartpause', 'depends_on',
  'healthcheck', 'healthcheck_interval', 'healthcheck_timeout', 'healthcheck_retries', 'healthcheck_start_period',
  'max_memory_restart', 'max_memory_interval', ...RLIMIT_OPTIONS,
  'restart_when_binary_changed', 'restart_signal_when_binary_changed', 'restart_directory_monitor', 'restart_file_pattern', 'restart_signal_when_file_changed',
  'restart_cmd_when_binary_changed', 'restart_cmd_when_file_changed', 'cron', 'cron_restart', 'pre_start_hook', 'pre_stop_hook', 'pre_start_hook_timeout',
  ...['stdout', 'stderr'].flatMap((c) =>
    ['logfile', 'logfile_maxbytes', 'logfile_backups', 'capture_maxbytes', 'events_enabled', 'syslog', 'logfile_timestamps', 'logfile_prefix', 'logfile_compress', 'logfile_rotate'].map((o) => `${c}_${o}`),
  ),
];

/** Known options per kind; null means any key is meaningful (plugin kwargs). */
export const KNOWN_OPTIONS: Record<SectionKind, ReadonlySet<string> | null> = {
  supervisord: new Set([
    'logfile', 'logfile_maxbytes', 'logfile_backups', 'logfile_rotate', 'loglevel', 'pidfile', 'umask', 'nodaemon', 'silent', 'minfds',
    'minprocs', 'nocleanup', 'childlogdir', 'user', 'directory', 'strip_ansi', 'environment', 'identifier',
  ]),
  supervisorctl: new Set(['serverurl', 'username', 'password', 'prompt', 'history_file']),
  include: new Set(['files']),
  unix_http_server: new Set(['file', 'chmod', 'chown', 'username', 'password']),
  inet_http_server: new Set(['port', 'username', 'password']),
  program: new Set(PROGRAM),
  eventlistener: new Set([...PROGRAM, 'events', 'buffer_size', 'result_handler']),
  'fcgi-program': new Set([...PROGRAM, 'socket', 'socket_backlog', 'socket_owner', 'socket_mode']),
  group: new Set(['programs', 'priority', 'depends_on']),
  plugin: null,
};
