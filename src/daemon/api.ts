// The engine's API for the RPC layer, the ctl and the web page, with the
// semantics and faults of Supervisor's rpcinterface.py. Methods that
// Supervisor answers with a deferred ("wait") return Promises that settle when
// the state machine says so: they wait on the event stream, never by polling,
// and never block other work.
import { existsSync } from 'node:fs';
import type { Config, GroupConfig } from '../config/model';
import { namespec, splitNamespec } from '../config/model';
import { pyStrCompare } from '../config/ini';
import { signalNumber } from '../config/datatypes';
import { readFile, tailFile, ReadLogError, type TailResult } from '../log/readlog';
import { rereadSettings, type Supervisor } from './supervisor';
import type { ProcessGroup } from './group';
import type { PendingStart, ScheduledNext, Subprocess } from './process';
import { CommandError } from './spawn';
import { groupsDependenciesFirst } from './dependencies';
import { Faults, SupervisorFault, type ProcessResult } from './faults';
import {
  ProcessState,
  RUNNING_STATES,
  SIGNALLABLE_STATES,
  STOPPED_STATES,
  SupervisorState,
  processStateName,
  supervisorStateName,
} from './states';
import { localDate } from '../log/asctime';
import { API_VERSION } from '../rpc/api-version';

/**
 * An argument the RPC layer converts only when the method gets to it:
 * Supervisor looks the name up (BAD_NAME) and the log file (NO_FILE) before
 * it calls int() on an offset or reads a signal, so a badly typed one is
 * INCORRECT_PARAMETERS only for a name and a file that exist.
 */
export type Later<T> = T | (() => T);
const now = <T extends string | number>(v: Later<T>): T => (typeof v === 'function' ? v() : v);

/** getProcessInfo's struct, every key Supervisor returns (a type, not an interface, so that it is an XML-RPC struct to the compiler). */
export type ProcessInfo = {
  name: string;
  group: string;
  start: number;
  stop: number;
  now: number;
  state: number;
  statename: string;
  spawnerr: string;
  exitstatus: number;
  logfile: string;
  stdout_logfile: string;
  stderr_logfile: string;
  pid: number;
  description: string;
};

/** A row of the web page: the process's info, and whether a start of it is pending (tsv's fatalretrysecs, depends_on, healthcheck), which a stop calls off. */
export interface ProcessRow {
  info: ProcessInfo;
  startPending: boolean;
}

export type ConfigInfoValue = string | number | boolean | number[];
export type ConfigInfo = Record<string, ConfigInfoValue>;

/** What the daemon around the engine provides (the lifecycle owns these). */
export interface EngineHost {
  /** supervisord's pid */
  pid(): number;
  /** path of the main log, or null (syslog) */
  mainLogfile(): string | null;
  /** remove and reopen the main log (clearLog) */
  clearMainLog(): void;
  /** parse the config file again (reloadConfig); throws with a message on error */
  rereadConfig(): Config;
  supervisorVersion: string;
}

/** What stop acts on: a running process, or one the engine would start unasked (fatalretrysecs, depends_on). */
const stoppable = (p: Subprocess): boolean => RUNNING_STATES.has(p.state) || p.startPending;

/**
 * The answer to a call that goes on after its first steps (depends_on): the
 * wait itself, or, for wait=false, true at once, as Supervisor's does (a
 * failure later is the main log's to tell).
 */
function answer(work: Promise<true>, wait: boolean): true | Promise<true> {
  if (wait) return work;
  work.catch(() => {});
  return true;
}

const INT32_MAX = 2 ** 31 - 1;
const cap = (n: number): number => Math.min(Math.floor(n), INT32_MAX);

