// The engine (supervisord.py Supervisor): groups, the transition pass in
// priority order, reaping, ordered shutdown, and config diffs for reload.
// It never polls: a pass runs when a timer, a child exit, a request or a mood
// change asks for one.
import type { Config, GroupConfig, ProcessConfig, SupervisordConfig } from '../config/model';
import { MainLogger } from '../log/mainlog';
import { autoChildLogName } from '../log/autolog';
import { rotationPath } from '../log/logfile';
import { EventBus } from './events';
import { ProcessGroup, sortByPriority } from './group';
import { Dependencies } from './dependencies';
import { PoolRolls } from './pool-roll';
import { DaemonRestartPace } from './restart-pace';
import { pyStrCompare } from '../config/ini';
import { resolvedSpec } from '../config/import-spec';
import { FcgiSocket } from './fcgi-socket';
import { Subprocess, msUntil, type LogPaths, type ProcessHost } from './process';
import { SupervisorState, processStateName, supervisorStateName } from './states';
import { decodeWaitStatus } from './signals';
import { requireNative } from './native';
import { EventHub } from '../events/hub';
import { dropGzipJobs } from '../log/backup-gzip';

export interface EngineInit {
  config: Config;
  logger: MainLogger;
  /** syslog ident and messages: "supervisord" or "tsv" */
  progname?: string;
  /** minfds in force (after rlimits) */
  minfds?: number;
  /**
   * Asked before a restart stops anything (HUP, the restart RPC): a reason
   * refuses it, and the daemon goes on as it is; null lets it go ahead. The
   * daemon checks here that its configuration still loads.
   */
  refuseRestart?: (underWay: boolean) => string | null;
}

/**
 * The [supervisord] settings running code reads at the time it needs them,
 * which Supervisor's reloadConfig (reread, update) therefore puts into effect
 * at once: process_config copies the file's values (command-line flags still
 * win) onto the options object that getIdentification, every event envelope,
 * every output write (strip_ansi) and each new AUTO log name read. The
 * others ([supervisord] logfile, pidfile, user, ...) wait for a restart.
 */
export interface RereadSettings {
  identifier: string;
  strip_ansi: boolean;
  childlogdir: string;
}

/** The RereadSettings of a [supervisord] section. */
export function rereadSettings(sd: SupervisordConfig): RereadSettings {
  return { identifier: sd.identifier, strip_ansi: sd.strip_ansi, childlogdir: sd.childlogdir };
}

/**
 * Helpers (a pre_start_hook, a health-check command) an engine killed as it
 * stopped for a reload, that had not been reaped when it closed: the next
 * engine reaps them without calling them unknown.
 */
const helpersLeftBehind = new Set<number>();

/** How long a shutdown waits for a listener group's last events before stopping it (holdForListeners). */
const LISTENER_GRACE_MS = 2000;

export class Supervisor {
  readonly events = new EventBus();
  readonly settings: RereadSettings;
  /** Supervisor's events for listener pools and `tsv events` (src/events) */
  readonly eventHub: EventHub;
  readonly logger: MainLogger;
  /** the config the daemon runs (what reloadConfig re-reads replaces processGroupConfigs only) */
  config: Config;
  /** group configs known to the daemon: the last parsed ones (addProcessGroup picks from here) */
  processGroupConfigs: GroupConfig[];
  readonly groups = new Map<string, ProcessGroup>();
  /** depends_on among the live processes */
  readonly dependencies = new Dependencies(this.groups);
  private moodValue: SupervisorState = SupervisorState.RUNNING;
  private readonly pids = new Map<number, Subprocess>();
  private readonly autoLogPaths = new WeakMap<ProcessConfig, LogPaths>();
  private transitionQueued = false;
  /** false until run(): groups added before the main loop do not start yet */
  private running = false;
  private stopping = false;
  private stopGroups: ProcessGroup[] | null = null;
  /** shutdown: the wait for listener groups' last events, one for all of them; timer null once it has run out (holdForListeners) */
  private listenerHold: { timer: NodeJS.Timeout | null } | null = null;
  /** what a listener pool calls once idle (one function, so a pool keeps it once however often the shutdown looks) */
  private readonly listenerIdle = (): void => this.requestTransition();
  private lastShutdownReport = -Infinity;
  private shutdownTimer: NodeJS.Timeout | null = null;
  private aliveTimer: NodeJS.Timeout | null = null;
  private stoppedResolve: (() => void) | null = null;
  /** resolves when every process is stopped after shutdown()/restart() */
  readonly stopped: Promise<void>;
  private sigchld: (() => void) | null = null;
  /** a pass that reaps the orphans we inherited is due (see reap) */
  private orphanPass: NodeJS.Timeout | null = null;
  /** stopastree: orphans of a program's tree that came to us, reaped for that program */
  private readonly adopted = new Map<number, Subprocess>();
  /** children that are not programs (healthcheck commands): pid -> what to tell when reaped */
  private readonly helpers = new Map<number, (status: number) => void>();
  readonly progname: string;
  private readonly host: ProcessHost;
  private closed = false;
  private readonly refuseRestart: (underWay: boolean) => string | null;

