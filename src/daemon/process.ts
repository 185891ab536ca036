// One supervised process: Supervisor's Subprocess (process.py) with the same
// state machine, counters and log messages. Instead of a 1-second poll loop,
// each deadline (startsecs, backoff delay, stopwaitsecs) is one timer armed
// only while the process is in the state that needs it; everything else is
// driven by events (child exit, pipe data, requests). A run's output and
// input move in process-output.ts.
import { resolve as resolvePath } from 'node:path';
import type { HealthCheckConfig, HookConfig, MemoryLimitConfig, ProcessConfig } from '../config/model';
import { clearClosedLog, describeLogError, logWritten, type LogPosition } from '../log/logfile';
import { explainOpenRefusal } from '../os/access';
import type { MainLogger } from '../log/mainlog';
import type { Dependencies } from './dependencies';
import { HealthWatch, type HealthReport, type Look } from './health';
import { commandLook } from './health-command';
import { EnvFileError, readEnvFiles } from './env-file';
import { ProcessState, SupervisorState, processStateName, STOPPED_STATES } from './states';
import { childEnv, CommandError, envList, execvArgs, spawnChild, SpawnFailure, switchedUser, type ExecArgs } from './spawn';
import { decodeWaitStatus, signame } from './signals';
import { signalNumber } from '../config/datatypes';
import { requireNative } from './native';
import { ProcessOutput, type ListenerStdout, type OutputHost } from './process-output';
import { FcgiSocketError, type FcgiSocket } from './fcgi-socket';
import { DAEMON_RESTART_BURST, RestartPace, RESTART_BURST, RESTART_RATE, selfRestartWait, type DaemonRestartPace } from './restart-pace';
import { explainExecFailure } from './exec-hint';
import { DEFAULT_WINDOW, type Terminal, type WindowSize } from './terminal';
import { becomeSubreaper, findTree, pipeHolders, type Tree, type TreeQuery } from './process-tree';
import { MemoryWatch, overLimitText, treeResidentBytes, type MemoryReport } from './memory-limit';
import { gzipRunner } from './gzip-helper';
import { BinaryWatch, TreeWatch } from './change-watch';
import type { PoolRolls } from './pool-roll';
import { ScheduleTimer } from './cron';
import { parseSchedule } from '../config/schedule';
import { constants as osConstants } from 'node:os';

const SIGKILL = osConstants.signals.SIGKILL;

/**
 * stopastree: the main process was reaped with status `sts` (at monotonic
 * `at`) while processes it left behind still run; `timer` is their SIGKILL
 * deadline when no stop brought one.
 */
interface HeldExit {
  sts: number;
  at: number;
  timer: NodeJS.Timeout | null;
}

/** "2 processes … (P Q)" in the log lines about a tree's leftovers */
function leftovers(pids: readonly number[], between: string): string {
  return `${pids.length} process${pids.length === 1 ? '' : 'es'} ${between} (${pids.join(' ')})`;
}

/** A run that exited too quickly and left something holding its output. */
interface Backgrounded {
  /** its process group (the pid it had) */
  pgid: number;
  /** the inodes of its output pipes */
  pipes: number[];
}

/** What a process needs from the engine that owns it (its output's needs too). */
export interface ProcessHost extends OutputHost {
  mood(): SupervisorState;
  readonly minfds: number;
  readonly serverurl: string | null;
  registerPid(pid: number, proc: Subprocess): void;
  /** the daemon's children it spawned itself: every program's main process, and helpers (registerHelper) */
  readonly ownChildren: { has(pid: number): boolean };
  /** stopastree: these orphans of proc's tree are the daemon's children now; reap them for proc (leftoverGone) */
  adopt(pids: readonly number[], proc: Subprocess): void;
  /** a child that is not a program's process (a healthcheck command): `reaped` gets its wait status */
  registerHelper(pid: number, reaped: (status: number) => void): void;
  /** run transition() on every group soon, in priority order */
  requestTransition(): void;
  /** depends_on among the live processes */
  readonly dependencies: Dependencies;
  /** eventlistener pools (src/events): what reads a freshly spawned listener's stdout, or null for a program */
  listenerStdout?(proc: Subprocess): ListenerStdout | null;
  /** `path` is one of the daemon's logs (main or a program's, or a backup of one): a change there is no program's */
  isDaemonLog(path: string): boolean;
  /** a numprocs program's restarts for a changed file or a cron_restart time, one process at a time */
  readonly poolRolls: PoolRolls;
  /** the budget of automatic restarts of all processes together */
  readonly restartTurns?: DaemonRestartPace;
}

const monoNow = (): number => performance.now() / 1000;
const wallNow = (): number => Date.now() / 1000;

/** Where a process's two channels are logged (null: not logged), AUTO resolved. */
export interface LogPaths {
  stdout: string | null;
  stderr: string | null;
}

/** The options that watch files for a restart (change-watch.ts). */
export type ChangeOption = 'restart_when_binary_changed' | 'restart_directory_monitor';
/** What asked for a restart the engine makes of a running program by itself (its stop, then its start). */
export type SelfRestart = 'healthcheck' | 'max_memory_restart' | ChangeOption | 'cron_restart';

/** The states cron= starts a program from: it is not running, nor on its way up or down. */
const CRON_STARTABLE: ReadonlySet<ProcessState> = new Set([ProcessState.STOPPED, ProcessState.EXITED, ProcessState.FATAL]);

/** The next time a schedule acts on a program (ms since the epoch). */
export interface ScheduledNext {
  for: 'cron' | 'cron_restart';
  at: number;
}

/** A start the engine will make unasked, and what it waits for. */
export type PendingStart =
  | { for: 'fatalretrysecs' | 'restartpause' | SelfRestart; inSeconds: number }
  | { for: 'depends_on'; waitingFor: string[] };

export class Subprocess {
  state: ProcessState = ProcessState.STOPPED;
  pid = 0;
  /** wall-clock seconds of the last spawn (0 = never); read it through startedAt() */
  laststart = 0;
  laststop = 0;
  private laststopreport = -Infinity;
  /** RPC stops waiting on this process (watchStop) */
  private stopWatchers = 0;
  private startMono = 0;
  /** monotonic deadline in seconds: backoff retry, or SIGKILL while stopping; 0 = none */
  private delay = 0;
  /** the budget of automatic restarts (made at the first one; most programs never exit) */
  private restarts: RestartPace | null = null;
  /** monotonic deadline of a paced automatic restart; 0 = none */
  private restartAt = 0;
  /** the budgets were asked for the automatic restart that restartAt waits for: it goes when due */
  private turnTaken = false;