/** Python's str(timedelta) for a non-negative number of whole seconds. */
export function pyTimedelta(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const days = Math.floor(s / 86400);
  const rest = s % 86400;
  const hms = `${Math.floor(rest / 3600)}:${String(Math.floor((rest % 3600) / 60)).padStart(2, '0')}:${String(rest % 60).padStart(2, '0')}`;
  return days ? `${days} day${days === 1 ? '' : 's'}, ${hms}` : hms;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime('%b %d %I:%M %p') in local time */
export function stopTimeText(epochSeconds: number): string {
  const d = localDate(epochSeconds * 1000);
  const h12 = d.getHours() % 12 || 12;
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, '0')} ${String(h12).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')} ${d.getHours() < 12 ? 'AM' : 'PM'}`;
}

/**
 * Supervisor's description, then (tsv only, after a comma, so that
 * Supervisor's words stay first for scripts that read them) what its looks
 * say of a RUNNING program with a healthcheck, or what a start the engine
 * will make by itself waits for: `retrying in 0:04:58 (fatalretrysecs)`,
 * `waiting for db (depends_on)`, `starting again in 0:00:20 (healthcheck)`.
 */
export function describe(
  info: Omit<ProcessInfo, 'description'>,
  health: string | null = null,
  pending: PendingStart | null = null,
  scheduled: ScheduledNext | null = null,
): string {
  const supervisors = supervisorDescription(info);
  const ours = [info.state === ProcessState.RUNNING ? health : pending && pendingText(pending)];
  // a start on a schedule says less than a start already waited for
  if (scheduled && (info.state === ProcessState.RUNNING || !pending)) ours.push(scheduledText(scheduled));
  const said = ours.filter(Boolean);
  return said.length ? `${supervisors}, ${said.join(', ')}` : supervisors;
}

/** `next start Nov 27 04:00 AM (cron)`, `restart at Nov 27 04:00 AM (cron_restart)` */
function scheduledText(s: ScheduledNext): string {
  return `${s.for === 'cron' ? 'next start' : 'restart at'} ${stopTimeText(s.at / 1000)} (${s.for})`;
}

function supervisorDescription(info: Omit<ProcessInfo, 'description'>): string {
  switch (info.state) {
    case ProcessState.RUNNING:
      return `pid ${info.pid}, uptime ${pyTimedelta(Math.floor(info.now) - Math.floor(info.start))}`;
    case ProcessState.FATAL:
    case ProcessState.BACKOFF:
      return info.spawnerr || `unknown error (try "tail ${info.name}")`;
    case ProcessState.STOPPED:
    case ProcessState.EXITED:
      return info.start ? stopTimeText(info.stop) : 'Not started';
    default:
      return '';
  }
}

function pendingText(p: PendingStart): string {
  switch (p.for) {
    case 'fatalretrysecs':
      return `retrying in ${pyTimedelta(Math.ceil(p.inSeconds))} (fatalretrysecs)`;
    case 'healthcheck':
    case 'max_memory_restart':
    case 'restart_when_binary_changed':
    case 'restart_directory_monitor':
    case 'cron_restart':
    case 'restartpause':
      return `starting again in ${pyTimedelta(Math.ceil(p.inSeconds))} (${p.for})`;
    case 'depends_on':
      return `waiting for ${p.waitingFor.join(', ')} (depends_on)`;
  }
}

export class EngineApi {
  constructor(
    readonly engine: Supervisor,
    private readonly host: EngineHost,
  ) {}

  private update(): void {
    if (this.engine.mood < SupervisorState.RUNNING) throw new SupervisorFault('SHUTDOWN_STATE');
  }

  /** Supervisor's _update(): SHUTDOWN_STATE once the daemon is stopping (for callers that check arguments first). */
  assertRunning(): void {
    this.update();
  }

  // --------------------------------------------------------------- daemon

  getAPIVersion(): string {
    this.update();
    return API_VERSION;
  }

  getSupervisorVersion(): string {
    this.update();
    return this.host.supervisorVersion;
  }

  getIdentification(): string {
    this.update();
    return this.engine.settings.identifier;
  }

  getState(): { statecode: number; statename: string } {
    this.update();
    const mood = this.engine.mood;
    return { statecode: mood, statename: supervisorStateName(mood) };
  }

  getPID(): number {
    this.update();
    return this.host.pid();
  }

