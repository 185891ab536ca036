// Everything a backend needs to write and run the service, resolved once by
// install (and rebuilt by doctor from the manifest).
import type { ConfigFacts } from './config-facts';
import type { HostLayout } from './layout';
import type { FileSpec } from './executor';
import type { RunResult } from './run';
import type { InitSystem, Scope } from './types';

export interface ServiceSpec {
  scope: Scope;
  layout: HostLayout;
  configFile: string;
  /** argv prefix that runs tsv (ctl, wait-ready) */
  tsv: string[];
  /** argv prefix that runs the daemon; `-n -c FILE` follow */
  daemon: string[];
  socket: string;
  pidfile: string;
  runDir: string;
  logDir: string;
  /** the daemon's own log (config logfile=), when it is a file */
  mainLog: string | null;
  stopTimeoutSec: number;
  /** a system service's daemon that drops to this user ([supervisord] user=): the service starts it as that user */
  daemonUser: string | null;
}

export function daemonArgv(spec: ServiceSpec): string[] {
  return [...spec.daemon, '-n', '-c', spec.configFile];
}

export interface ServiceState {
  /** the definition file exists */
  installed: boolean;
  /** starts at boot (null: cannot tell) */
  enabled: boolean | null;
  /** runs now (null: cannot tell) */
  active: boolean | null;
  /** a user's service manager does not run (no session, no lingering): nothing about the unit can be asked */
  managerDown?: boolean;
  /** the last run failed (systemd keeps it failed until reset) */
  failed?: boolean;
  /** the init system's own words, for reports */
  detail: string;
}

/** Runs commands for a backend: the install Executor, or uninstall's runner. */
export interface Runner {
  run(argv: string[], why: string): RunResult;
  mustRun(argv: string[], why: string): RunResult;
}

export interface Backend {
  readonly init: InitSystem;
  /** the service definition (unit, script, plist) that tsv install writes */
  definitionPath(spec: ServiceSpec): string;
  /** the definition the init system runs: tsv install's, else a package's (systemd's /lib or /usr/lib); null when there is none */
  inEffect(spec: ServiceSpec): string | null;
  files(spec: ServiceSpec): FileSpec[];
  /** Make the init system see changed files, enable at boot, start (or restart when changed). */
  activate(runner: Runner, spec: ServiceSpec, changed: boolean): void;
  state(spec: ServiceSpec): ServiceState;
  /** The init system's lines about why the service is not running. */
  diagnostics(spec: ServiceSpec): string;
  /** Enable at boot (doctor --fix). */
  enable(runner: Runner, spec: ServiceSpec): void;
  /** Start now, clearing a failed state first (doctor --fix). */
  start(runner: Runner, spec: ServiceSpec): void;
  /** Make the init system read a rewritten definition, without restarting. */
  reload(runner: Runner, spec: ServiceSpec): void;
  /** Stop and disable, before the files go. */
  deactivate(runner: Runner, spec: ServiceSpec): void;
  /** After the files are gone. */
  afterRemove(runner: Runner, spec: ServiceSpec): void;
  /**
   * Why the init system cannot run the service here now (an image being built
   * in a chroot: systemd installed, not running), or null. Then only what
   * works offline is done (enable), and the service starts at the first boot.
   */
  notRunning?(spec: ServiceSpec): string | null;
  /** The daemon command the installed definition runs, as argv (doctor). */
  installedCommand(spec: ServiceSpec): string[] | null;
}

export function buildSpec(scope: Scope, layout: HostLayout, configFile: string, tsv: string[], daemon: string[], facts: ConfigFacts | null): ServiceSpec {
  const socket = facts?.unix?.file ?? layout.socket;
  return {
    scope,
    layout,
    configFile,
    tsv,
    daemon,
    socket,
    pidfile: facts?.pidfile ?? layout.pidfile,
    runDir: layout.runDir,
    logDir: layout.logDir,
    mainLog: facts ? facts.mainLog : layout.mainLog,
    stopTimeoutSec: facts?.stopTimeoutSec ?? 30,
    daemonUser: scope === 'system' ? (facts?.daemonUser ?? null) : null,
  };
}