  constructor(init: EngineInit) {
    this.config = init.config;
    this.refuseRestart = init.refuseRestart ?? (() => null);
    this.processGroupConfigs = init.config.groups;
    this.logger = init.logger;
    this.progname = init.progname ?? 'supervisord';
    this.stopped = new Promise((r) => (this.stoppedResolve = r));
    this.events.onListenerError = (err, type) => {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      this.logger.critical(`uncaught exception in a ${String(type)} event listener: ${text}`);
    };
    const sd = init.config.supervisord;
    this.settings = rereadSettings(sd);
    const minfds = init.minfds ?? sd.minfds;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const engine = this;
    this.host = {
      logger: this.logger,
      events: this.events,
      mood: () => this.moodValue,
      minfds,
      stripAnsi: () => engine.settings.strip_ansi,
      serverurl: init.config.serverurl,
      progname: this.progname,
      registerPid: (pid, proc) => engine.pids.set(pid, proc),
      // a healthcheck command inherits the program's SUPERVISOR_PROCESS_NAME, but is not part of its tree
      ownChildren: { has: (pid) => engine.pids.has(pid) || engine.helpers.has(pid) },
      adopt: (pids, proc) => {
        for (const pid of pids) engine.adopted.set(pid, proc);
      },
      registerHelper: (pid, reaped) => engine.helpers.set(pid, reaped),
      requestTransition: () => engine.requestTransition(),
      dependencies: this.dependencies,
      poolRolls: new PoolRolls(this.logger, () => this.moodValue > SupervisorState.RESTARTING),
      restartTurns: new DaemonRestartPace(() => {
        let n = 0;
        for (const g of engine.groups.values()) n += g.processes.size;
        return n;
      }),
      listenerStdout: (proc) => engine.eventHub.listenerStdout(proc),
      isDaemonLog: (path) => {
        // a backup (NAME.1), a gzipped one (NAME.1.gz), a gzip's part file (NAME.compressing) and a rotation's next file too
        const owns = (log: string | null): boolean => log !== null && (path === log || path.startsWith(`${log}.`) || path === rotationPath(log));
        if (owns(engine.config.supervisord.logfile)) return true;
        return engine.allProcesses().some(([, p]) => owns(p.stdoutLogfile) || owns(p.stderrLogfile));
      },
    };
    this.eventHub = new EventHub(this);
  }

  get mood(): SupervisorState {
    return this.moodValue;
  }

  setMood(to: SupervisorState): void {
    const from = this.moodValue;
    if (from === to) return;
    this.moodValue = to;
    this.events.emit('mood', { from, to });
    if (to < SupervisorState.RUNNING) this.shutdownStep();
  }

  /** Add every configured group, start reaping, and run the first pass. */
  start(): void {
    this.addConfiguredGroups();
    this.run();
  }

  /** supervisord.run(): add the groups (AUTO log names, PROCESS_GROUP_ADDED) before servers open. */
  addConfiguredGroups(): void {
    this.installReaper();
    for (const g of this.config.groups) this.addProcessGroup(g);
  }

  /** runforever(): SUPERVISOR_STATE_CHANGE_RUNNING, then the first transition pass (autostart). */
  run(): void {
    this.installReaper();
    this.running = true;
    this.keepAlive();
    this.events.emit('supervisorState', { state: 'RUNNING' });
    this.requestTransition();
  }

  // ------------------------------------------------------------------ groups