  /**
   * The last spawn's wall-clock time, as getProcessInfo reports it, put right
   * when the clock has since been set back before it (a Pi's first NTP sync
   * after a boot with its clock ahead, a VM resumed): the start is then as
   * long ago as the monotonic clock says. Supervisor moves it to the time of
   * the poll that noticed while STARTING, and a program set back while
   * RUNNING shows uptime 0:00:00 for as long as the step was.
   */
  startedAt(): number {
    const now = wallNow();
    if (this.laststart > now && this.startMono > 0) this.laststart = Math.max(0, now - (monoNow() - this.startMono));
    return this.laststart;
  }
  /** monotonic time a FATAL program is to be started again (fatalretrysecs); 0: never */
  private fatalRetryAt = 0;
  /** a stop called off its pending automatic start (callOffStart): it waits to be asked */
  private heldBack = false;
  /** the main log has said what it waits for (depends_on) */
  private waitLogged = false;
  /** a start asked for (startProcess) waits for its dependencies (depends_on): status says so and a stop calls it off */
  private startAsked = false;
  /** healthcheck: the looks while it runs */
  private readonly health: HealthWatch | null = null;
  /** max_memory_restart: the looks at its memory while it runs */
  private readonly memory: MemoryWatch | null = null;
  /** its runs' pipes, logs and stdin */
  private readonly output: ProcessOutput;
  /** restart_when_binary_changed: the file the last spawn ran (made at the first spawn) */
  private binaryWatch: BinaryWatch | null = null;
  /** restart_directory_monitor: the tree it watches, for as long as the process is configured */
  private readonly treeWatch: TreeWatch | null = null;
  /** paths a watch could not be set on, said once each in the main log */
  private watchTroubles: Set<string> | null = null;
  /** cron=: the times it is started at unless it runs */
  private readonly cronStart: ScheduleTimer | null = null;
  /** cron_restart=: the times it is restarted at while it runs */
  private readonly cronRestart: ScheduleTimer | null = null;
  /** pre_start_hook: the run the spawn under way waits for (the state is STARTING, with no pid yet) */
  private preStart: Look | null = null;
  /** pre_stop_hook: the run the stop under way waits for before it sends stopsignal (the state is STOPPING) */
  private preStop: Look | null = null;
  /** a pre_stop_hook still running after its program ended (the hook made it end): killed at stopwaitsecs, or when the daemon exits */
  private preStopAfter: Look | null = null;
  /** a restart the healthcheck or max_memory_restart asked for: started once the stop ends */
  private selfRestart: SelfRestart | null = null;
  /** health restarts in a row with no answered look between them: from the second on, the start waits (selfRestartWait) */
  private healthRestartsUnanswered = 0;
  /** memory restarts in a row with no look under the limit between them: the same */
  private memoryRestartsInARow = 0;
  /** monotonic time the start after a self restart is due, once its stop has ended; 0 = not yet known */
  private selfRestartAt = 0;
  /** the pace has been announced in the main log since the program last stayed up a second */
  private paced = false;
  /** A run that exited too quickly while something else still held its output pipes (`cmd &`): see retryOrGiveUp. */
  private backgrounded: Backgrounded | null = null;
  /** the last explanation of an exec failure logged (explainExec) */
  private lastExecHint: string | null = null;
  administrativeStop = false;
  systemStop = false;
  killing = false;
  /** UNKNOWN came from a stop whose signal was refused: the exit, when it comes, ends that stop */
  private stopRefused = false;
  backoff = 0;
  exitstatus: number | null = null;
  spawnerr: string | null = null;
  /** AUTO replaced by the file chosen at group-add time */
  stdoutLogfile: string | null;
  stderrLogfile: string | null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  /** callbacks waiting for the next state change (RPC waits) */
  private waiters: (() => void)[] = [];
  private envCache: string[] | null = null;
  /** the environment the current (or last) run was spawned with; null before the first spawn */
  private runEnv: string[] | null = null;
  /** the environment files' warnings last logged ('' none) */
  private envWarned = '';
  /** [fcgi-program:x]: the group's socket, held from spawn until the child is reaped */
  fcgiSocket: FcgiSocket | null = null;
  private fcgiHeld = false;
  /** pty=true: the running program's terminal (null between runs) */
  get terminal(): Terminal | null {
    return this.output.terminal;
  }
  /** the size its next terminal starts with: the last one a client asked for */
  private window: WindowSize = DEFAULT_WINDOW;
  /** stopastree: pids found in this run's tree, members still once orphaned (made on first use) */
  private treeSeen: Set<number> | null = null;
  /** stopastree: the signal each member was last sent in this run, so that no process is sent one twice */
  private treeSignaled: Map<number, number> | null = null;
  /** stopastree: the last signal sent to the tree in this run */
  private treeSignal = 0;
  /** stopastree: an exit handled once what the run left behind is gone, so a restart never meets it (on its port, say) */
  private heldExit: HeldExit | null = null;
  /** leftoverGone's look at the tree, due on the next turn of the event loop */
  private leftoverLook: NodeJS.Immediate | null = null;

  constructor(
    readonly config: ProcessConfig,
    readonly group: string,
    private readonly host: ProcessHost,
    logfiles: LogPaths,
  ) {
    this.stdoutLogfile = logfiles.stdout;
    this.stderrLogfile = config.redirect_stderr || config.pty ? null : logfiles.stderr;
    if (config.healthcheck) {
      this.health = new HealthWatch(
        config.healthcheck,
        (r) => this.healthReport(r),
        (argv, ms) => commandLook(argv, { config: this.config, env: this.environment(), minfds: host.minfds, registerHelper: (pid, reaped) => host.registerHelper(pid, reaped) }, ms),
      );
    }
    if (config.max_memory_restart) {
      this.memory = new MemoryWatch(config.max_memory_restart, () => treeResidentBytes(this.treeQuery()), (r) => this.memoryReport(r));
    }
    // *_logfile_compress: what gzips its log backups (the same for every run)
    this.output = new ProcessOutput(this, host, config.stdout_logfile_compress || config.stderr_logfile_compress ? gzipRunner(host, config) : null);
    // the loader has read the patterns once already: these cannot throw
    if (config.cron) this.cronStart = new ScheduleTimer(parseSchedule(config.cron), () => this.cronTime('cron'));
    if (config.cron_restart) this.cronRestart = new ScheduleTimer(parseSchedule(config.cron_restart), () => this.cronTime('cron_restart'));
    this.cronStart?.start();
    this.cronRestart?.start();
    if (config.restart_directory_monitor) {
      this.treeWatch = new TreeWatch(
        config.restart_directory_monitor,
        config.restart_file_pattern,
        (path) => host.isDaemonLog(path),
        (path) => this.fileChanged(path, 'restart_directory_monitor'),
        (path, err) => this.watchTrouble(path, err, 'restart_directory_monitor'),
      );
    }
  }

  get name(): string {
    return this.config.name;
  }

  private get log(): MainLogger {
    return this.host.logger;
  }

  /** Resolves at the next state change (or health change); RPC waits loop on it instead of polling. */
  nextChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Its state or health changed: RPC waits look again, and so do those waiting for it to be up (depends_on). */
  private changed(): void {
    this.wakeWaiters();
    if (this.up && this.host.dependencies.dependentsOf(this).length) this.host.requestTransition();
  }

  /** RUNNING and, with a healthcheck, answering it: what depends_on waits for. */
  get up(): boolean {
    return this.state === ProcessState.RUNNING && (!this.health || this.health.healthy);
  }

  /** With a healthcheck: whether its last look was answered (false while not running); null: no healthcheck. */
  get healthy(): boolean | null {
    return this.health ? this.health.healthy : null;
  }

  /** With a healthcheck: its failed looks in a row in this run (0 once one is answered, and within healthcheck_start_period); null: no healthcheck. */
  get healthFailures(): number | null {
    return this.health ? this.health.failures : null;
  }

  /** With a healthcheck: the words getProcessInfo's description adds while RUNNING ('' before the first answer); null: no healthcheck. */
  get healthText(): string | null {
    const h = this.health;
    if (!h) return null;
    if (h.healthy) return 'healthy';
    return h.failures ? `unhealthy (${h.failures} of ${(this.config.healthcheck as HealthCheckConfig).retries} looks failed)` : '';
  }

  changeState(to: ProcessState, expected = true): boolean {
    const from = this.state;
    if (to === from) return false;
    this.state = to;
    if (to === ProcessState.BACKOFF) {
      this.backoff += 1;
      this.delay = monoNow() + this.backoff;
    }
    this.host.events.emit('processState', {
      name: this.name,
      group: this.group,
      from,
      to,
      pid: this.pid,
      tries: this.backoff,
      expected,
      exitstatus: this.exitstatus,
      spawnerr: this.spawnerr,
      time: wallNow(),
    });
    if (to === ProcessState.RUNNING) {
      this.health?.start();
      this.memory?.start();
    } else if (from === ProcessState.RUNNING) {
      this.health?.stop();
      this.memory?.stop();
    }
    this.changed();
    return true;
  }

  private assertInState(...states: ProcessState[]): void {
    if (!states.includes(this.state)) {
      const allowed = states.map(processStateName).join(' ');
      throw new Error(`Assertion failed for ${this.name}: ${processStateName(this.state)} not in ${allowed}`);
    }
  }

  private recordSpawnerr(msg: string): void {
    this.spawnerr = msg;
    this.log.info(`spawnerr: ${msg}`);
  }

  /** Check the command without spawning (startProcess does this first). */
  checkCommand(): void {
    execvArgs(this.config);
  }

  /** FastCGISubprocess.spawn: a spawn that yields no child gives its socket reference back. */
  spawn(): number | null {
    this.startAsked = false;
    const running = this.pid !== 0;
    const pid = this.spawnOnce();
    if (pid === null && !running) this.releaseFcgi();
    return pid;
  }

  /** A file that exists could not be run: say why in the main log after `lead`, once per reason (retries repeat it). */
  private explainExec(lead: string, file: string, code: string): void {
    const why = explainExecFailure(file, code, switchedUser(this.config)?.user ?? null);
    if (!why || why === this.lastExecHint) return;
    this.lastExecHint = why;
    this.log.error(`${lead}: ${why}`);
  }

  private releaseFcgi(): void {
    if (!this.fcgiHeld) return;
    this.fcgiHeld = false;
    this.fcgiSocket?.release();
  }

