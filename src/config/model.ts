// The configuration model: what a supervisord.conf means once Supervisor's
// rules have been applied. Field names follow Supervisor's own (ProcessConfig,
// ServerOptions) so the RPC layer can report them unchanged.
import type { RlimitConfig } from './rlimits';

/** Where a value came from: a file and line, the built-in default, or the command line. */
export type ValueSource =
  | { kind: 'file'; file: string; line: number }
  | { kind: 'default' }
  | { kind: 'cli' };

export type LogLevelName = 'critical' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'blather';

/** Supervisor's autorestart: false = never, true = always, 'unexpected' = when the exit code is not in exitcodes. */
export type AutoRestart = false | true | 'unexpected';

/**
 * A child log target: 'AUTO' (a file in childlogdir chosen at group-add time),
 * null (no log), or an absolute-or-relative path. A path can never be the
 * string 'AUTO' because Supervisor reads that keyword case-insensitively.
 */
/** *_logfile_rotate / logfile_rotate (tsv only): the periods of local time a log is also rotated at (src/log/rotate-period.ts) */
export const ROTATE_PERIODS = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export type RotatePeriod = (typeof ROTATE_PERIODS)[number];

export type LogfileTarget = 'AUTO' | null | string;

export type GroupKind = 'program' | 'group' | 'eventlistener' | 'fcgi-program';

export interface ProcessConfig {
  /** Process name (process_name expanded). */
  name: string;
  /** Group the process belongs to. */
  group: string;
  /** The section it was read from, e.g. "program:web". */
  section: string;
  /** The x of [program:x]. */
  program: string;
  process_num: number;
  numprocs: number;
  command: string;
  directory: string | null;
  umask: number | null;
  priority: number;
  autostart: boolean;
  autorestart: AutoRestart;
  startsecs: number;
  startretries: number;
  /** uid resolved from user= at parse time; null when user= is absent. */
  uid: number | null;
  /** user= as written (name or number), for display and the ctl. */
  user: string | null;
  stdout_logfile: LogfileTarget;
  stdout_logfile_maxbytes: number;
  stdout_logfile_backups: number;
  stdout_capture_maxbytes: number;
  stdout_events_enabled: boolean;
  stdout_syslog: boolean;
  /** tsv only: each line of the stdout log file begins with the time it was read */
  stdout_logfile_timestamps: boolean;
  /** tsv only: each line of the stdout log file begins with this text and a space (after the time, if stamped) */
  stdout_logfile_prefix: string | null;
  /** tsv only: rotated backups of the stdout log file are gzipped (NAME.1.gz …) */
  stdout_logfile_compress: boolean;
  /** tsv only: the stdout log file is also rotated when this period of local time begins */
  stdout_logfile_rotate: RotatePeriod | null;
  stderr_logfile: LogfileTarget;
  stderr_logfile_maxbytes: number;
  stderr_logfile_backups: number;
  stderr_capture_maxbytes: number;
  stderr_events_enabled: boolean;
  stderr_syslog: boolean;
  /** tsv only: the same for the stderr log file */
  stderr_logfile_timestamps: boolean;
  /** tsv only: the same for the stderr log file */
  stderr_logfile_prefix: string | null;
  /** tsv only: the same for the stderr log file */
  stderr_logfile_compress: boolean;
  /** tsv only: the same for the stderr log file */
  stderr_logfile_rotate: RotatePeriod | null;
  /** Signal name without the SIG prefix, e.g. "TERM". */
  stopsignal: string;
  stopwaitsecs: number;
  stopasgroup: boolean;
  killasgroup: boolean;
  exitcodes: number[];
  redirect_stderr: boolean;
  /**
   * tsv only: stdin, stdout and stderr are one pseudo-terminal (output logged
   * as stdout, no stderr channel), which `tsv attach` connects to.
   */
  pty: boolean;
  /**
   * tsv only: stopping signals every process the program started (also those
   * that left its process group), and when its main process ends, what it
   * left behind is ended before the exit counts (process-tree.ts).
   */
  stopastree: boolean;
  /**
   * tsv only: seconds after a program gave up (FATAL) before it is started
   * again, with startretries anew, for ever; 0 (the default): never, as
   * Supervisor (issue #487).
   */
  fatalretrysecs: number;
  /**
   * tsv only (ochinchina's supervisord has it too): seconds an automatic
   * restart after the program exited waits; 0 (the default): none, as
   * Supervisor (issue #323, PRs #509 and #659).
   */
  restartpause: number;
  /**
   * tsv only: the processes (namespecs) this one waits for: it is started only
   * once they are all RUNNING (a `start` starts them first) and stopped before
   * them at shutdown and in `stop all`. As written until the loader resolves
   * it (depends.ts).
   */
  depends_on: string[];
  /** tsv only: what tells a running program is well (null: nothing) */
  healthcheck: HealthCheckConfig | null;
  /** tsv only: how much memory a running program may hold before it is restarted (null: no limit) */
  max_memory_restart: MemoryLimitConfig | null;
  /** tsv only: resource limits the child sets before it switches to user= (rlimit_nofile=… ; ./rlimits.ts) */
  rlimits: RlimitConfig[];
  /**
   * tsv only (ochinchina's supervisord's options): restart the program when
   * the file its command runs is replaced (src/daemon/change-watch.ts)
   */
  restart_when_binary_changed: boolean;
  /** tsv only: send this signal (a name without SIG) instead of restarting; null: restart */
  restart_signal_when_binary_changed: string | null;
  /** tsv only: restart the program when a file under this directory (absolute) changes; null: none */
  restart_directory_monitor: string | null;
  /** tsv only: which files under restart_directory_monitor count (fnmatch patterns on the file's name) */
  restart_file_pattern: string[];
  /** tsv only: send this signal instead of restarting; null: restart */
  restart_signal_when_file_changed: string | null;
  /** tsv only (ochinchina's supervisord's option): a cron pattern at whose times the program is started unless it runs (src/daemon/cron.ts) */
  cron: string | null;
  /** tsv only (PM2's option): a cron pattern at whose times a running program is restarted */
  cron_restart: string | null;
  /** tsv only (ochinchina's name; systemd's ExecStartPre=): a command each start waits for; its failure fails the start */
  pre_start_hook: HookConfig | null;
  /** tsv only (ochinchina's name; systemd's ExecStop= before the signal): a command each stop runs before stopsignal */
  pre_stop_hook: HookConfig | null;
  /** [supervisord] environment= merged under the program's own environment=. */
  environment: Record<string, string>;
  /** tsv only: files of NAME=VALUE lines read at each spawn, over environment= (src/daemon/env-file.ts) */
  environment_file: EnvironmentFile[];
  /** null means AUTO: the daemon's own server URL is passed to the child. */
  serverurl: string | null;
  /** Where each option's value came from, keyed by option name. */
  sources: Record<string, ValueSource>;
}