  addProcessGroup(config: GroupConfig): boolean {
    if (this.groups.has(config.name)) return false;
    // an [fcgi-program:x] socket is bound once now so a bad address fails the add (FcgiSocketError)
    const socket = config.socket ? new FcgiSocket(config.socket, this.logger) : null;
    socket?.probe();
    const group = new ProcessGroup(config, socket);
    // in the config's order (a [group:x]: its programs= order), which is the order
    // of Supervisor's processes dict: autostart and shutdown reports go by it
    for (const pc of config.processes) {
      const proc = new Subprocess(pc, config.name, this.host, this.logPaths(pc));
      proc.fcgiSocket = socket;
      group.processes.set(pc.name, proc);
    }
    this.groups.set(config.name, group);
    this.dependencies.changed();
    this.events.emit('groupAdded', { group: config.name });
    this.requestTransition();
    return true;
  }

  /**
   * A process config's log paths, AUTO made into a fresh file the first time
   * the config is added. Supervisor writes those names into the config object
   * itself (create_autochildlogs), so a group removed and added again without
   * a reread goes on writing the same files, and getAllConfigInfo shows them.
   */
  logPaths(pc: ProcessConfig): LogPaths {
    let paths = this.autoLogPaths.get(pc);
    if (!paths) {
      const { childlogdir, identifier } = this.settings;
      const auto = (channel: 'stdout' | 'stderr', target: string | null): string | null =>
        target === 'AUTO' ? autoChildLogName(childlogdir, pc.name, identifier, channel) : target;
      paths = { stdout: auto('stdout', pc.stdout_logfile), stderr: pc.redirect_stderr ? null : auto('stderr', pc.stderr_logfile) };
      this.autoLogPaths.set(pc, paths);
    }
    return paths;
  }

  /** The paths logPaths gave a config, if it was ever added. */
  addedLogPaths(pc: ProcessConfig): LogPaths | undefined {
    return this.autoLogPaths.get(pc);
  }

  /** False when a process of the group is not stopped (STILL_RUNNING). */
  removeProcessGroup(name: string): boolean {
    const group = this.groups.get(name);
    if (!group) return false;
    if (group.unstopped().length) return false;
    group.dispose();
    this.groups.delete(name);
    this.dependencies.changed();
    this.events.emit('groupRemoved', { group: name });
    return true;
  }

  /** Groups sorted as Supervisor sorts them: by priority, stable. */
  sortedGroups(): ProcessGroup[] {
    return sortByPriority([...this.groups.values()]);
  }

  /** (group, process) pairs in priority order (rpcinterface._getAllProcesses). */
  allProcesses(lexical = false): [ProcessGroup, Subprocess][] {
    const out: [ProcessGroup, Subprocess][] = [];
    if (lexical) {
      for (const gname of [...this.groups.keys()].sort(pyStrCompare)) {
        const g = this.groups.get(gname) as ProcessGroup;
        for (const pname of [...g.processes.keys()].sort(pyStrCompare)) out.push([g, g.processes.get(pname) as Subprocess]);
      }
      return out;
    }
    for (const g of this.sortedGroups()) for (const p of sortByPriority([...g.processes.values()])) out.push([g, p]);
    return out;
  }

  // -------------------------------------------------------------- the "loop"

  requestTransition(): void {
    if (this.transitionQueued || this.closed || !this.running) return;
    this.transitionQueued = true;
    setImmediate(() => {
      this.transitionQueued = false;
      this.runPass();
    });
  }

  /** One iteration of Supervisor's runforever, minus the polling. */
  private runPass(): void {
    if (this.closed) return;
    if (this.moodValue < SupervisorState.RUNNING) {
      // the report waits for the transitions: a report due with a SIGKILL
      // comes after it, as supervisord's looks come (its poll wakes it a
      // little after the kill's deadline, its report's falls a little later)
      this.shutdownStep(false);
      if (this.closed) return;
    }
    for (const g of this.sortedGroups()) g.transition();
    if (this.moodValue < SupervisorState.RUNNING) this.shutdownStep();
  }

  /**
   * Signal handlers do not keep Node's loop alive, and a child that closed
   * its pipes leaves no handle behind: without this a daemon with no
   * sockets would end while its children run. One timer of ~24 days is not
   * a wake-up source.
   */
  private keepAlive(): void {
    if (this.aliveTimer || this.closed) return;
    this.aliveTimer = setTimeout(() => {
      this.aliveTimer = null;
      this.keepAlive();
    }, 2 ** 31 - 1);
  }

  // ----------------------------------------------------------------- reaping

  private installReaper(): void {
    if (this.sigchld) return;
    this.sigchld = () => this.reap();
    process.on('SIGCHLD', this.sigchld);
    // those that ended while no engine listened
    for (const pid of [...helpersLeftBehind]) if (requireNative().waitpid(pid) !== -1) helpersLeftBehind.delete(pid);
  }