  private spawnOnce(): number | null {
    if (this.pid) {
      this.log.warn(`process '${this.name}' already running`);
      return null;
    }
    this.killing = false;
    this.stopRefused = false;
    this.spawnerr = null;
    this.exitstatus = null;
    this.systemStop = false;
    this.administrativeStop = false;
    this.backgrounded = null;
    this.laststart = wallNow();
    this.startMono = monoNow();
    this.restartAt = 0;
    this.turnTaken = false;
    this.fatalRetryAt = 0;
    this.heldBack = false;
    this.selfRestart = null;
    this.selfRestartAt = 0;
    this.assertInState(ProcessState.EXITED, ProcessState.FATAL, ProcessState.BACKOFF, ProcessState.STOPPED);
    this.changeState(ProcessState.STARTING);

    let stdinFd = -1;
    if (this.fcgiSocket) {
      try {
        stdinFd = this.fcgiSocket.acquire();
        this.fcgiHeld = true;
      } catch (e) {
        if (!(e instanceof FcgiSocketError)) throw e;
        // Supervisor's main loop dies of this exception; tsv makes it a spawn error
        this.recordSpawnerr(e.message);
        return this.backOff();
      }
    }

    let exec;
    try {
      exec = execvArgs(this.config);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      this.recordSpawnerr(e.message);
      // as root, access() refuses a file with an execute bit mostly on a noexec mount
      if (e.kind === 'NoPermission' && e.file) this.explainExec(`no permission to run command ${e.file} for program '${this.name}'`, e.file, 'EACCES');
      this.assertInState(ProcessState.STARTING);
      return this.backOff();
    }

    if (this.config.restart_when_binary_changed) {
      this.binaryWatch ??= new BinaryWatch(
        (path) => this.fileChanged(path, 'restart_when_binary_changed'),
        (path, err) => this.watchTrouble(path, err, 'restart_when_binary_changed'),
      );
      this.binaryWatch.follow(resolvePath(exec.filename));
    }

    let env: string[];
    try {
      env = this.spawnEnvironment();
    } catch (e) {
      if (!(e instanceof EnvFileError)) throw e;
      this.recordSpawnerr(e.message);
      return this.backOff();
    }

    const nul = nulByteIn(exec, env, this.config.directory);
    if (nul !== null) {
      this.recordSpawnerr(`embedded null byte in ${nul} of '${this.name}'`);
      return this.backOff();
    }

    if (this.config.pre_start_hook) return this.runPreStartHook(this.config.pre_start_hook, exec, env, stdinFd);
    return this.launch(exec, env, stdinFd);
  }

  /**
   * pre_start_hook (tsv only): the spawn goes on once the hook has ended
   * well, in STARTING meanwhile; a failure (unless written with `-`) is a
   * spawn error, retried as one. startsecs and the uptime count from the
   * program's own start. A stop meanwhile ends the hook (kill()).
   */
  private runPreStartHook(hook: HookConfig, exec: ExecArgs, env: string[], stdinFd: number): null {
    this.log.info(`running pre_start_hook of ${this.name}: ${hook.command}`);
    const look = this.runHook(hook, env);
    this.preStart = look;
    void look.answer.then((r) => {
      if (this.preStart !== look) return; // a stop called it off
      this.preStart = null;
      this.assertInState(ProcessState.STARTING);
      if (!r.ok && !hook.ignoreFailure) {
        this.recordSpawnerr(`pre_start_hook failed: ${r.detail}`);
        this.backOff();
      } else {
        if (!r.ok) this.log.warn(`pre_start_hook of ${this.name} failed (${r.detail}); starting it anyway, as its leading - asks`);
        this.laststart = wallNow();
        this.startMono = monoNow();
        this.launch(exec, env, stdinFd);
      }
      this.host.requestTransition();
    });
    return null;
  }

  /** A hook's command, run as the program's own processes are (its user, directory, environment), ended after its timeout. */
  private runHook(hook: HookConfig, env: string[]): Look {
    const seconds = Math.max(1, hook.timeout);
    return commandLook(
      hook.argv,
      {
        config: this.config,
        env,
        minfds: this.host.minfds,
        registerHelper: (pid, reaped) => this.host.registerHelper(pid, reaped),
        timedOut: `still running after ${seconds} s, killed`,
      },
      seconds * 1000,
    );
  }

  /** The spawn's second half: the log files, the fork and exec, and the pipes. */
  private launch(exec: ExecArgs, env: string[], stdinFd: number): number | null {
    // before the fork: a child that backgrounds something and exits at once
    // (sh -c '(cmd &)') orphans it before the spawn returns, to init otherwise
    if (this.config.stopastree) becomeSubreaper(this.log);
    try {
      this.output.openChannels(this.host.listenerStdout?.(this) ?? null);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const code = err.code ?? 'EUNKNOWN';
      this.output.closeChannels();
      this.recordSpawnerr(
        code === 'EMFILE' ? `too many open files to spawn '${this.name}'` : `unknown error making dispatchers for '${this.name}': ${code}`,
      );
      this.reportLogOpenError(err);
      return this.backOff();
    }

    let child;
    try {
      child = spawnChild({
        exec,
        env,
        config: this.config,
        minfds: this.host.minfds,
        stdinFd,
        pty: this.config.pty ? this.window : undefined,
      });
    } catch (e) {
      if (!(e instanceof SpawnFailure)) throw e;
      this.output.closeChannels();
      let msg: string;
      if (e.stage === 'pipe') {
        msg = e.code === 'EMFILE' ? `too many open files to spawn '${this.name}'` : `unknown error making dispatchers for '${this.name}': ${e.code}`;
      } else {
        msg = e.code === 'EAGAIN' ? `Too many processes in process table to spawn '${this.name}'` : `unknown error during fork for '${this.name}': ${e.code}`;
      }
      this.recordSpawnerr(msg);
      return this.backOff();
    }

    this.pid = child.pid;
    this.treeSeen = null;
    this.treeSignaled = null;
    this.treeSignal = 0;
    this.output.attachPipes(child.stdin, child.stdout, child.stderr, this.config.pty);
    this.log.info(`spawned: '${this.name}' with pid ${child.pid}`);
    this.host.events.emit('processSpawned', { name: this.name, group: this.group, pid: child.pid });
    if (child.execError) this.explainExec(`couldn't exec ${exec.filename} for program '${this.name}': ${child.execError}`, exec.filename, child.execError);
    this.spawnerr = null;
    this.delay = this.startMono + this.config.startsecs;
    this.host.registerPid(child.pid, this);
    this.arm();
    return child.pid;
  }

  /** A spawn that made no process (its spawnerr recorded): BACKOFF, and the retry's timer. */
  private backOff(): null {
    this.changeState(ProcessState.BACKOFF);
    this.arm();
    return null;
  }

  /** The environment of the current run (its environment files as read at its spawn), for its health checks too. */
  private environment(): string[] {
    return this.runEnv ?? this.configEnvironment();
  }

  /** The daemon's environment never changes after start, nor does the config: build it once. */
  private configEnvironment(): string[] {
    this.envCache ??= envList(this.childEnvironment());
    return this.envCache;
  }

  /** The child's variables: the config's (childEnv), over them `fromFiles` (environment_file). */
  private childEnvironment(fromFiles: Record<string, string> = {}): Record<string, string> {
    const env = Object.assign(childEnv({ config: this.config, group: this.group, serverurl: this.host.serverurl }), fromFiles);
    // a terminal with no TERM is a dumb one to most programs; node-pty's default
    if (this.config.pty && env.TERM === undefined) env.TERM = 'xterm';
    return env;
  }

  /**
   * The environment for a spawn: the config's, and over it what its
   * environment files say now (read at each spawn, as systemd reads
   * EnvironmentFile= at each start, so a changed file counts from the next
   * start). Throws EnvFileError when a file that must be there cannot be read.
   */
  private spawnEnvironment(): string[] {
    const files = this.config.environment_file;
    if (!files.length) return (this.runEnv = this.configEnvironment());
    const read = readEnvFiles(files);
    // said once while they stay the same, not at every restart
    const said = read.warnings.join('\n');
    if (said !== this.envWarned) {
      for (const w of read.warnings) this.log.warn(`environment_file of '${this.name}': ${w}`);
      this.envWarned = said;
    }
    return (this.runEnv = envList(this.childEnvironment(read.vars)));
  }