  /** Path of the main log, or null when it goes to syslog (for /mainlogtail). */
  mainLogfile(): string | null {
    return this.host.mainLogfile();
  }

  readLog(offset: Later<number>, length: Later<number>): Buffer {
    this.update();
    const logfile = this.host.mainLogfile();
    // Supervisor names the option's value: 'syslog' when the log goes there
    if (logfile === null || !existsSync(logfile)) throw new SupervisorFault('NO_FILE', logfile ?? 'syslog');
    return readOrFault(logfile, now(offset), now(length));
  }

  clearLog(): true {
    this.update();
    const logfile = this.host.mainLogfile();
    if (logfile === null || !existsSync(logfile)) throw new SupervisorFault('NO_FILE');
    try {
      this.host.clearMainLog();
    } catch {
      throw new SupervisorFault('FAILED');
    }
    return true;
  }

  shutdown(): true {
    this.update();
    this.engine.shutdown();
    return true;
  }

  restart(): true {
    this.update();
    // Supervisor has no such refusal (it stops everything, then dies of the
    // config): CANT_REREAD, as reloadConfig refuses the same config
    const refused = this.engine.restart();
    if (refused !== null) throw new SupervisorFault('CANT_REREAD', refused);
    return true;
  }

  // --------------------------------------------------------------- config

  /** [[added, changed, removed]] group names; the new configs become what addProcessGroup picks from. */
  reloadConfig(): [[string[], string[], string[]]] {
    this.update();
    let next: Config;
    try {
      next = this.host.rereadConfig();
    } catch (e) {
      throw new SupervisorFault('CANT_REREAD', (e as Error).message);
    }
    this.engine.processGroupConfigs = next.groups;
    Object.assign(this.engine.settings, rereadSettings(next.supervisord));
    const { added, changed, removed } = this.engine.diffToActive(next.groups);
    return [[added.map((g) => g.name), groupsDependenciesFirst(changed).map((g) => g.name), removed.map((g) => g.name)]];
  }

  addProcessGroup(name: string): true {
    this.update();
    const cfg = this.engine.processGroupConfigs.find((g: GroupConfig) => g.name === name);
    if (!cfg) throw new SupervisorFault('BAD_NAME', name);
    if (!this.engine.addProcessGroup(cfg)) throw new SupervisorFault('ALREADY_ADDED', name);
    return true;
  }

  removeProcessGroup(name: string): true {
    this.update();
    if (!this.engine.groups.has(name)) throw new SupervisorFault('BAD_NAME', name);
    if (!this.engine.removeProcessGroup(name)) throw new SupervisorFault('STILL_RUNNING', name);
    return true;
  }

  getAllConfigInfo(): ConfigInfo[] {
    this.update();
    const out: ConfigInfo[] = [];
    const none = <T>(v: T | null): T | string => (v === null || v === undefined ? 'none' : v);
    for (const g of this.engine.processGroupConfigs) {
      const active = this.engine.groups.get(g.name);
      const inuse = active !== undefined;
      for (const p of g.processes) {
        // Supervisor writes AUTO log names into the config objects of the groups
        // it adds: a config added once (even if removed since) shows real paths,
        // a freshly re-read one "auto".
        const added = this.engine.addedLogPaths(p);
        const lf = (v: string | null, resolved: string | null | undefined): string =>
          v === 'AUTO' ? (added ? (resolved ?? 'none') : 'auto') : v === null ? 'none' : v;
        // key order as Supervisor 4.2.5 builds the struct
        out.push({
          autostart: p.autostart,
          directory: none(p.directory),
          uid: none(p.uid),
          command: p.command,
          exitcodes: p.exitcodes,
          group: g.name,
          group_prio: g.priority,
          inuse,
          killasgroup: p.killasgroup,
          name: p.name,
          process_prio: p.priority,
          redirect_stderr: p.redirect_stderr,
          startretries: p.startretries,
          startsecs: p.startsecs,
          stdout_capture_maxbytes: p.stdout_capture_maxbytes,
          stdout_events_enabled: p.stdout_events_enabled,
          stdout_logfile: lf(p.stdout_logfile, added?.stdout),
          stdout_logfile_backups: p.stdout_logfile_backups,
          stdout_logfile_maxbytes: p.stdout_logfile_maxbytes,
          stdout_syslog: p.stdout_syslog,
          stopsignal: signalNumber(p.stopsignal),
          stopwaitsecs: p.stopwaitsecs,
          stderr_capture_maxbytes: p.stderr_capture_maxbytes,
          stderr_events_enabled: p.stderr_events_enabled,
          stderr_logfile: lf(p.stderr_logfile, added?.stderr),
          stderr_logfile_backups: p.stderr_logfile_backups,
          stderr_logfile_maxbytes: p.stderr_logfile_maxbytes,
          stderr_syslog: p.stderr_syslog,
          // 4.2.5 keeps None for serverurl=AUTO (and absent)
          serverurl: none(p.serverurl),
        });
      }
    }
    // Python's sort is stable: equal names keep configuration order; code points, not UTF-16 units
    return out.sort((a, b) => pyStrCompare(String(a.name), String(b.name)));
  }