  /**
   * Reap every exited child we know. A zombie we do not know is an orphan
   * that came to us (PID 1 in a container, or a subreaper) or a child of
   * Node's own child_process, which libuv reaps in the same SIGCHLD
   * dispatch: `orphans` passes, 50 ms after one finds such a zombie, reap
   * every one still there, as supervisord's waitpid(-1) loop does.
   */
  reap(orphans = false): void {
    const native = requireNative();
    let unknown = 0;
    for (let i = 0; i < 1000; i++) {
      const pid = native.peekExited();
      if (!pid) break;
      const proc = this.pids.get(pid);
      if (!proc) {
        if (this.adopted.has(pid)) {
          this.reapAdopted(pid);
          continue;
        }
        if (this.helpers.has(pid)) {
          this.reapHelper(pid);
          continue;
        }
        if (helpersLeftBehind.has(pid)) {
          requireNative().waitpid(pid);
          helpersLeftBehind.delete(pid);
          continue;
        }
        if (orphans) {
          const sts = native.waitpid(pid);
          if (sts >= 0) this.logger.info(`reaped unknown pid ${pid} (${decodeWaitStatus(sts).message})`);
          continue;
        }
        unknown = pid;
        break;
      }
      const sts = native.waitpid(pid);
      this.pids.delete(pid);
      if (sts >= 0) proc.reaped(sts);
    }
    if (unknown) {
      // it sits first in line, hiding ours behind it: check ours one by one
      for (const [pid, proc] of [...this.pids]) {
        const sts = native.waitpid(pid);
        if (sts === -1) continue;
        this.pids.delete(pid);
        if (sts >= 0) proc.reaped(sts);
      }
      for (const pid of [...this.adopted.keys()]) this.reapAdopted(pid);
      for (const pid of [...this.helpers.keys()]) this.reapHelper(pid);
      this.orphanPass ??= setTimeout(() => {
        this.orphanPass = null;
        this.reap(true);
      }, 50).unref();
    }
  }

  /** A stopastree orphan (the waitpid reaps it if it has exited): its program looks at what is left. */
  private reapAdopted(pid: number): void {
    if (requireNative().waitpid(pid) === -1) return;
    const owner = this.adopted.get(pid);
    this.adopted.delete(pid);
    owner?.leftoverGone();
  }

  private reapHelper(pid: number): void {
    const sts = requireNative().waitpid(pid);
    if (sts === -1) return;
    const reaped = this.helpers.get(pid);
    this.helpers.delete(pid);
    if (sts >= 0) reaped?.(sts);
  }

  /** pid -> process, for children still running. */
  get livePids(): ReadonlyMap<number, Subprocess> {
    return this.pids;
  }

  // ---------------------------------------------------------------- shutdown

  /** TERM/INT/QUIT or the shutdown RPC: stop everything in order, then resolve `stopped`. */
  shutdown(): void {
    this.setMood(SupervisorState.SHUTDOWN);
  }

  /**
   * HUP or the restart RPC: the same ordered stop; the lifecycle then reloads
   * in-process. Returns why the restart was refused (nothing stopped), or null.
   */
  restart(): string | null {
    if (this.moodValue === SupervisorState.SHUTDOWN) return null;
    // a second request during the restart cannot refuse what is under way
    if (this.moodValue === SupervisorState.RESTARTING) {
      this.refuseRestart(true);
      return null;
    }
    const refused = this.refuseRestart(false);
    if (refused === null) this.setMood(SupervisorState.RESTARTING);
    return refused;
  }

  private shutdownStep(report = true): void {
    if (this.closed) return;
    if (!this.stopping) {
      this.stopping = true;
      this.stopGroups = this.sortedGroups();
      this.events.emit('supervisorState', { state: 'STOPPING' });
    }
    // one group at a time, highest priority number first
    for (;;) {
      const last = this.stopGroups?.[this.stopGroups.length - 1];
      if (last && this.holdForListeners(last)) return;
      if (last) for (const p of last.stopOrder()) this.stopAfterDependents(p);
      if (this.shutdownReport(report).length === 0) {
        this.finishStopping();
        return;
      }
      if (last && !last.unstopped().length) {
        this.stopGroups?.pop();
        continue;
      }
      return;
    }
  }