  /** Not in Supervisor: say which file, which program and which user, instead of only an errno. */
  private reportLogOpenError(err: NodeJS.ErrnoException): void {
    const path = err.path ?? '(unknown file)';
    const who = process.getuid ? userName(process.getuid()) : 'unknown';
    const runsAs = this.config.user ? `; the program runs as user ${this.config.user}` : '';
    const kernel = err.path ? explainOpenRefusal(err, err.path) : null;
    this.log.error(
      `could not open log file ${path} for program '${this.name}': ${err.code ?? ''} (${describeLogError(err.code)}); ` +
        `log files are opened by the daemon, running as user ${who}${runsAs}${kernel ? `; ${kernel}` : ''}`,
    );
  }

  /**
   * sendProcessStdin, events to a listener, attach's keys: throws 'EPIPE'
   * when the child's stdin is gone, 'ENOBUFS' when the child has left
   * MAX_PENDING_INPUT unread (ChildInput).
   */
  write(chars: Buffer): void {
    const input = this.output.input;
    if (!this.pid || this.killing || !input) throw Object.assign(new Error('Process already closed'), { code: 'EPIPE' });
    input.write(chars);
  }

  /** Where the first run's output begins in a channel's log (ProcessOutput.runStart). */
  logRunStart(channel: 'stdout' | 'stderr'): LogPosition | null {
    return this.output.runStart(channel);
  }

  /** Bytes of input held for the child until its stdin has room. */
  get heldInput(): number {
    return this.output.input?.heldBytes ?? 0;
  }

  /** ChildInput.whenBelow for this run's stdin; at once when there is no run. */
  whenInputBelow(mark: number, cb: () => void): void {
    const input = this.output.input;
    if (input) input.whenBelow(mark, cb);
    else cb();
  }

  // ---------------------------------------------------------------- stopping

  /** Administrative stop. Returns null or an error message. */
  stop(): string | null {
    this.selfRestart = null;
    this.administrativeStop = true;
    this.laststopreport = -Infinity;
    const hook = this.config.pre_stop_hook;
    if (hook && this.pid && (this.state === ProcessState.RUNNING || this.state === ProcessState.STARTING)) return this.runPreStopHook(hook);
    return this.kill(signalNumber(this.config.stopsignal));
  }

  /**
   * pre_stop_hook (tsv only): STOPPING at once, stopsignal once the hook has
   * ended (or failed, or run out of time: up to stopwaitsecs), then the
   * stop's usual wait. An exit meanwhile (the hook asked the program to
   * end, as `redis-cli shutdown` does) is the stop's end.
   */
  private runPreStopHook(hook: HookConfig): null {
    this.log.info(`running pre_stop_hook of ${this.name}: ${hook.command}`);
    this.killing = true;
    this.delay = 0;
    this.changeState(ProcessState.STOPPING);
    this.arm();
    const look = this.runHook(hook, this.environment());
    this.preStop = look;
    void look.answer.then((r) => {
      if (this.preStopAfter === look) {
        this.preStopAfter = null;
        if (!r.ok) this.log.warn(`pre_stop_hook of ${this.name}, which went on after ${this.name} had stopped, failed (${r.detail})`);
        return;
      }
      if (this.preStop !== look) return;
      this.preStop = null;
      if (!r.ok) this.log.warn(`pre_stop_hook of ${this.name} failed (${r.detail}); stopping it with its stopsignal`);
      if (this.pid && this.state === ProcessState.STOPPING) this.kill(signalNumber(this.config.stopsignal), true);
      this.host.requestTransition();
    });
    return null;
  }