/** One file of environment_file=: an absolute path; optional (written `-/path`): a missing file is no error, as in systemd. */
export interface EnvironmentFile {
  path: string;
  optional: boolean;
}

/** How often a healthcheck looks, how long a look may take, and how many failures restart (tsv only). */
interface HealthSettings {
  /** as written: the URL or the command line */
  target: string;
  /** seconds between looks (healthcheck_interval) */
  interval: number;
  /** seconds a look may take (healthcheck_timeout) */
  timeout: number;
  /** failed looks in a row that restart the program (healthcheck_retries) */
  retries: number;
  /**
   * seconds after RUNNING in which failed looks do not count, until the first
   * answer (healthcheck_start_period, docker's start_period); 0: none
   */
  startPeriod: number;
}

/** healthcheck=http(s)://HOST[:PORT]/PATH: a GET that must answer 2xx or 3xx. */
export interface HttpHealthCheck extends HealthSettings {
  kind: 'http';
  /** https: over TLS, the certificate not verified (the look asks whether it answers, as Kubernetes' HTTPS probes do) */
  tls: boolean;
  host: string;
  port: number;
  /** path and query */
  path: string;
}

/** healthcheck=tcp://HOST:PORT: a port that must accept a connection. */
export interface TcpHealthCheck extends HealthSettings {
  kind: 'tcp';
  host: string;
  port: number;
}

/** healthcheck=COMMAND: a command that must exit 0. */
export interface CommandHealthCheck extends HealthSettings {
  kind: 'command';
  /** its words (shell-word rules, as command='s) */
  argv: string[];
}

/** tsv only (healthcheck=): what is looked at while the program runs. */
export type HealthCheckConfig = HttpHealthCheck | TcpHealthCheck | CommandHealthCheck;

/** pre_start_hook= / pre_stop_hook=: a command run as the program's own processes are (Subprocess.runHook in src/daemon/process.ts, through health-command.ts). */
export interface HookConfig {
  /** as written, without a leading `-` */
  command: string;
  /** split as command= is */
  argv: string[];
  /** written with a leading `-` (systemd's prefix): a failure is logged and the start goes on */
  ignoreFailure: boolean;
  /** seconds it may run before its process group is killed */
  timeout: number;
}

/**
 * tsv only (max_memory_restart=, PM2's option of that name): a running
 * program whose processes hold more resident memory than `bytes` is
 * restarted; looked at every `interval` seconds (max_memory_interval).
 */
export interface MemoryLimitConfig {
  bytes: number;
  interval: number;
}

export type FcgiSocketConfig =
  | { family: 'unix'; url: string; path: string; owner: [number, number] | null; mode: number; backlog: number | null }
  | { family: 'inet'; url: string; host: string; port: number; backlog: number | null };

export interface GroupConfig {
  name: string;
  kind: GroupKind;
  priority: number;
  processes: ProcessConfig[];
  /** eventlistener pools only */
  buffer_size?: number;
  events?: string[];
  result_handler?: string;
  /** fcgi-program only */
  socket?: FcgiSocketConfig;
  section: string;
}