  /**
   * Shutdown: the event-listener group whose stop comes next now that group
   * `group`, the one being stopped, has nothing left running (the state
   * change just made was its last process's), or null. Supervisor stops the
   * next group at the start of its next loop pass, before it writes what that
   * change's events put in the listeners' stdin buffers: the listeners get
   * their SIGTERM first, so they never act on them (a listener that kills the
   * daemon when a program stops does not fire at shutdown). Those events take
   * their serials in that group's pool and are not written to its listeners.
   */
  listenerStoppingNext(group: string): string | null {
    const order = this.stopGroups;
    if (!this.stopping || !order || order.length < 2) return null;
    const top = order[order.length - 1];
    if (top?.config.name !== group || top.unstopped().length) return null;
    const next = order[order.length - 2];
    return next?.config.kind === 'eventlistener' ? next.config.name : null;
  }

  /**
   * Shutdown: an event-listener group is stopped once its pool has nothing in
   * flight (SUPERVISOR_STATE_CHANGE_STOPPING and the other programs' last
   * state changes delivered and answered), or once LISTENER_GRACE_MS have
   * passed since the first such wait of this shutdown: one wait for all
   * listener groups, so hung listeners cost it once, not once each.
   * Supervisor stops one group per pass of its one-second loop and dispatches
   * in each pass, so a listener stopped last hears of the shutdown there; tsv
   * stops the next group at once, which without this sent the listener its
   * SIGTERM before the STOPPING event went out.
   */
  private holdForListeners(g: ProcessGroup): boolean {
    if (g.config.kind !== 'eventlistener') return false;
    if (this.listenerHold && !this.listenerHold.timer) return false; // waited long enough
    if (this.eventHub.whenPoolIdle(g.config.name, this.listenerIdle)) return false;
    if (!this.listenerHold) {
      const hold: { timer: NodeJS.Timeout | null } = { timer: null };
      hold.timer = setTimeout(() => {
        hold.timer = null;
        this.requestTransition();
      }, LISTENER_GRACE_MS);
      this.listenerHold = hold;
    }
    return true;
  }

  /**
   * Shutdown: p is stopped once every process that waits for it (depends_on)
   * has stopped; those are stopped first, wherever their group comes in the
   * order. The config refuses cycles, so this ends.
   */
  private stopAfterDependents(p: Subprocess): void {
    if (p.isStopped()) return;
    const waiting = this.dependencies.dependentsOf(p).filter((d) => !d.isStopped());
    if (!waiting.length) p.stopForShutdown();
    else for (const d of waiting) this.stopAfterDependents(d);
  }

  /** What has not stopped yet; "waiting for … to die" every 3 s while something has not (when `report`). */
  private shutdownReport(report: boolean): Subprocess[] {
    const unstopped: Subprocess[] = [];
    for (const g of this.groups.values()) unstopped.push(...g.unstopped());
    if (unstopped.length && report) {
      const now = performance.now() / 1000;
      if (now > this.lastShutdownReport + 3) {
        this.logger.info(`waiting for ${unstopped.map((p) => p.name).join(', ')} to die`);
        this.lastShutdownReport = now;
        for (const p of unstopped) this.logger.blather(`${p.name} state: ${processStateName(p.state)}`);
      }
      if (!this.shutdownTimer) {
        // the 3-second report is the only timer a stopping daemon keeps
        this.shutdownTimer = setTimeout(() => {
          this.shutdownTimer = null;
          this.requestTransition();
        }, msUntil(this.lastShutdownReport + 3));
      }
    }
    return unstopped;
  }

  private finishStopping(): void {
    if (this.shutdownTimer) clearTimeout(this.shutdownTimer);
    this.shutdownTimer = null;
    if (this.listenerHold?.timer) clearTimeout(this.listenerHold.timer);
    this.listenerHold = null;
    this.close();
    this.stoppedResolve?.();
  }

  /** Drop timers, signal handlers and pipes; the engine does nothing afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    dropGzipJobs();
    if (this.aliveTimer) clearTimeout(this.aliveTimer);
    this.aliveTimer = null;
    // after a HUP the next engine's children would be orphans to this one
    if (this.orphanPass) clearTimeout(this.orphanPass);
    this.orphanPass = null;
    if (this.listenerHold?.timer) clearTimeout(this.listenerHold.timer);
    this.listenerHold = null;
    if (this.sigchld) process.off('SIGCHLD', this.sigchld);
    this.sigchld = null;
    for (const g of this.groups.values()) g.dispose();
    // disposing killed what helpers still ran
    for (const pid of this.helpers.keys()) if (requireNative().waitpid(pid) === -1) helpersLeftBehind.add(pid);
    this.helpers.clear();
    this.eventHub.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stateName(): string {
    return supervisorStateName(this.moodValue);
  }

  // ------------------------------------------------------------------ reload

  /** supervisord.diff_to_active against a freshly parsed list of group configs. */
  diffToActive(next: GroupConfig[]): { added: GroupConfig[]; changed: GroupConfig[]; removed: GroupConfig[] } {
    const cur = [...this.groups.values()].map((g) => g.config);
    const curByName = new Map(cur.map((c) => [c.name, c]));
    const nextByName = new Map(next.map((c) => [c.name, c]));
    const added = next.filter((c) => !curByName.has(c.name));
    const removed = cur.filter((c) => !nextByName.has(c.name));
    const changed = next.filter((c) => {
      const old = curByName.get(c.name);
      return old !== undefined && !groupConfigsEqual(old, c);
    });
    return { added, changed, removed };
  }
}