  /**
   * An RPC stop waits on this process: "waiting for NAME to stop" now and
   * every 2 s until the release is called. The later reports come from
   * transition(), on the process's one timer, so a report due with the
   * SIGKILL comes after it, as in Supervisor's loop (its transitions run
   * before the waiting answers look again).
   */
  watchStop(): () => void {
    this.stopWatchers++;
    this.stopReport();
    this.arm();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.stopWatchers--;
      this.arm();
    };
  }

  /** "waiting for x to stop", at most every 2 s, while an RPC stop waits. */
  private stopReport(): void {
    if (this.state !== ProcessState.STOPPING || !this.stopWatchers) return;
    const now = monoNow();
    const due = this.laststopreport + 2;
    if (now > due) {
      this.log.info(`waiting for ${this.name} to stop`);
      // Supervisor looks on every pass of its loop, which a waiting answer
      // keeps busy, so its reports keep a 2 s beat; a timer wakes us a
      // millisecond or so past the due time, and starting the next 2 s from
      // then would drift the reports past the SIGKILL they come with
      this.laststopreport = now - due < REPORT_SLACK ? due : now;
    }
  }

  giveUp(): void {
    this.delay = 0;
    this.backoff = 0;
    this.systemStop = true;
    this.assertInState(ProcessState.BACKOFF);
    this.changeState(ProcessState.FATAL);
    if (this.config.fatalretrysecs > 0 && this.host.mood() > SupervisorState.RESTARTING) {
      this.fatalRetryAt = monoNow() + this.config.fatalretrysecs;
    }
    this.arm();
  }

  /**
   * Not running, and to be started without anyone asking again: FATAL
   * waiting for its retry (fatalretrysecs), waiting for its dependencies
   * (depends_on) to autostart, to be restarted or for a start asked for,
   * stopped or stopping for a restart the engine itself asked for
   * (healthcheck, max_memory_restart, cron_restart, a changed file). What a
   * stop can still call off.
   */
  get startPending(): boolean {
    switch (this.state) {
      case ProcessState.FATAL:
        return this.fatalRetryAt > 0 || this.startAsked;
      case ProcessState.STOPPED:
        // an autostart waits only for its dependencies; one that is merely due (a group just added) is what
        // Supervisor's stop finds NOT_RUNNING and then starts
        return (
          (!this.laststart && this.config.autostart && !this.heldBack && this.host.dependencies.unmet(this).length > 0) ||
          this.selfRestart !== null ||
          this.startAsked
        );
      case ProcessState.EXITED:
        return this.restartWanted() || this.startAsked;
      case ProcessState.STOPPING:
        // Supervisor never restarts a program by itself, so its users' stop
        // (a maintenance script's, update's) must win over the start to follow
        return this.selfRestart !== null;
      default:
        return false;
    }
  }

  /**
   * startProcess of a process whose dependencies are not up: until it is
   * spawned or called off, status says what it waits for, the main log says
   * so once, and a stop calls it off (startWaitEnded).
   */
  askStart(): void {
    this.startAsked = true;
    this.heldBack = false;
    this.dependenciesReady();
  }

  /** A start asked for (askStart) has not been spawned or called off yet. */
  get startWaiting(): boolean {
    return this.startAsked;
  }

  /** The start asked for goes ahead now, or failed. */
  endStartWait(): void {
    this.startAsked = false;
  }

  /** Resolves once the start asked for is no longer waiting: spawned (by the engine or the caller) or called off. */
  async startWaitEnded(): Promise<void> {
    while (this.startAsked) await this.nextChange();
  }

  /**
   * What a pending start (startPending) waits for, for status to say: the
   * fatalretrysecs retry, dependencies not up, the wait after a health or
   * memory restart, or restartpause; null when nothing the engine will start
   * by itself is waiting, or the daemon is stopping.
   */
  get pendingStart(): PendingStart | null {
    if (!this.startPending || this.state === ProcessState.STOPPING || this.host.mood() <= SupervisorState.RESTARTING) return null;
    const now = monoNow();
    if (this.state === ProcessState.FATAL) return { for: 'fatalretrysecs', inSeconds: Math.max(0, this.fatalRetryAt - now) };
    const unmet = this.host.dependencies.unmet(this);
    if (unmet.length) return { for: 'depends_on', waitingFor: unmet };
    if (this.selfRestart && this.selfRestartAt) return { for: this.selfRestart, inSeconds: Math.max(0, this.selfRestartAt - now) };
    if (this.state === ProcessState.EXITED && this.config.restartpause > 0 && this.restartAt > now) return { for: 'restartpause', inSeconds: this.restartAt - now };
    return null;
  }

  /**
   * A stop of a process whose start is pending: STOPPED (once its stop under
   * way has ended, if it is STOPPING), and no start until asked for.
   */
  callOffStart(): void {
    if (!this.startPending) return;
    const why = this.pendingStartReason();
    this.fatalRetryAt = 0;
    this.restartAt = 0;
    this.turnTaken = false;
    this.selfRestart = null;
    this.selfRestartAt = 0;
    this.healthRestartsUnanswered = 0;
    this.memoryRestartsInARow = 0;
    this.startAsked = false;
    this.heldBack = true;
    if (this.state === ProcessState.STOPPING) {
      this.log.info(`${this.name} stays stopped once it has stopped: a stop was asked for (${why})`);
    } else {
      this.log.info(`stopped: ${this.name} (${why})`);
      if (this.state !== ProcessState.STOPPED) this.changeState(ProcessState.STOPPED);
    }
    // a start asked for that waits (startWaitEnded) learns it was called off
    this.wakeWaiters();
    this.arm();
  }

  /** What the pending start was for, in the main log's words. */
  private pendingStartReason(): string {
    if (this.state === ProcessState.FATAL) return 'it was to be started again after FATAL; fatalretrysecs';
    const unmet = this.host.dependencies.unmet(this);
    if (unmet.length && this.state !== ProcessState.STOPPING) return `it was to be started once ${unmet.join(', ')} ran; depends_on`;
    if (this.selfRestart === 'healthcheck') return 'its restart for its healthcheck was due';
    if (this.selfRestart === 'max_memory_restart') return 'its restart for max_memory_restart was due';
    if (this.selfRestart === 'cron_restart') return 'its restart at its cron time was due; cron_restart';
    if (this.selfRestart) return `its restart for a changed file was due; ${this.selfRestart}`;
    return this.state === ProcessState.EXITED ? 'its automatic restart was due' : 'its autostart was due';
  }

  /** Shutdown's stop (group by group): a running process is stopped, one in BACKOFF gives up. */
  stopForShutdown(): void {
    if (this.state === ProcessState.RUNNING || this.state === ProcessState.STARTING) this.stop();
    else if (this.state === ProcessState.BACKOFF) this.giveUp();
  }

  /** A look of the healthcheck answered: said in the main log; enough failures in a row restart the program. */
  private healthReport(r: HealthReport): void {
    const check = this.config.healthcheck as HealthCheckConfig;
    this.host.events.emit('processHealth', { name: this.name, group: this.group, pid: this.pid, retries: check.retries, ...r });
    if (r.starting) {
      // the first at INFO, the rest at debug: a program that takes a minute to warm up would otherwise fill the log
      const said = `not answering yet: ${this.name} did not answer ${check.target} (${r.detail}); failed looks count after ${check.startPeriod} s from RUNNING or its first answer (healthcheck_start_period)`;
      if (r.starting === 1) this.log.info(said);
      else this.log.debug(said);
      return;
    }
    if (r.ok) {
      this.healthRestartsUnanswered = 0;
      if (r.turned) this.log.info(`healthy: ${this.name} answered ${check.target} (${r.detail})`);
    } else {
      this.log.warn(`unhealthy: ${this.name} did not answer ${check.target} (${r.detail}), ${r.failures} of ${check.retries} (healthcheck)`);
    }
    if (r.turned) this.changed();
    if (r.ok || r.failures < check.retries || this.host.mood() <= SupervisorState.RESTARTING || this.state !== ProcessState.RUNNING) return;
    this.healthRestartsUnanswered++;
    const wait = this.selfRestartDelay('healthcheck');
    this.log.warn(
      wait
        ? `restarting ${this.name}: ${healthChecksFailed(check.retries)}, and none was answered since its last restart: it starts again ${wait} s after it stops (healthcheck)`
        : `restarting ${this.name}: ${healthChecksFailed(check.retries)} (healthcheck)`,
    );
    // leaving RUNNING ends the looks; the start follows once the stop has ended (transition)
    this.selfRestart = this.stop() === null ? 'healthcheck' : null;
  }

  /**
   * A watched file changed (restart_when_binary_changed,
   * restart_directory_monitor): a running program is restarted, or sent the
   * signal its config names instead; one that gave up (FATAL) is started,
   * since the change may be its fix. Stopped and exited programs stay as
   * they are, and one in BACKOFF runs the new files at its next try.
   */
  private fileChanged(path: string, option: ChangeOption): void {
    if (this.host.mood() <= SupervisorState.RESTARTING) return;
    const c = this.config;
    const signal = option === 'restart_when_binary_changed' ? c.restart_signal_when_binary_changed : c.restart_signal_when_file_changed;
    const what = `${path} changed (${option})`;
    if (this.state === ProcessState.RUNNING || this.state === ProcessState.STARTING) {
      if (signal) {
        this.log.info(`sending ${this.name} SIG${signal}: ${what}`);
        this.signal(signalNumber(signal));
        return;
      }
      this.restartInPool(option, (after) => `restarting ${this.name}${after}: ${what}`);
    } else if (this.state === ProcessState.FATAL) {
      this.log.info(`starting ${this.name}, which had given up: ${what}`);
      this.spawn();
      this.transition();
    }
  }

  /**
   * Restarts it for a changed file or a cron_restart time, saying `said`
   * (given ` (web_0 is up again)` or nothing); a pool of workers
   * (numprocs) one process at a time, each once the one before is up again.
   */
  private restartInPool(kind: SelfRestart, said: (after: string) => string): void {
    const restart = (after: string | null): void => {
      this.log.info(said(after ? ` (${after} is up again)` : ''));
      // the start follows once the stop has ended (transition)
      this.selfRestart = this.stop() === null ? kind : null;
    };
    if (this.config.numprocs > 1) this.host.poolRolls.want(this.config.section, this, restart);
    else restart(null);
  }

  /** RollMember: a restart it was asked for has its start still to come. */
  get restartPending(): boolean {
    return this.selfRestart !== null;
  }

  /**
   * A time of its cron= (start it, unless it runs, or is on its way to) or
   * cron_restart= (restart it, if it runs).
   */
  private cronTime(option: 'cron' | 'cron_restart'): void {
    if (this.host.mood() <= SupervisorState.RESTARTING) return;
    const why = `${option}=${option === 'cron' ? this.config.cron : this.config.cron_restart}`;
    const running = this.state === ProcessState.RUNNING || this.state === ProcessState.STARTING;
    if (option === 'cron_restart') {
      if (!running) return;
      this.restartInPool('cron_restart', (after) => `restarting ${this.name}${after} at its cron time (${why})`);
      return;
    }
    if (!CRON_STARTABLE.has(this.state)) {
      this.log.info(`not starting ${this.name} at its cron time: it is still ${processStateName(this.state)} (${why})`);
      return;
    }
    const unmet = this.host.dependencies.unmet(this);
    if (unmet.length) {
      this.log.info(`not starting ${this.name} at its cron time: waiting for ${unmet.join(', ')} (depends_on)`);
      return;
    }
    this.log.info(`starting ${this.name} at its cron time (${why})`);
    this.spawn();
    this.transition();
  }

  /** What its schedule does next, for status: a restart while it runs (cron_restart), else a start (cron); null: nothing. */
  get nextScheduled(): ScheduledNext | null {
    const running = this.state === ProcessState.RUNNING;
    if (!running && !CRON_STARTABLE.has(this.state)) return null;
    const at = (running ? this.cronRestart : this.cronStart)?.nextAt;
    return at ? { for: running ? 'cron_restart' : 'cron', at } : null;
  }

  /** A path a watch could not be set on: said once (ENOSPC: the system's inotify watches are used up). */
  private watchTrouble(path: string, err: NodeJS.ErrnoException, option: ChangeOption): void {
    this.watchTroubles ??= new Set();
    if (this.watchTroubles.has(path)) return;
    this.watchTroubles.add(path);
    const why =
      err.code === 'ENOSPC'
        ? 'the inotify watches of the daemon\'s user are used up (sysctl fs.inotify.max_user_watches)'
        : err.code === 'EACCES'
          ? `permission denied to the daemon's user`
          : err.code === 'ENOENT'
            ? 'no such directory'
            : (err.code ?? err.message);
    // out of watches, the tree watch stops asking: what it has not reached is unwatched too
    const where = err.code === 'ENOSPC' && option === 'restart_directory_monitor' ? 'there and in the directories not watched yet' : 'there';
    this.log.error(`could not watch ${path} for program '${this.name}' (${option}): ${why}; changes ${where} do not restart it`);
  }

  /** Seconds the start after a restart of this kind waits once its stop has ended (from the second in a row on). */
  private selfRestartDelay(kind: SelfRestart): number {
    if (kind === 'restart_when_binary_changed' || kind === 'restart_directory_monitor' || kind === 'cron_restart') return 0;
    return kind === 'healthcheck'
      ? selfRestartWait(this.healthRestartsUnanswered, (this.config.healthcheck as HealthCheckConfig).interval)
      : selfRestartWait(this.memoryRestartsInARow, (this.config.max_memory_restart as MemoryLimitConfig).interval);
  }

  /** A look at its memory: more than max_memory_restart restarts it (the next run is looked at anew). */
  private memoryReport(r: MemoryReport): void {
    if (r.used <= r.limit) {
      this.memoryRestartsInARow = 0;
      return;
    }
    if (this.host.mood() <= SupervisorState.RESTARTING || this.state !== ProcessState.RUNNING) return;
    this.host.events.emit('processMemoryRestart', { name: this.name, group: this.group, pid: this.pid, ...r });
    this.memoryRestartsInARow++;
    const wait = this.selfRestartDelay('max_memory_restart');
    const said = `restarting ${this.name}: ${overLimitText(r)}`;
    // a limit below what the program needs from its start would otherwise restart it every interval, for ever
    this.log.warn(wait ? `${said}, as at every look since its last restart: it starts again ${wait} s after it stops` : said);
    this.selfRestart = this.stop() === null ? 'max_memory_restart' : null;
  }

  /**
   * Whether the processes this one waits for (depends_on) are RUNNING; while
   * they are not, the main log says once what it waits for.
   */
  private dependenciesReady(): boolean {
    if (!this.config.depends_on.length) return true;
    const unmet = this.host.dependencies.unmet(this);
    if (!unmet.length) {
      this.waitLogged = false;
      return true;
    }
    if (!this.waitLogged) {
      this.waitLogged = true;
      const checked = unmet.some((spec) => this.host.dependencies.find(spec)?.config.healthcheck);
      this.log.info(`waiting for ${unmet.join(', ')} to be RUNNING${checked ? ' and healthy' : ''} before starting ${this.name} (depends_on)`);
    }
    return false;
  }

  kill(sig: number, firstSignal = false): string | null {
    if (this.preStart) {
      // stopped before its command ever ran
      this.preStart.cancel();
      this.preStart = null;
      // its start time is set, so status shows the stop time (Supervisor's description of a started, STOPPED process)
      this.laststop = wallNow();
      this.changeState(ProcessState.STOPPING);
      this.changeState(ProcessState.STOPPED);
      this.log.info(`stopped: ${this.name} (its pre_start_hook was ended before the program started)`);
      this.arm();
      return null;
    }
    if (this.state === ProcessState.BACKOFF) {
      this.log.debug(`Attempted to kill ${this.name}, which is in BACKOFF state.`);
      this.changeState(ProcessState.STOPPED);
      this.arm();
      return null;
    }
    if (!this.pid) {
      const msg = `attempted to kill ${this.name} with sig ${signame(sig)} but it wasn't running`;
      this.log.debug(msg);
      return msg;
    }
    // the stop's first signal goes as stopasgroup says; the SIGKILL after stopwaitsecs as killasgroup says (a pre_stop_hook's STOPPING comes before the first)
    const asGroup = this.config.stopastree || (this.state === ProcessState.STOPPING && !firstSignal ? this.config.killasgroup : this.config.stopasgroup);
    // read before the signal: once the main process is gone its children's parent pid no longer leads here
    const tree = this.config.stopastree ? this.tree() : null;
    this.log.debug(`killing ${this.name} (pid ${this.pid}) ${asGroup ? 'process group ' : ''}with signal ${signame(sig)}`);
    this.killing = true;
    this.delay = monoNow() + this.config.stopwaitsecs;
    this.assertInState(ProcessState.RUNNING, ProcessState.STARTING, ProcessState.STOPPING);
    this.changeState(ProcessState.STOPPING);
    this.arm();
    const target = asGroup ? -this.pid : this.pid;
    if (tree && this.heldExit && sig === SIGKILL && this.treeSignal === SIGKILL && tree.members.length) {
      this.abandonLeftovers(tree.members);
      return null;
    }
    // the group (target) gets sig below, as under stopasgroup: only the members outside it here
    if (tree) this.signalTree(tree, sig, false);
    const r = requireNative().kill(target, sig);
    // the main process is gone: the group may be empty, or hold only members we may not signal (given up on below)
    if (r === 0 || (this.heldExit && (r === 'ESRCH' || r === 'EPERM'))) return null;
    if (r === 'ESRCH') {
      this.log.debug(`unable to signal ${this.name} (pid ${this.pid}), it probably just exited on its own: [Errno 3] No such process`);
      return null;
    }
    const msg = `unknown problem killing ${this.name} (${this.pid}):${r}`;
    this.log.critical(msg);
    this.changeState(ProcessState.UNKNOWN);
    this.killing = false;
    this.stopRefused = true;
    this.delay = 0;
    this.arm();
    return msg;
  }

  /** signalProcess: a signal that is not meant to stop the process. */
  signal(sig: number): string | null {
    if (!this.pid) {
      const msg = `attempted to send ${this.name} sig ${signame(sig)} but it wasn't running`;
      this.log.debug(msg);
      return msg;
    }
    this.log.debug(`sending ${this.name} (pid ${this.pid}) sig ${signame(sig)}`);
    this.assertInState(ProcessState.RUNNING, ProcessState.STARTING, ProcessState.STOPPING);
    const r = requireNative().kill(this.pid, sig);
    if (r === 0) return null;
    if (r === 'ESRCH') {
      this.log.debug(`unable to signal ${this.name} (pid ${this.pid}), it probably just now exited on its own: [Errno 3] No such process`);
      return null;
    }
    const msg = `unknown problem sending sig ${this.name} (${this.pid}):${r}`;
    this.log.critical(msg);
    this.changeState(ProcessState.UNKNOWN);
    this.arm();
    return msg;
  }

  // ---------------------------------------------------------------- exit

  /**
   * The main process was reaped with wait status sts. With stopastree, what
   * it left behind is ended first (stopsignal, then SIGKILL after
   * stopwaitsecs) and the exit is handled when they are gone.
   */
  reaped(sts: number): void {
    if (!this.config.stopastree) {
      this.finish(sts);
      return;
    }
    const tree = this.tree();
    const members = tree.members;
    if (!members.length) {
      this.finish(sts);
      return;
    }
    const held: HeldExit = { sts, at: monoNow(), timer: null };
    this.heldExit = held;
    const sig = this.treeSignal || signalNumber(this.config.stopsignal);
    this.log.info(`${this.name} (pid ${this.pid}) has ended; ending ${leftovers(members, 'it left behind')} with ${signame(sig)} first (stopastree)`);
    this.signalTree(tree, sig);
    if (!this.killing) this.armLeftoverKill(held);
    this.arm();
  }

  /**
   * An orphan of this run's tree that the daemon adopted was reaped: the held
   * exit goes on once none is left. Looked at once per turn of the event
   * loop, as many workers often end together and each look reads /proc.
   */
  leftoverGone(): void {
    if (!this.heldExit || this.leftoverLook) return;
    this.leftoverLook = setImmediate(() => {
      this.leftoverLook = null;
      this.lookAtLeftovers();
    });
  }

  private lookAtLeftovers(): void {
    const held = this.heldExit;
    if (!held) return;
    const tree = this.tree();
    if (tree.members.length) this.signalTree(tree, this.treeSignal);
    else this.releaseExit();
  }

  /** The held exit is handled now. */
  private releaseExit(): void {
    const held = this.heldExit;
    if (!held) return;
    if (held.timer) clearTimeout(held.timer);
    this.heldExit = null;
    this.finish(held.sts, held.at);
  }

  /** After the main process ended on its own: SIGKILL for what it left behind once stopwaitsecs have passed (a stop brings its own deadline). */
  private armLeftoverKill(held: HeldExit): void {
    held.timer = setTimeout(
      () => {
        held.timer = null;
        if (this.heldExit !== held || this.killing) return;
        const tree = this.tree();
        const members = tree.members;
        if (!members.length) {
          this.lookAtLeftovers();
          return;
        }
        if (this.treeSignal === SIGKILL) {
          this.abandonLeftovers(members);
          return;
        }
        this.log.warn(`killing ${leftovers(members, `'${this.name}' left behind`)} with SIGKILL`);
        this.signalTree(tree, SIGKILL);
        this.armLeftoverKill(held);
      },
      Math.min(MAX_TIMER_MS, this.config.stopwaitsecs * 1000 + 1),
    );
  }

  /**
   * Still there stopwaitsecs after a SIGKILL (another user's process we may
   * not signal, an uninterruptible wait): the exit is not held for ever.
   */
  private abandonLeftovers(members: readonly number[]): void {
    this.log.error(
      `${leftovers(members, `'${this.name}' left behind`)} outlived SIGKILL by ${this.config.stopwaitsecs} s (stopwaitsecs); going on without them`,
    );
    this.releaseExit();
  }

  /** What finds the program's tree in /proc now. */
  private treeQuery(): TreeQuery {
    return {
      main: this.heldExit ? 0 : this.pid,
      pgid: this.pid,
      daemon: process.pid,
      seen: this.treeSeen ?? new Set(),
      own: this.host.ownChildren,
      tag: this.environment().filter((e) => e.startsWith('SUPERVISOR_PROCESS_NAME=') || e.startsWith('SUPERVISOR_GROUP_NAME=')),
    };
  }

  /** The tree besides the main process, as it is now; orphans the daemon adopted are reaped for us from here on. */
  private tree(): Tree {
    const seen = (this.treeSeen ??= new Set());
    const t = findTree({ ...this.treeQuery(), seen });
    for (const pid of t.members) seen.add(pid);
    for (const pid of t.adopted) seen.add(pid);
    if (t.adopted.length) this.host.adopt(t.adopted, this);
    return t;
  }

  /**
   * sig to the program's process group and to each member outside it, unless
   * already sent in this run (a second SIGINT is "quit now" to many programs).
   * `group` false: the caller signals the group itself.
   */
  private signalTree(tree: Tree, sig: number, group = true): void {
    this.treeSignal = sig;
    const sent = (this.treeSignaled ??= new Map());
    const native = requireNative();
    // key 0: the group
    if (sent.get(0) !== sig && group) native.kill(-this.pid, sig);
    sent.set(0, sig);
    for (const pid of tree.outside) {
      if (sent.get(pid) === sig) continue;
      sent.set(pid, sig);
      native.kill(pid, sig);
    }
  }

  /** The child was reaped with wait status sts (at monotonic `exitedAt`, when a stopastree tree held its exit back). */
  finish(sts: number, exitedAt?: number): void {
    const held = this.output.drain();
    const { exitstatus: es, message } = decodeWaitStatus(sts);
    let ended: string;
    const now = exitedAt ?? monoNow();
    this.laststop = wallNow();
    const tooQuickly = now - this.startMono < this.config.startsecs;
    const exitExpected = this.config.exitcodes.includes(es);
    if (now - this.startMono >= 1) this.paced = false;
    // Past its startsecs deadline, whose timer has not fired yet (startsecs=0 and a
    // child that exits at once): supervisord's loop runs the transition before it
    // reaps, so the success line comes before the exit there too.
    if (!this.killing && this.state === ProcessState.STARTING && now - this.startMono > this.config.startsecs) this.succeed();

    // UNKNOWN (a signal was refused: the program became another user) is
    // where Supervisor's state machine ends: its exit there fails an
    // assertion and supervisord dies. Here the exit ends the refused stop,
    // or is an exit like one from RUNNING.
    const unknown = this.state === ProcessState.UNKNOWN;
    if (this.killing || (unknown && this.stopRefused)) {
      this.killing = false;
      this.stopRefused = false;
      this.delay = 0;
      this.exitstatus = es;
      const msg = `stopped: ${this.name} (${message})`;
      ended = msg;
      this.assertInState(ProcessState.STOPPING, ProcessState.UNKNOWN);
      this.changeState(ProcessState.STOPPED);
      if (exitExpected) this.log.info(msg);
      else this.log.warn(msg);
    } else if (tooQuickly && !unknown) {
      this.exitstatus = null;
      // a clean exit only (sh -c "cmd &", a forking daemon's parent): a crash is retried as in Supervisor, whatever it left running
      this.backgrounded = held && exitExpected ? { pgid: this.pid, pipes: this.output.pipeInodes() } : null;
      this.spawnerr = 'Exited too quickly (process log may have details)';
      this.assertInState(ProcessState.STARTING);
      this.changeState(ProcessState.BACKOFF);
      ended = `exited: ${this.name} (${message}; not expected)`;
      this.log.warn(ended);
    } else {
      this.delay = 0;
      this.backoff = 0;
      this.exitstatus = es;
      if (this.state === ProcessState.STARTING) this.changeState(ProcessState.RUNNING);
      this.assertInState(ProcessState.RUNNING, ProcessState.UNKNOWN);
      ended = `exited: ${this.name} (${message}; ${exitExpected ? 'expected' : 'not expected'})`;
      if (exitExpected) {
        this.changeState(ProcessState.EXITED, true);
        this.log.info(ended);
      } else {
        this.spawnerr = `Bad exit code ${es}`;
        this.changeState(ProcessState.EXITED, false);
        this.log.warn(ended);
      }
    }
    this.pid = 0;
    // a pre_stop_hook still running (it made the program end) finishes on its own, within its time; its answer has nothing left to stop
    if (this.preStop) this.preStopAfter = this.preStop;
    this.preStop = null;
    this.output.closePipes(ended);
    this.output.closeChannels();
    this.releaseFcgi();
    this.arm();
    this.host.requestTransition();
  }

  // ---------------------------------------------------------------- transition

  /** STARTING to RUNNING once startsecs have passed. */
  private succeed(): void {
    this.delay = 0;
    this.backoff = 0;
    this.assertInState(ProcessState.STARTING);
    this.changeState(ProcessState.RUNNING);
    this.log.info(`success: ${this.name} entered RUNNING state, process has stayed up for > than ${this.config.startsecs} seconds (startsecs)`);
  }

  /** Supervisor's per-loop transition(), run whenever something may have changed. */
  transition(): void {
    const now = monoNow();
    const state = this.state;
    if (this.host.mood() > SupervisorState.RESTARTING) {
      if (state === ProcessState.EXITED) {
        if (this.restartWanted() && this.dependenciesReady()) this.autoRestart(now);
      } else if (state === ProcessState.STOPPED && !this.laststart) {
        if (this.config.autostart && !this.heldBack && this.dependenciesReady()) this.spawn();
      } else if (state === ProcessState.BACKOFF) {
        if (this.backoff <= this.config.startretries && now > this.delay) this.retryOrGiveUp();
      } else if (state === ProcessState.STOPPED && this.selfRestart) {
        if (!this.selfRestartAt) this.selfRestartAt = now + this.selfRestartDelay(this.selfRestart);
        if (now >= this.selfRestartAt) this.spawn();
      } else if (state === ProcessState.FATAL && this.fatalRetryAt && now >= this.fatalRetryAt) {
        if (this.backgroundHolders().length) {
          // what it put in the background still runs: a start now would be another copy
          this.fatalRetryAt = now + this.config.fatalretrysecs;
        } else {
          this.log.info(`retrying: ${this.name}, which gave up ${this.config.fatalretrysecs} seconds ago (fatalretrysecs)`);
          this.spawn();
        }
      }
    }
    if (state === ProcessState.STARTING && !this.heldExit && !this.preStart && now - this.startMono > this.config.startsecs) this.succeed();
    if (state === ProcessState.BACKOFF) {
      if (this.backoff > this.config.startretries) {
        this.giveUp();
        this.log.info(`gave up: ${this.name} entered FATAL state, too many start retries too quickly`);
        if (this.fatalRetryAt) this.log.info(`${this.name} will be started again in ${this.config.fatalretrysecs} seconds (fatalretrysecs)`);
      }
    } else if (state === ProcessState.STOPPING && !this.preStop) {
      if (this.delay - now <= 0) {
        this.log.warn(`killing '${this.name}' (${this.pid}) with SIGKILL`);
        this.kill(signalNumber('KILL'));
      }
    }
    this.stopReport();
    this.arm();
  }

  /**
   * The retry from BACKOFF, unless the last run put the program in the
   * background (`command=sh -c "worker &"`, a daemon not told to stay in the
   * foreground): its exit was too quick only because the real work went on
   * in another process, which still holds the output pipes and still runs in
   * the program's process group a backoff later. Each retry would start
   * another copy of it, out of reach of stop. supervisord, idle, sees such an
   * exit only at its next one-second poll, past the default startsecs, and
   * starts the program once; busy, or with a longer startsecs, it retries and
   * leaves a copy per try. tsv gives up at once and says why.
   */
  private retryOrGiveUp(): void {
    const pids = this.backgroundHolders();
    if (!pids.length) {
      this.spawn();
      return;
    }
    this.spawnerr = `Exited too quickly, leaving ${leftovers(pids, 'in the background')}`;
    this.giveUp();
    this.log.info(
      `gave up: ${this.name} entered FATAL state, it put itself in the background: ${leftovers(pids, 'of its last run')} still running with its output pipes open; another start would start another copy`,
    );
    this.log.info(
      `hint: run the command of '${this.name}' in the foreground (no trailing '&'; for a daemon, its own flag to stay in the foreground, such as nginx's 'daemon off;'), or wrap a program that must fork in pidproxy`,
    );
    if (this.fatalRetryAt) {
      this.log.info(
        `${this.name} will be started again in ${this.config.fatalretrysecs} seconds (fatalretrysecs), or as soon after as nothing of its last run holds its output`,
      );
    }
  }

  /**
   * What of the last run still holds its output, when that run put itself in
   * the background: looked up now, since being held at the exit is not enough
   * (a `cmd >/dev/null &` holds the pipes until it has redirected).
   */
  private backgroundHolders(): number[] {
    const b = this.backgrounded;
    return b ? pipeHolders(b.pgid, b.pipes) : [];
  }

  private restartWanted(): boolean {
    return this.config.autorestart === true || (this.config.autorestart === 'unexpected' && !this.config.exitcodes.includes(this.exitstatus as number));
  }

  /** autorestart from EXITED: after restartpause, then at once while the budget lasts, then at RESTART_RATE a second (restart-pace.ts) */
  private autoRestart(now: number): void {
    if (!this.restartAt && this.config.restartpause > 0) {
      // once per exit (the spawn clears restartAt): from when it may restart, its dependencies up
      this.restartAt = now + this.config.restartpause;
      this.log.info(`restarting ${this.name} in ${this.config.restartpause} seconds (restartpause)`);
    }
    if (this.restartAt && now < this.restartAt) return;
    const wait = this.turnTaken ? 0 : this.budgetWait(now);
    if (wait > 0) {
      this.restartAt = now + wait;
      return;
    }
    this.spawn();
  }

  /**
   * Seconds an automatic restart waits for the budgets (0: none): this
   * process's own, asked again when the wait ends, then the daemon's, over all
   * processes, whose turn is counted at once (turnTaken: it goes when due).
   * Each is announced once.
   */
  private budgetWait(now: number): number {
    this.restarts ??= new RestartPace();
    const wait = this.restarts.take(now);
    if (wait > 0) {
      if (!this.paced) {
        this.paced = true;
        this.log.warn(
          `automatic restarts of '${this.name}' now wait ${1000 / RESTART_RATE} ms each: it has exited and been restarted ` +
            `${RESTART_BURST} times faster than ${RESTART_RATE} a second (the wait ends once it exits less often)`,
        );
      }
      return wait;
    }
    // a pool's restarts add up
    const turn = this.host.restartTurns?.take(now);
    if (!turn || turn.wait <= 0) return 0;
    this.turnTaken = true;
    if (turn.announce !== null) {
      this.log.warn(
        `automatic restarts now take turns, at most ${turn.announce} a second: processes have exited and been restarted ` +
          `${DAEMON_RESTART_BURST} times faster than that (the turns end once they exit less often)`,
      );
    }
    return turn.wait;
  }

  /** Arm the one timer this state needs (or none). */
  private arm(): void {
    let due = 0;
    switch (this.state) {
      case ProcessState.STARTING:
        if (this.pid && !this.heldExit) due = this.startMono + this.config.startsecs;
        break;
      case ProcessState.BACKOFF:
        // BACKOFF -> FATAL needs no wait; BACKOFF -> STARTING waits for delay,
        // and never comes while the daemon stops or restarts (the stop of
        // its group gives it up): a timer past its delay would wake every ms
        if (this.backoff > this.config.startretries) due = monoNow();
        else if (this.host.mood() > SupervisorState.RESTARTING) due = this.delay;
        break;
      case ProcessState.STOPPING:
        if (this.pid) due = this.delay;
        if (this.stopWatchers && (!due || this.laststopreport + 2 < due)) due = this.laststopreport + 2;
        break;
      case ProcessState.EXITED:
        // a restart due while a dependency is down waits for the dependency,
        // whose coming up asks for a pass (changed()), not for a timer
        if (this.restartAt && this.host.mood() > SupervisorState.RESTARTING && (this.restartAt > monoNow() || !this.host.dependencies.unmet(this).length)) due = this.restartAt;
        break;
      case ProcessState.FATAL:
        if (this.host.mood() > SupervisorState.RESTARTING) due = this.fatalRetryAt;
        break;
      case ProcessState.STOPPED:
        if (this.selfRestart && this.host.mood() > SupervisorState.RESTARTING) due = this.selfRestartAt;
        break;
    }
    if (!due) {
      this.clearTimer();
      return;
    }
    if (this.timer && this.timerAt === due) return;
    this.clearTimer();
    // a deadline past 2^31-1 ms (startsecs or stopwaitsecs of ~25 days): msUntil
    // waits the longest setTimeout takes, and the timer looks again then
    const ms = msUntil(due);
    this.timerAt = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = 0;
      this.host.requestTransition();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = 0;
  }

  isStopped(): boolean {
    return STOPPED_STATES.has(this.state);
  }

  reopenLogs(): void {
    this.output.reopen();
  }

  /** A client's window size for the terminal, kept for the program's next runs too. */
  resizeTerminal(size: WindowSize): number {
    this.window = size;
    return this.output.terminal?.resize(size) ?? 0;
  }

  /**
   * clearProcessLogs. Supervisor clears only the logs a process is writing:
   * for a program not running it does nothing and still answers that it
   * cleared them (Supervisor issue #804, open since 2016). tsv clears the
   * files either way.
   */
  removeLogs(): void {
    for (const channel of ['stdout', 'stderr'] as const) {
      const live = this.output.liveLog(channel);
      const path = channel === 'stdout' ? this.stdoutLogfile : this.stderrLogfile;
      if (live) live.removeAndReopen();
      // a file another process of the daemon writes is that process's to clear
      else if (path !== null && path !== 'syslog' && !logWritten(path)) clearClosedLog(path);
    }
  }

  /** Forget timers (the group is being removed or the engine is closing). */
  dispose(): void {
    this.health?.stop();
    this.binaryWatch?.close();
    this.treeWatch?.close();
    this.cronStart?.stop();
    this.cronRestart?.stop();
    this.preStart?.cancel();
    this.preStop?.cancel();
    this.preStart = null;
    this.preStop = null;
    if (this.preStopAfter) {
      // the daemon exits or reloads: the hook would run on without it (and a shutdown would wait for its timer)
      const mood = this.host.mood();
      const why = mood === SupervisorState.RESTARTING ? 'the daemon restarts' : mood === SupervisorState.SHUTDOWN ? 'the daemon exits' : 'its group is removed';
      this.log.warn(`pre_stop_hook of ${this.name} still ran after ${this.name} had stopped: killed, as ${why}`);
      this.preStopAfter.cancel();
      this.preStopAfter = null;
    }
    this.clearTimer();
    if (this.heldExit?.timer) clearTimeout(this.heldExit.timer);
    if (this.leftoverLook) clearImmediate(this.leftoverLook);
    this.heldExit = null;
    this.leftoverLook = null;
    this.output.closePipes();
    this.output.closeChannels();
    this.releaseFcgi();
    // a roll of its pool waiting for it to come back learns that it will not
    this.selfRestart = null;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Where a NUL byte would cut what a child is given, or null: C strings end
 * there, so the program would run with a shorter argument, value or
 * directory than the config says (Supervisor's child dies of the
 * ValueError: "child process was not spawned").
 */
function nulByteIn(exec: ExecArgs, env: string[], directory: string | null): string | null {
  const arg = exec.argv.findIndex((a) => a.includes('\0'));
  if (arg >= 0) return `argument ${arg} of the command`;
  const v = env.find((e) => e.includes('\0'));
  if (v !== undefined) return `the environment variable ${v.slice(0, v.indexOf('='))}`;
  if (directory?.includes('\0')) return 'the directory';
  return null;
}

/** the longest delay setTimeout takes as it is */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The setTimeout delay that wakes just past a monotonic deadline (seconds):
 * Supervisor compares with '>', and a timer may wake a little early by
 * performance.now() (libuv measures from the loop's cached time).
 */
export function msUntil(due: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil((due - monoNow()) * 1000) + 1));
}
/** how late past its due time a timer-woken stop report may come and still keep the 2 s beat (seconds) */
const REPORT_SLACK = 0.05;
function userName(uid: number): string {
  const info = requireNative().groupsOf(uid);
  return info ? info.name : String(uid);
}

function healthChecksFailed(n: number): string {
  return `${n} health check${n === 1 ? '' : 's'} in a row failed`;
}