  // -------------------------------------------------------------- lookups

  private groupAndProcess(name: string): [ProcessGroup, Subprocess | null] {
    const [gname, pname] = splitNamespec(name);
    const group = this.engine.groups.get(gname);
    if (!group) throw new SupervisorFault('BAD_NAME', name);
    if (pname === null) return [group, null];
    const proc = group.processes.get(pname);
    if (!proc) throw new SupervisorFault('BAD_NAME', name);
    return [group, proc];
  }

  private process(name: string): Subprocess {
    const [, proc] = this.groupAndProcess(name);
    if (!proc) throw new SupervisorFault('BAD_NAME', name);
    return proc;
  }

  // ---------------------------------------------------------------- info

  getProcessInfo(name: string): ProcessInfo {
    this.update();
    return this.info(this.process(name));
  }

  info(proc: Subprocess): ProcessInfo {
    const base = {
      name: proc.name,
      group: proc.group,
      start: cap(proc.startedAt()),
      stop: cap(proc.laststop),
      now: cap(Date.now() / 1000),
      state: proc.state,
      statename: processStateName(proc.state),
      spawnerr: proc.spawnerr ?? '',
      exitstatus: proc.exitstatus ?? 0,
      logfile: proc.stdoutLogfile ?? '',
      stdout_logfile: proc.stdoutLogfile ?? '',
      stderr_logfile: proc.stderrLogfile ?? '',
      pid: proc.pid,
    };
    return { ...base, description: describe(base, proc.healthText, proc.pendingStart, proc.nextScheduled) };
  }

  getAllProcessInfo(): ProcessInfo[] {
    this.update();
    return this.engine.allProcesses(true).map(([, p]) => this.info(p));
  }

  /**
   * The web page's rows: getAllProcessInfo also while the daemon shuts down
   * (the page shows the programs stopping), with what its Stop can act on that
   * the state alone does not show (a pending start).
   */
  processRows(): ProcessRow[] {
    return this.engine.allProcesses(true).map(([, p]) => ({ info: this.info(p), startPending: p.startPending }));
  }

  // -------------------------------------------------------- start / stop

  async startProcess(name: string, wait = true): Promise<true | ProcessResult[]> {
    this.update();
    const [group, proc] = this.groupAndProcess(name);
    if (!proc) return this.startProcessGroup(group.name, wait);
    return this.startOne(name, proc, wait);
  }

  /**
   * startProcess for one process: throws or answers at once, or returns the
   * wait (Supervisor's deferred callback). Group operations tell the two
   * apart, as Supervisor does, to order their results.
   */
  private startOne(name: string, proc: Subprocess, wait: boolean): true | Promise<true> {
    if (!this.engine.dependencies.unmet(proc).length || RUNNING_STATES.has(proc.state)) return this.startNow(name, proc, wait);
    // with wait=false the dependencies and then the process go on starting
    return answer(this.startAfterDependencies(name, proc, wait), wait);
  }