const PROCESS_FIELDS: (keyof ProcessConfig)[] = [
  'name', 'uid', 'command', 'directory', 'umask', 'priority', 'autostart', 'autorestart', 'startsecs', 'startretries',
  'stdout_logfile', 'stdout_capture_maxbytes', 'stdout_events_enabled', 'stdout_syslog', 'stdout_logfile_backups',
  'stdout_logfile_maxbytes', 'stderr_logfile', 'stderr_capture_maxbytes', 'stderr_logfile_backups',
  'stderr_logfile_maxbytes', 'stderr_events_enabled', 'stderr_syslog', 'stopsignal', 'stopwaitsecs', 'stopasgroup',
  'killasgroup', 'exitcodes', 'redirect_stderr', 'environment', 'environment_file', 'serverurl', 'pty', 'stopastree', 'fatalretrysecs', 'restartpause', 'depends_on', 'healthcheck',
  'max_memory_restart', 'rlimits', 'stdout_logfile_timestamps', 'stderr_logfile_timestamps', 'stdout_logfile_compress', 'stderr_logfile_compress',
  'stdout_logfile_rotate', 'stderr_logfile_rotate', 'restart_when_binary_changed', 'restart_signal_when_binary_changed',
  'restart_directory_monitor', 'restart_file_pattern', 'restart_signal_when_file_changed', 'cron', 'cron_restart',
  'pre_start_hook', 'pre_stop_hook', 'stdout_logfile_prefix', 'stderr_logfile_prefix',
];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * ProcessConfig.__eq__ of the running config `a` and a new one `b`: every
 * field equal, skipping those where the new one is AUTO. Supervisor skips a
 * field where either side is AUTO, but its running config never is: adding a
 * group puts the name it made in place of AUTO. tsv keeps AUTO there (the name
 * lives with the log), so a running AUTO is a made name, which no path or NONE
 * in the new config equals.
 */
export function processConfigsEqual(a: ProcessConfig, b: ProcessConfig): boolean {
  for (const f of PROCESS_FIELDS) {
    const x = a[f];
    const y = b[f];
    if (y === 'AUTO') continue;
    if (x === 'AUTO') return false;
    if (f === 'environment') {
      const ex = x as Record<string, string>;
      const ey = y as Record<string, string>;
      const kx = Object.keys(ex ?? {}).sort();
      const ky = Object.keys(ey ?? {}).sort();
      if (!same(kx, ky) || kx.some((k) => ex[k] !== ey[k])) return false;
      continue;
    }
    if (!same(x, y)) return false;
  }
  return true;
}

export function groupConfigsEqual(a: GroupConfig, b: GroupConfig): boolean {
  const kindA = a.kind === 'group' ? 'program' : a.kind;
  const kindB = b.kind === 'group' ? 'program' : b.kind;
  if (kindA !== kindB || a.name !== b.name || a.priority !== b.priority) return false;
  if (a.processes.length !== b.processes.length) return false;
  for (let i = 0; i < a.processes.length; i++) if (!processConfigsEqual(a.processes[i], b.processes[i])) return false;
  if (kindA === 'eventlistener') {
    if (a.buffer_size !== b.buffer_size || !same(a.events, b.events) || resolvedSpec(a.result_handler ?? '') !== resolvedSpec(b.result_handler ?? '')) return false;
  }
  // Supervisor's SocketConfig compares by URL alone: a new socket_mode, socket_owner or
  // socket_backlog is no change to reread, and update leaves the pool running (the new
  // settings take effect when the daemon restarts, as there)
  if (kindA === 'fcgi-program' && a.socket?.url !== b.socket?.url) return false;
  return true;
}