export interface UnixServerConfig {
  family: 'unix';
  name: string | null;
  section: string;
  file: string;
  chmod: number;
  /** [uid, gid]; -1 means unchanged. */
  chown: [number, number];
  username: string | null;
  password: string | null;
}

export interface InetServerConfig {
  family: 'inet';
  name: string | null;
  section: string;
  /** '' means all interfaces. */
  host: string;
  port: number;
  username: string | null;
  password: string | null;
}

export type ServerConfig = UnixServerConfig | InetServerConfig;

export interface SupervisordConfig {
  logfile: string;
  logfile_maxbytes: number;
  logfile_backups: number;
  /** tsv only: the main log is also rotated when this period of local time begins */
  logfile_rotate: RotatePeriod | null;
  loglevel: LogLevelName;
  pidfile: string;
  umask: number;
  nodaemon: boolean;
  silent: boolean;
  minfds: number;
  minprocs: number;
  nocleanup: boolean;
  childlogdir: string;
  user: string | null;
  uid: number | null;
  directory: string | null;
  strip_ansi: boolean;
  environment: Record<string, string>;
  identifier: string;
  sources: Record<string, ValueSource>;
}

export interface SupervisorctlConfig {
  /** Present when the file has a [supervisorctl] section. */
  present: boolean;
  serverurl: string;
  username: string | null;
  password: string | null;
  prompt: string;
  history_file: string | null;
}

export interface PluginConfig {
  kind: 'rpcinterface' | 'ctlplugin';
  name: string;
  factory: string;
  extras: Record<string, string>;
}

export interface ConfigWarning {
  message: string;
  file?: string;
  line?: number;
  section?: string;
  option?: string;
  hint?: string;
  /** an error of a section only supervisorctl reads: the daemon starts, `tsv config check` refuses the file */
  refusedBy?: 'supervisorctl';
  /** Supervisor's own warning, which supervisord logs in these words (no file or line before them) */
  supervisor?: true;
}

export interface Config {
  /** Absolute path of the main file. */
  file: string;
  /** Directory of the main file (%(here)s). */
  here: string;
  /** Files read by [include], in reading order. */
  included: string[];
  supervisord: SupervisordConfig;
  servers: ServerConfig[];
  supervisorctl: SupervisorctlConfig;
  /** Sorted as Supervisor sorts them: by priority, then name. */
  groups: GroupConfig[];
  plugins: PluginConfig[];
  /** Supervisor's parse_warnings and our own extra ones. */
  warnings: ConfigWarning[];
  /** Supervisor's parse_infos (e.g. "Included extra file ..."). */
  infos: string[];
  /** The URL children get as SUPERVISOR_SERVER_URL when serverurl is AUTO. */
  serverurl: string | null;
}

/** Every event type name Supervisor knows (events.EventTypes). */
export const EVENT_TYPE_NAMES = [
  'EVENT', 'PROCESS_STATE', 'PROCESS_STATE_STOPPED', 'PROCESS_STATE_EXITED', 'PROCESS_STATE_STARTING',
  'PROCESS_STATE_STOPPING', 'PROCESS_STATE_BACKOFF', 'PROCESS_STATE_FATAL', 'PROCESS_STATE_RUNNING',
  'PROCESS_STATE_UNKNOWN', 'PROCESS_COMMUNICATION', 'PROCESS_COMMUNICATION_STDOUT',
  'PROCESS_COMMUNICATION_STDERR', 'PROCESS_LOG', 'PROCESS_LOG_STDOUT', 'PROCESS_LOG_STDERR',
  'REMOTE_COMMUNICATION', 'SUPERVISOR_STATE_CHANGE', 'SUPERVISOR_STATE_CHANGE_RUNNING',
  'SUPERVISOR_STATE_CHANGE_STOPPING', 'TICK', 'TICK_5', 'TICK_60', 'TICK_3600', 'PROCESS_GROUP',
  'PROCESS_GROUP_ADDED', 'PROCESS_GROUP_REMOVED',
] as const;
/**
 * tsv's own event types (healthcheck=, max_memory_restart=): roots of their
 * own, outside Supervisor's EVENT, so a listener subscribed to EVENT never
 * gets a type Supervisor lacks; a listener names them to get them.
 */
export const TSV_EVENT_TYPE_NAMES = ['PROCESS_HEALTH', 'PROCESS_HEALTH_HEALTHY', 'PROCESS_HEALTH_UNHEALTHY', 'PROCESS_MEMORY_RESTART'] as const;
export type EventTypeName = (typeof EVENT_TYPE_NAMES)[number] | (typeof TSV_EVENT_TYPE_NAMES)[number];

/** Namespec as Supervisor prints it: "name" when group == name, else "group:name". */
export function namespec(group: string, name: string): string {
  return group === name ? name : `${group}:${name}`;
}

/** rpcinterface split_namespec: [group, process], process null for `group:*` or `group:` */
export function splitNamespec(spec: string): [string, string | null] {
  const i = spec.indexOf(':');
  if (i < 0) return [spec, spec];
  const group = spec.slice(0, i);
  const proc = spec.slice(i + 1);
  return [group, !proc || proc === '*' ? null : proc];
}