  /**
   * depends_on: the dependencies that are not RUNNING are started first (their
   * own first), as systemd starts what a unit requires, and the process once
   * they all run; SPAWN_ERROR when one of them does not get there.
   */
  private async startAfterDependencies(name: string, proc: Subprocess, wait: boolean): Promise<true> {
    proc.askStart();
    const starts = this.engine.dependencies.unmet(proc).map(async (spec) => {
      const d = this.engine.dependencies.find(spec);
      try {
        if (!d) throw new SupervisorFault('BAD_NAME', spec);
        if (!RUNNING_STATES.has(d.state)) await this.startOne(spec, d, true);
        // RUNNING, and answering its healthcheck if it has one
        await this.waitRunning(spec, d, true);
      } catch (e) {
        if (!(e instanceof SupervisorFault)) throw e;
        this.engine.logger.warn(`${name} not started: its dependency ${spec} did not start (${e.text}) (depends_on)`);
        throw new SupervisorFault('SPAWN_ERROR', name);
      }
    });
    // all of them at once, each settled (none is left unobserved) unless a stop calls the start off first
    const settled = await Promise.race([Promise.allSettled(starts), proc.startWaitEnded()]);
    const failed = settled?.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      proc.endStartWait();
      throw failed.reason;
    }
    // the engine starts an autostart program itself once its dependencies run
    if (RUNNING_STATES.has(proc.state)) return wait ? this.waitRunning(name, proc) : true;
    // as a start that a stop ends while STARTING is answered in Supervisor
    if (!proc.startWaiting) throw new SupervisorFault('ABNORMAL_TERMINATION', name);
    proc.endStartWait();
    return this.startNow(name, proc, wait);
  }

  /**
   * Until a process already starting (STARTING, or BACKOFF between tries) is
   * RUNNING (and, when `up`, answers its healthcheck); a fault when it stops trying.
   */
  private async waitRunning(name: string, proc: Subprocess, up = false): Promise<true> {
    for (;;) {
      if (up ? proc.up : proc.state === ProcessState.RUNNING) return true;
      if (!RUNNING_STATES.has(proc.state)) throw new SupervisorFault(proc.state === ProcessState.FATAL ? 'SPAWN_ERROR' : 'ABNORMAL_TERMINATION', name);
      await proc.nextChange();
    }
  }

  /** startProcess for one process whose dependencies (if any) run. */
  private startNow(name: string, proc: Subprocess, wait: boolean): true | Promise<true> {
    try {
      proc.checkCommand();
    } catch (e) {
      if (e instanceof CommandError) throw new SupervisorFault(e.fault, e.message);
      throw e;
    }
    if (RUNNING_STATES.has(proc.state)) throw new SupervisorFault('ALREADY_STARTED', name);
    if (proc.state === ProcessState.UNKNOWN) throw new SupervisorFault('FAILED', `${name} is in an unknown process state`);
    proc.spawn();
    // Supervisor reaps here too, but its fork returns before the child has
    // even exec'd, so a crash is practically always reported by the wait; our
    // spawn returns after exec, when a fast crasher may already be gone, and
    // reaping it here would turn the wait into an immediate answer (which
    // reorders group results and changes supervisorctl's exit status).
    if (proc.spawnerr) throw new SupervisorFault('SPAWN_ERROR', name);
    proc.transition();
    if (!wait || proc.state === ProcessState.RUNNING) return true;
    return this.waitStarted(name, proc);
  }

  private async waitStarted(name: string, proc: Subprocess): Promise<true> {
    // Looked at before the first wait, as Supervisor's onwait: a start while the
    // process is STOPPING (its spawn only warns 'already running') fails at once
    // rather than when the stop has ended, up to stopwaitsecs later.
    for (;; await proc.nextChange()) {
      const state = proc.state as ProcessState;
      const fault = proc.spawnerr ? 'SPAWN_ERROR' : state !== ProcessState.STARTING && state !== ProcessState.RUNNING ? 'ABNORMAL_TERMINATION' : null;
      if (fault) {
        // Supervisor answers from its loop after the transition pass that
        // follows the exit (BACKOFF -> FATAL when out of retries): let the
        // engine's queued pass run first, so the client never sees the
        // in-between state
        await new Promise<void>((resolve) => setImmediate(resolve));
        throw new SupervisorFault(fault, name);
      }
      if (state === ProcessState.RUNNING) return true;
    }
  }

  async startProcessGroup(name: string, wait = true): Promise<ProcessResult[]> {
    this.update();
    const group = this.engine.groups.get(name);
    if (!group) throw new SupervisorFault('BAD_NAME', name);
    const procs = this.engine.allProcesses().filter(([g]) => g === group);
    return this.allFunc(this.engine.dependencies.dependenciesFirst(procs, ([, p]) => p), (p) => !RUNNING_STATES.has(p.state), (spec, p) => this.startOne(spec, p, wait));
  }

  async startAllProcesses(wait = true): Promise<ProcessResult[]> {
    this.update();
    const procs = this.engine.dependencies.dependenciesFirst(this.engine.allProcesses(), ([, p]) => p);
    return this.allFunc(procs, (p) => !RUNNING_STATES.has(p.state), (spec, p) => this.startOne(spec, p, wait));
  }

  async stopProcess(name: string, wait = true, gone?: AbortSignal): Promise<true | ProcessResult[]> {
    this.update();
    const [group, proc] = this.groupAndProcess(name);
    if (!proc) return this.stopProcessGroup(group.name, wait, gone);
    return this.stopOne(name, proc, wait, gone);
  }

  /** stopProcess for one process: throws or answers at once, or returns the wait. */
  private stopOne(name: string, proc: Subprocess, wait: boolean, gone?: AbortSignal): true | Promise<true> {
    if (proc.startPending) {
      proc.callOffStart();
      // stopping for a restart of the engine's own: the stop under way is this one now
      return !wait || STOPPED_STATES.has(proc.state) ? true : this.waitStopped(proc, gone);
    }
    if (!RUNNING_STATES.has(proc.state)) throw new SupervisorFault('NOT_RUNNING', name);
    const msg = proc.stop();
    if (msg !== null) throw new SupervisorFault('FAILED', msg);
    // no immediate reap (Supervisor's finds nothing this soon after the kill;
    // ours could, and would reorder group results): the exit comes by SIGCHLD
    if (!wait || STOPPED_STATES.has(proc.state)) return true;
    return this.waitStopped(proc, gone);
  }

  /**
   * Until the process has stopped, with "waiting for NAME to stop" every 2 s
   * while the client waits: as Supervisor's deferred answer does, not once
   * the client has gone (`gone`).
   */
  private async waitStopped(proc: Subprocess, gone?: AbortSignal): Promise<true> {
    if (STOPPED_STATES.has(proc.state)) return true;
    // the first report after every kill of the request (`stop all`): Supervisor's
    // make_allfunc sends them all before its first look at the answers
    await Promise.resolve();
    const unwatch = gone?.aborted ? null : proc.watchStop();
    if (unwatch) gone?.addEventListener('abort', unwatch, { once: true });
    try {
      while (!STOPPED_STATES.has(proc.state)) await proc.nextChange();
    } finally {
      unwatch?.();
      if (unwatch) gone?.removeEventListener('abort', unwatch);
    }
    return true;
  }

  async stopProcessGroup(name: string, wait = true, gone?: AbortSignal): Promise<ProcessResult[]> {
    this.update();
    const group = this.engine.groups.get(name);
    if (!group) throw new SupervisorFault('BAD_NAME', name);
    return this.stopMany(this.engine.allProcesses().filter(([g]) => g === group), wait, gone);
  }

  async stopAllProcesses(wait = true, gone?: AbortSignal): Promise<ProcessResult[]> {
    this.update();
    return this.stopMany(this.engine.allProcesses(), wait, gone);
  }

  /**
   * A stop of several: a process that others among them wait for (depends_on)
   * is stopped once they have stopped, so they can still use it as they end
   * (Supervisor's issue #520).
   */
  private stopMany(all: [ProcessGroup, Subprocess][], wait: boolean, gone?: AbortSignal): Promise<ProcessResult[]> {
    const procs = this.engine.dependencies.dependentsFirst(all, ([, p]) => p);
    const among = new Set(procs.map(([, p]) => p));
    return this.allFunc(procs, stoppable, (spec, p) => {
      const first = this.engine.dependencies.dependentsOf(p).filter((d) => among.has(d) && !d.isStopped());
      if (!first.length) return this.stopOne(spec, p, wait, gone);
      const stopped = (async (): Promise<true> => {
        for (const d of first) while (!d.isStopped()) await d.nextChange();
        return this.stopOne(spec, p, wait, gone);
      })();
      return answer(stopped, wait);
    });
  }

  signalProcess(name: string, signal: Later<string | number>): true | ProcessResult[] {
    this.update();
    const [group, proc] = this.groupAndProcess(name);
    if (!proc) return this.signalProcessGroup(group.name, signal);
    const given = String(now(signal));
    let sig: number;
    try {
      sig = signalNumber(given);
    } catch {
      throw new SupervisorFault('BAD_SIGNAL', given);
    }
    if (!SIGNALLABLE_STATES.has(proc.state)) throw new SupervisorFault('NOT_RUNNING', name);
    const msg = proc.signal(sig);
    if (msg !== null) throw new SupervisorFault('FAILED', msg);
    return true;
  }

  signalProcessGroup(name: string, signal: Later<string | number>): ProcessResult[] {
    const group = this.engine.groups.get(name);
    this.update();
    if (!group) throw new SupervisorFault('BAD_NAME', name);
    const procs = this.engine.allProcesses().filter(([g]) => g === group);
    const out = this.allSync(procs, (p) => SIGNALLABLE_STATES.has(p.state), (spec) => this.signalProcess(spec, signal));
    this.update();
    return out;
  }

  signalAllProcesses(signal: Later<string | number>): ProcessResult[] {
    const out = this.allSync(this.engine.allProcesses(), (p) => SIGNALLABLE_STATES.has(p.state), (spec) => this.signalProcess(spec, signal));
    this.update();
    return out;
  }

  /**
   * make_allfunc: every matching process at once. Supervisor lists the
   * processes answered at once first (in process order), then the waiting
   * ones as its 50 ms polls find them done, each poll in process order. Same
   * here: immediate answers first in process order, then the waits in
   * completion order, those ending within 50 ms of each other in process
   * order. (The answer is not delayed: it goes out as soon as the last
   * process is done.)
   */
  private async allFunc(
    procs: [ProcessGroup, Subprocess][],
    predicate: (p: Subprocess) => boolean,
    fn: (spec: string, proc: Subprocess) => true | Promise<true>,
  ): Promise<ProcessResult[]> {
    const results: ProcessResult[] = [];
    const result = (g: ProcessGroup, p: Subprocess, e?: SupervisorFault): ProcessResult =>
      e ? { name: p.name, group: g.name, status: e.code, description: e.text } : { name: p.name, group: g.name, status: Faults.SUCCESS, description: 'OK' };
    const waits: Promise<void>[] = [];
    const ready = new Map<number, ProcessResult>();
    let window: NodeJS.Timeout | null = null;
    const flush = (): void => {
      if (window) clearTimeout(window);
      window = null;
      for (const i of [...ready.keys()].sort((a, b) => a - b)) results.push(ready.get(i) as ProcessResult);
      ready.clear();
    };
    const settle = (i: number, r: ProcessResult): void => {
      ready.set(i, r);
      window ??= setTimeout(flush, 50);
    };
    procs.forEach(([g, p], i) => {
      if (!predicate(p)) return;
      const spec = namespec(g.name, p.name);
      let out: true | Promise<true>;
      try {
        this.update();
        out = fn(spec, p);
      } catch (e) {
        if (!(e instanceof SupervisorFault)) throw e;
        results.push(result(g, p, e));
        return;
      }
      if (out === true) {
        results.push(result(g, p));
        return;
      }
      waits.push(
        out.then(
          () => settle(i, result(g, p)),
          (e: unknown) => {
            if (!(e instanceof SupervisorFault)) throw e;
            settle(i, result(g, p, e));
          },
        ),
      );
    });
    await Promise.all(waits);
    flush();
    return results;
  }

  private allSync(procs: [ProcessGroup, Subprocess][], predicate: (p: Subprocess) => boolean, fn: (spec: string) => unknown): ProcessResult[] {
    const results: ProcessResult[] = [];
    for (const [g, p] of procs) {
      if (!predicate(p)) continue;
      try {
        fn(namespec(g.name, p.name));
        results.push({ name: p.name, group: g.name, status: Faults.SUCCESS, description: 'OK' });
      } catch (e) {
        if (!(e instanceof SupervisorFault)) throw e;
        results.push({ name: p.name, group: g.name, status: e.code, description: e.text });
      }
    }
    return results;
  }

  // ----------------------------------------------------------------- logs

  private logfileOf(name: string, channel: 'stdout' | 'stderr'): string | null {
    const proc = this.process(name);
    return channel === 'stdout' ? proc.stdoutLogfile : proc.stderrLogfile;
  }

  readProcessLog(name: string, channel: 'stdout' | 'stderr', offset: Later<number>, length: Later<number>): Buffer {
    this.update();
    const logfile = this.logfileOf(name, channel);
    if (logfile === null || !existsSync(logfile)) throw new SupervisorFault('NO_FILE', logfile);
    return readOrFault(logfile, now(offset), now(length));
  }

  tailProcessLog(name: string, channel: 'stdout' | 'stderr', offset: Later<number>, length: Later<number>): TailResult {
    this.update();
    const logfile = this.logfileOf(name, channel);
    if (logfile === null || !existsSync(logfile)) return { data: Buffer.alloc(0), offset: 0, overflow: false };
    return tailFile(logfile, now(offset), now(length));
  }

  clearProcessLogs(name: string): true {
    this.update();
    const proc = this.process(name);
    try {
      proc.removeLogs();
    } catch {
      throw new SupervisorFault('FAILED', name);
    }
    return true;
  }

  async clearAllProcessLogs(): Promise<ProcessResult[]> {
    this.update();
    const results: ProcessResult[] = [];
    for (const [g, p] of this.engine.allProcesses()) {
      try {
        this.clearProcessLogs(namespec(g.name, p.name));
        results.push({ name: p.name, group: g.name, status: Faults.SUCCESS, description: 'OK' });
      } catch (e) {
        if (!(e instanceof SupervisorFault)) throw e;
        results.push({ name: p.name, group: g.name, status: e.code, description: e.text });
      }
    }
    return results;
  }

  sendProcessStdin(name: string, chars: string | Buffer): true {
    this.update();
    if (typeof chars !== 'string' && !Buffer.isBuffer(chars)) throw new SupervisorFault('INCORRECT_PARAMETERS', String(chars));
    const data = typeof chars === 'string' ? Buffer.from(chars, 'utf8') : chars;
    const proc = this.process(name);
    if (!proc.pid || proc.killing) throw new SupervisorFault('NOT_RUNNING', name);
    try {
      proc.write(data);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') throw new SupervisorFault('NO_FILE', name);
      // tsv's bound on input a program leaves unread (Supervisor holds any amount)
      if (code === 'ENOBUFS') throw new SupervisorFault('FAILED', (e as Error).message);
      throw e;
    }
    return true;
  }

  /** Emits REMOTE_COMMUNICATION; works in any mood, as in Supervisor. */
  sendRemoteCommEvent(type: string, data: string): true {
    this.engine.events.emit('remoteCommunication', { type, data });
    return true;
  }
}

function readOrFault(file: string, offset: number, length: number): Buffer {
  try {
    return readFile(file, offset, length);
  } catch (e) {
    if (e instanceof ReadLogError) throw new SupervisorFault(e.fault);
    throw e;
  }
}
