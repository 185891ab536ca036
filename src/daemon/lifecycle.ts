// The daemon's life (supervisord.py main/run and the ServerOptions steps
// around it): command line and config, user switch, rlimits, main log,
// AUTO log purge, groups, control sockets, signals, daemonizing, pidfile,
// then the engine until shutdown; HUP restarts the whole run in-process with
// the config read again.
import type { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { missingNodeOptions, missingV8Flags, setMissingV8Flags } from './v8-flags';
import type { Config } from '../config/model';
import { loadConfig, mainRpcNamespaces } from '../config/load';
import { umaskBits } from '../config/datatypes';
import { userName } from '../os/accounts';
import { pyOSErrorText } from '../os/py-errno';
import { ConfigError } from '../config/errors';
import { EMPTY_CONFIG_FLAG, findConfigFile, configSearchPaths } from '../config/search';
import { MainLogger, FileSink, StdoutSink, SyslogSink } from '../log/mainlog';
import { SystemdNotifier } from './sd-notify';
import { asctime, useLibcLocalTime } from '../log/asctime';
import { describeLogError, ownDescriptorNamed, waitForFifoReader } from '../log/logfile';
import { writeStdio } from '../log/stdio';
import { writeOutput } from '../cli/output-errors';
import { LEVEL_BY_NAME, levelTag } from '../log/levels';
import { AutoLogError, clearAutoChildLogDir } from '../log/autolog';
import { Supervisor } from './supervisor';
import { EngineApi } from './api';
import { ServerSet, ServerBindError } from './socket';
import { FcgiSocketError } from './fcgi-socket';
import { inspectPidfile, removePidfileIfOurs, writePidfile } from './pidfile';
import { applyFlags, parseFlags, UsageError, USAGE, type DaemonFlags } from './options';
import { coerceCLocale, loadNative, nativeLoadError, requireNative } from './native';
import { SupervisorState } from './states';
import { serveRpc } from '../rpc/serve';
import { selfCommand } from '../native/sea';
import { closeDebuggerPort, putBackNodeOptions, withNodeOptionsHeld } from './node-env';
import { keepRunningOnUncaught } from './last-resort';
import { trimWhenQuiet } from './malloc-trim';
import { explainOpenRefusal } from '../os/access';

/** The Supervisor version tsv answers as (supervisord -v, getSupervisorVersion). */
export const SUPERVISOR_VERSION = '4.2.5';

const STATUS_FD_ENV = 'TSV_DAEMON_STATUS_FD';
/** names the descriptor a daemonizing start hands on: the caller's stdout or stderr, which the main log names */
const CALLER_LOG_FD_ENV = 'TSV_DAEMON_CALLER_LOG_FD';

/**
 * Supervisor opens the main log before it forks: `logfile=/dev/stdout` goes
 * on reaching the caller's stdout (a container's log) after daemonizing. The
 * daemon here is a new process whose fds 0-2 are /dev/null, so the start
 * hands it that descriptor (as fd 4, kept as a close-on-exec copy) and the
 * main log is opened through it.
 */
let callerLog: { which: 1 | 2; fd: number } | null = null;

/** 1 or 2 when the main log names the caller's stdout or stderr */
function callerStdioOf(logfile: string): 1 | 2 | null {
  const fd = ownDescriptorNamed(logfile);
  return fd === 1 || fd === 2 ? fd : null;
}

class Exit extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(text);
  }

  /** the message alone, without "Error: " and the help line */
  get reason(): string {
    return this.text.replace(/^Error: /, '').replace(/\nFor help, use .*\n$/s, '').trim();
  }
}

const stderr = (text: string): void => writeStdio(2, text);

interface RunState {
  progname: string;
  args: string[];
  flags: DaemonFlags;
  first: boolean;
  /** the daemonized child reports readiness/errors through this fd */
  statusFd: number | null;
  /**
   * The config read to decide whether to daemonize, for the first run to use
   * rather than read it again. Kept here, not in a local of runDaemon: a
   * suspended async function keeps its locals, and this one would hold a
   * second copy of every program's config for the daemon's lifetime.
   */
  preloaded: Config | null;
  /**
   * Without -c: the file the first search found, made absolute. A restart
   * reads it again; supervisord searches again from the directory it is in
   * by then (-d), where it may find another config, or none.
   */
  found: string | null;
}

/** The syslog ident: Python's is the program's base name (`supervisord`); `tsv daemon` logs as `tsv`. */
function syslogIdent(progname: string): string {
  return progname.split(' ')[0];
}

/** For errors about files the daemon could not make: whose permissions counted. */
function runsAs(): string {
  const who = process.getuid?.() ?? -1;
  return `the daemon runs as user ${loadNative()?.groupsOf(who)?.name ?? String(who)}`;
}

function usage(progname: string, msg: string): Exit {
  return new Exit(2, `Error: ${msg}\nFor help, use ${progname} -h\n`);
}

function readConfig(st: RunState, rereading = false): Config {
  let file = st.flags.configfile ?? st.found ?? undefined;
  // Supervisor does not search for an empty -c (it then fails with a traceback)
  if (file === '') throw usage(st.progname, EMPTY_CONFIG_FLAG);
  if (!file) {
    // the daemonizing parent has printed this already
    if (process.getuid?.() === 0 && st.statusFd === null) {
      stderr(
        'UserWarning: Supervisord is running as root and it is searching for its configuration file in default locations ' +
          '(including its current working directory); you probably want to specify a "-c" argument specifying an absolute ' +
          'path to a configuration file for improved security.\n',
      );
    }
    file = findConfigFile() ?? undefined;
    if (!file) {
      throw usage(
        st.progname,
        `No config file found at default paths (${configSearchPaths().join(', ')}); use the -c option to specify a config file at a different path`,
      );
    }
    st.found = resolve(file);
  }
  let config: Config;
  try {
    config = loadConfig({ file, rereading, lookUpUser: !rereading && st.flags.user === undefined }).config;
  } catch (e) {
    if (e instanceof ConfigError) throw new Exit(2, `${e.render()}For help, use ${st.progname} -h\n`);
    throw e;
  }
  try {
    applyFlags(config, st.flags);
  } catch (e) {
    if (e instanceof UsageError) throw usage(st.progname, e.message);
    throw e;
  }
  return config;
}

/** Why this process cannot become `uid` (null: it is that user, or root). */
function cannotBecome(uid: number): string | null {
  const me = process.getuid?.();
  return me === uid || me === 0 ? null : "Can't drop privilege as nonroot user";
}

/** options.drop_privileges for the daemon itself: returns an error message or null. */
function dropPrivileges(uid: number): string | null {
  const native = requireNative();
  if (process.getuid?.() === uid) return null;
  const refused = cannotBecome(uid);
  if (refused) return refused;
  const who = native.groupsOf(uid);
  if (!who) return `Can't find uid ${uid}`;
  try {
    process.setgroups?.(who.groups);
  } catch {
    return 'Could not set groups of effective user';
  }
  try {
    process.setgid?.(who.gid);
  } catch {
    return 'Could not set group id of effective user';
  }
  process.setuid?.(uid);
  return null;
}

/** Linux's ceiling on any process's open-files limit, root's included; null elsewhere. */
function nrOpen(): number | null {
  try {
    const n = Number(readFileSync('/proc/sys/fs/nr_open', 'latin1').trim());
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** options.set_rlimits_or_exit, through the native helper (Node has no setrlimit). */
function raiseRlimits(config: Config, infos: string[], progname: string): void {
  const native = requireNative();
  const sd = config.supervisord;
  const limits = [
    {
      res: 'NOFILE' as const,
      min: sd.minfds,
      option: 'minfds',
      raise: 'LimitNOFILE= in a systemd unit, ulimit -Hn in what starts the daemon, --ulimit nofile= for a container',
      msg: (hard: number) =>
        `The minimum number of file descriptors required to run this process is ${sd.minfds} as per the "minfds" command-line argument or config file setting. The current environment will only allow you to open ${hard} file descriptors.  Either raise the number of usable file descriptors in your environment (see README.rst) or lower the minfds setting in the config file to allow the process to start.`,
    },
    {
      res: 'NPROC' as const,
      min: sd.minprocs,
      option: 'minprocs',
      raise: 'LimitNPROC= in a systemd unit, ulimit -Hu in what starts the daemon, --ulimit nproc= for a container',
      msg: (hard: number) =>
        `The minimum number of available processes required to run this program is ${sd.minprocs} as per the "minprocs" command-line argument or config file setting. The current environment will only allow you to open ${hard} processes.  Either raise the number of usable processes in your environment (see README.rst) or lower the minprocs setting in the config file to allow the program to start.`,
    },
  ];
  for (const l of limits) {
    const [soft, hard0] = native.getrlimit(l.res);
    let hard = hard0;
    if (soft < l.min && soft !== -1) {
      if (hard < l.min && hard !== -1) hard = l.min;
      try {
        native.setrlimit(l.res, l.min, hard);
        infos.push(`Increased RLIMIT_${l.res} limit to ${l.min}`);
      } catch (e) {
        // Supervisor's words name the hard limit it asked for, not the one there is
        const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        const kernelMax = l.res === 'NOFILE' ? nrOpen() : null;
        const hint =
          kernelMax !== null && l.min > kernelMax
            ? `the kernel lets no process open more than ${kernelMax} files (sysctl fs.nr_open; setrlimit: ${why}): lower [supervisord] ${l.option}= to at most ${kernelMax}, or raise fs.nr_open first`
            : `the hard limit here is ${hard0} and may not be raised by this process (setrlimit: ${why}; raising it needs root's CAP_SYS_RESOURCE): ` +
              `raise it before the daemon starts (${l.raise}), or lower [supervisord] ${l.option}= to at most ${hard0}`;
        throw usage(progname, `${l.msg(hard)}\n  hint: ${hint}`);
      }
    }
  }
}

function makeLogger(config: Config, progname: string): MainLogger {
  const sd = config.supervisord;
  const logger = new MainLogger(LEVEL_BY_NAME[sd.loglevel]);
  const sinks = [];
  if (sd.nodaemon && !sd.silent) sinks.push(new StdoutSink());
  try {
    if (sd.logfile === 'syslog') {
      sinks.push(new SyslogSink(syslogIdent(progname), (m, lvl) => `${asctime()} ${levelTag(lvl)} ${m}\n`));
    } else {
      const viaCaller = callerLog && callerStdioOf(sd.logfile) === callerLog.which ? `/dev/fd/${callerLog.fd}` : null;
      // a FIFO main log is waited for here, once: a log file's own open never waits (ENXIO)
      const reader = viaCaller ? -1 : waitForFifoReader(sd.logfile);
      try {
        sinks.push(new FileSink(viaCaller ?? sd.logfile, sd.logfile_maxbytes, sd.logfile_backups, sd.logfile_rotate, (m) => logger.warn(m)));
      } finally {
        if (reader >= 0) closeSync(reader);
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const kernel = explainOpenRefusal(err, sd.logfile);
    const what = err.code === 'ENXIO' ? `ENXIO (${describeLogError('ENXIO')})` : `${err.code ?? err.message} (${runsAs()})`;
    throw usage(progname, `could not open the main log file ${sd.logfile} ([supervisord] logfile): ${what}${kernel ? `: ${kernel}` : ''}`);
  }
  logger.setSinks(sinks);
  return logger;
}

/**
 * A TZ the C library reads and Node's ICU does not (a POSIX rule such as
 * IST-5:30 or CET-1CEST,M3.5.0,M10.5.0/3, which ICU takes for UTC): the
 * daemon's times (logs, status, the web page, rotation by period, cron=
 * schedules) are then the C library's local time, as supervisord's are.
 */
function readTimeZone(): void {
  useLibcLocalTime(null);
  const native = loadNative();
  if (!process.env.TZ || !native) return;
  const now = Date.now();
  if (-new Date(now).getTimezoneOffset() * 60 !== native.localOffset(Math.floor(now / 1000))) useLibcLocalTime((s) => native.localOffset(s));
}

/** One run of the daemon, from options to the end of shutdown. Returns the mood it ended in. */
async function runOnce(st: RunState): Promise<SupervisorState> {
  const config = st.preloaded ?? readConfig(st);
  st.preloaded = null;
  const sd = config.supervisord;
  const criticals: string[] = [];
  const infos: string[] = [];

  // setuid before anything is opened, as supervisord does
  if (sd.uid === null || sd.uid === undefined) {
    if (process.getuid?.() === 0) {
      criticals.push(
        'Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  ' +
          'If you intend to run as root, you can set user=root in the config file to avoid this message.',
      );
    }
  } else {
    const msg = dropPrivileges(sd.uid);
    if (msg !== null) throw usage(st.progname, msg);
    infos.push(`Set uid to user ${sd.uid} succeeded`);
  }
  if (st.first) raiseRlimits(config, infos, st.progname);

  readTimeZone();
  const logger = makeLogger(config, st.progname);
  for (const m of criticals) logger.critical(m);
  // tsv's own warnings say where, as config check does; Supervisor's keep its words
  for (const w of config.warnings) logger.warn(w.supervisor || !w.file ? w.message : `${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}`);
  for (const m of config.infos) logger.info(m);
  for (const m of infos) logger.info(m);

  const minfds = sd.minfds;
  // supervisord stops everything and then dies of a config that no longer
  // loads (its error on a stderr that is /dev/null once daemonized); tsv reads
  // the config first and refuses the restart, keeping every program running;
  // a config that loads is kept for the next run, not read again. Asked
  // again by a SIGHUP during the restart (underWay), which Supervisor's read
  // after the stop would see: a config that loads then replaces the one
  // kept; one that does not leaves the restart under way on the one kept.
  const refuseRestart = (underWay: boolean): string | null => {
    const refusal = underWay ? 'the restart under way keeps the configuration read when it began' : 'restart refused, nothing was stopped';
    try {
      const next = readConfig(st);
      // a daemon that has dropped root cannot become another user: the restart would stop everything and exit
      const refused = next.supervisord.uid === null ? null : cannotBecome(next.supervisord.uid);
      if (refused) {
        const why = `${refusal}: the configuration names [supervisord] user=${next.supervisord.user}, and a daemon that runs as ${userName(process.getuid?.() ?? 0)} cannot become that user (${refused})`;
        logger.error(why);
        return why;
      }
      st.preloaded = next;
      return null;
    } catch (e) {
      if (!(e instanceof Exit)) throw e;
      const why = `${refusal}: the configuration no longer loads: ${e.reason}`;
      logger.error(why);
      return why;
    }
  };
  const engine = new Supervisor({ config, logger, progname: syslogIdent(st.progname), minfds, refuseRestart });
  const api = new EngineApi(engine, {
    pid: () => process.pid,
    mainLogfile: () => (sd.logfile === 'syslog' ? null : sd.logfile),
    clearMainLog: () => {
      for (const s of logger.sinkList) s.remove();
      // Supervisor logs the line before reopening each handler in turn
      // (stdout's first, a no-op): with -n, stdout shows it twice, and both
      // go to the removed file before the file's own reopen
      for (let i = 0; i < logger.sinkList.length; i++) logger.info('reopening log file');
      logger.reopen();
    },
    rereadConfig: () => {
      try {
        return readConfig(st, true);
      } catch (e) {
        // CANT_REREAD carries the reason only
        if (e instanceof Exit) throw new Error(e.reason);
        throw e;
      }
    },
    supervisorVersion: SUPERVISOR_VERSION,
  });

  let servers: ServerSet | null = null;
  const cleanups: (() => void)[] = [];
  const signals: [NodeJS.Signals, () => void][] = [];
  let pidfileWritten = false;
  let releaseUncaught: (() => void) | null = null;
  let notifier: SystemdNotifier | null = null;
  try {
    // Bound before the AUTO log purge (Supervisor binds after it): a second
    // daemon refused by a live socket must not delete the first one's logs.
    servers = new ServerSet({
      stale: (m) => stderr(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
    });
    try {
      await servers.open(config.servers);
    } catch (e) {
      if (e instanceof ServerBindError) throw usage(st.progname, e.hint ? `${e.message}\n  hint: ${e.hint}` : e.message);
      throw e;
    }
    if (!sd.nocleanup) clearAutoChildLogDir(sd.childlogdir, sd.identifier, logger);
    try {
      engine.addConfiguredGroups();
    } catch (e) {
      // Supervisor dies of the ValueError (a traceback, exit 1): the same exit without the traceback
      if (e instanceof FcgiSocketError) throw new Exit(1, `Error: ${e.message}\n`);
      if (e instanceof AutoLogError) throw usage(st.progname, `${e.message} (${runsAs()})`);
      throw usage(st.progname, (e as Error).message);
    }

    // a Python plugin tsv ignored (a warning above) was not initialized
    const rpcNamespaces = mainRpcNamespaces(config);
    for (const b of servers.bound) {
      for (const name of rpcNamespaces) logger.info(`RPC interface '${name}' initialized`);
      if (!b.config.username) logger.critical(`Server '${b.config.section}' running without any HTTP authentication checking`);
    }
    // XML-RPC, the web page, /metrics and the log tails, on every socket
    cleanups.push(serveRpc({ api, config, servers, logger }));

    // signals are only queued in Supervisor; here each acts at once
    const onExit = (sig: NodeJS.Signals) => () => {
      logger.warn(`received ${sig} indicating exit request`);
      engine.setMood(SupervisorState.SHUTDOWN);
    };
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as NodeJS.Signals[]) signals.push([sig, onExit(sig)]);
    signals.push([
      'SIGHUP',
      () => {
        if (engine.mood === SupervisorState.SHUTDOWN) {
          logger.warn('ignored SIGHUP indicating restart request (shutdown in progress)');
        } else {
          logger.warn('received SIGHUP indicating restart request');
          engine.restart();
        }
      },
    ]);
    signals.push([
      'SIGUSR2',
      () => {
        logger.info('received SIGUSR2 indicating log reopen request');
        logger.info('supervisord logreopen');
        logger.reopen();
        for (const g of engine.groups.values()) g.reopenLogs();
        // also the moment to put back a socket file a tmp cleaner removed
        void servers?.ensureSockets(true);
      },
    ]);
    // Supervisor installs no handler for it (the default action ends supervisord)
    signals.push(['SIGUSR1', () => logger.blather('received SIGUSR1 indicating nothing')]);
    signalRouter.attach(signals);

    if (!sd.nodaemon && st.first) {
      // supervisord's parent writes it after its fork; here the daemon is the re-spawn, and its parent waits for it
      logger.blather('supervisord forked; parent exiting');
      logger.info('daemonizing the supervisord process');
      if (sd.directory) {
        try {
          process.chdir(sd.directory);
          logger.info(`set current directory: '${sd.directory}'`);
        } catch (e) {
          logger.critical(`can't chdir into '${sd.directory}': ${pyOSErrorText(e as NodeJS.ErrnoException, sd.directory)}`);
        }
      }
      // Node refuses a negative mask; umask(2) takes its low 9 bits
      process.umask(umaskBits(sd.umask));
    }

    const prior = inspectPidfile(sd.pidfile);
    try {
      writePidfile(sd.pidfile);
      pidfileWritten = true;
      // said once it is done: a file the daemon's user may not replace stays as it was
      if (prior.kind === 'stale' && prior.pid !== null && prior.pid !== process.pid) {
        logger.info(`replacing stale pidfile ${sd.pidfile} (pid ${prior.pid} is not running)`);
      } else if (prior.kind === 'live') {
        logger.warn(`pidfile ${sd.pidfile} names a running process (pid ${prior.pid}); overwriting it`);
      }
      logger.info(`supervisord started with pid ${process.pid}`);
    } catch {
      logger.critical(`could not write pidfile ${sd.pidfile}`);
    }

    if (st.statusFd !== null) {
      // tell the foreground parent we are serving, then detach from its terminal
      try {
        writeSync(st.statusFd, 'READY\n');
        closeSync(st.statusFd);
      } catch {
        // the parent went away: keep running, as a forked supervisord would
      }
      st.statusFd = null;
      requireNative().devnullStdio();
    }

    // before the first spawn: it takes NOTIFY_SOCKET out of the environment programs inherit
    notifier = SystemdNotifier.forRun(engine, logger);
    engine.run();
    notifier?.ready();
    // from here an exception nobody caught is a logged bug, not the end of every child's supervision
    releaseUncaught = keepRunningOnUncaught(logger);
    await engine.stopped;
    return engine.mood;
  } finally {
    notifier?.close();
    signalRouter.detach();
    for (const c of cleanups) {
      try {
        c();
      } catch {
        // cleanup must not mask the result
      }
    }
    engine.close();
    if (servers) await servers.close();
    if (pidfileWritten) removePidfileIfOurs(sd.pidfile);
    // kept until the run's log closes: a callback that throws while the servers close is logged too
    releaseUncaught?.();
    logger.close();
  }
}

/**
 * The daemon's signal handlers stay installed for its whole life (as
 * Supervisor's do), so a signal that arrives between two runs of a reload is
 * not left to Node's default action: an exit request is kept and acted on as
 * soon as the next run has an engine.
 */
class SignalRouter {
  private handlers = new Map<NodeJS.Signals, () => void>();
  private pendingExit: NodeJS.Signals | null = null;
  private readonly installed = new Map<NodeJS.Signals, () => void>();
  /**
   * Until the first run has its handlers, an exit signal ends the daemon as
   * its default action would: supervisord installs its handlers only once
   * its servers are open, so TERM or Ctrl-C ends a start that is stuck
   * before that (a socket it cannot bind, a config include that hangs).
   */
  private started = false;

  install(): void {
    // SIGUSR1 too: with no listener for it, Node opens its inspector on
    // 127.0.0.1:9229, where any local user could run code in the daemon
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2', 'SIGUSR1'] as NodeJS.Signals[]) {
      const fn = (): void => {
        const h = this.handlers.get(sig);
        if (h) h();
        else if (sig === 'SIGTERM' || sig === 'SIGINT' || sig === 'SIGQUIT') {
          if (this.started) this.pendingExit = sig;
          else {
            this.uninstall();
            process.kill(process.pid, sig);
          }
        }
      };
      this.installed.set(sig, fn);
      process.on(sig, fn);
    }
  }

  attach(list: [NodeJS.Signals, () => void][]): void {
    this.started = true;
    this.handlers = new Map(list);
    const pending = this.pendingExit;
    this.pendingExit = null;
    if (pending) this.handlers.get(pending)?.();
  }

  detach(): void {
    this.handlers = new Map();
  }

  uninstall(): void {
    for (const [sig, fn] of this.installed) process.off(sig, fn);
    this.installed.clear();
  }
}

const signalRouter = new SignalRouter();

/** Foreground parent of a daemonizing start: wait until the daemon serves or fails. */
function daemonizeAndWait(logfile: string): Promise<number> {
  return new Promise((resolve) => {
    const handOn = callerStdioOf(logfile);
    // selfCommand: in a single executable argv[1] is not a script but the name it was started as.
    const self = selfCommand();
    // under plain node the V8 flags go on the daemon's command line (a single
    // executable on Node 24 starts with them; armv7l's Node 20 build can
    // only set them at run time)
    const flags = self.args.length ? [...missingNodeOptions(), ...missingV8Flags()] : [];
    const child = spawn(self.file, [...flags, ...self.args, ...process.argv.slice(2)], {
      argv0: self.argv0,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', ...(handOn ? [handOn] : [])],
      env: withNodeOptionsHeld({ ...process.env, [STATUS_FD_ENV]: '3', ...(handOn ? { [CALLER_LOG_FD_ENV]: `${handOn}:4` } : {}) }),
    });
    let ready = false;
    let settled = false;
    // Ctrl-C (or a TERM) while the daemon starts ends it too: it is in a
    // session of its own, and would otherwise go on unseen
    const passOn: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGQUIT'] as NodeJS.Signals[]).map((sig) => [
      sig,
      () => {
        child.kill(sig);
      },
    ]);
    for (const [sig, fn] of passOn) process.on(sig, fn);
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      for (const [sig, fn] of passOn) process.off(sig, fn);
      resolve(code);
    };
    child.stderr?.on('data', (d: Buffer) => stderr(d.toString()));
    const status = child.stdio[3] as Readable | null;
    status?.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) {
        ready = true;
        child.stderr?.destroy();
        status.destroy();
        child.unref();
        finish(0);
      }
    });
    child.on('error', (e) => {
      stderr(`Error: could not start the daemon: ${e.message}\n`);
      finish(1);
    });
    child.on('exit', (code, signal) => {
      if (ready) return;
      if (code === 0) finish(0);
      else {
        if (code === null) stderr(`Error: the daemon was killed by ${signal} during start-up\n`);
        finish(code ?? 1);
      }
    });
  });
}

export async function runDaemon(args: string[], progname: string): Promise<number> {
  setMissingV8Flags();
  // before the config is read: %(ENV_NODE_OPTIONS)s is the user's
  putBackNodeOptions();
  const st: RunState = { progname, args, flags: {}, first: true, statusFd: null, preloaded: null, found: null };
  try {
    try {
      st.flags = parseFlags(args);
    } catch (e) {
      if (e instanceof UsageError) throw usage(progname, e.message);
      throw e;
    }
    if (st.flags.help) {
      writeOutput(1, USAGE.replace('%s', progname) + '\n');
      return 0;
    }
    if (st.flags.version) {
      writeOutput(1, `${SUPERVISOR_VERSION}\n`);
      return 0;
    }
    if (!loadNative()) {
      throw new Exit(2, `Error: tsv's native helper could not be loaded (${nativeLoadError()}); the daemon cannot spawn processes without it\n`);
    }
    coerceCLocale();
    const statusEnv = process.env[STATUS_FD_ENV];
    if (statusEnv) {
      delete process.env[STATUS_FD_ENV];
      st.statusFd = Number(statusEnv);
      const handed = /^([12]):(\d+)$/.exec(process.env[CALLER_LOG_FD_ENV] ?? '');
      delete process.env[CALLER_LOG_FD_ENV];
      // a close-on-exec copy: the one handed on is closed with the other inherited ones just below
      const fd = handed ? requireNative().dupCloexec(Number(handed[2])) : -1;
      if (handed && fd >= 0) callerLog = { which: Number(handed[1]) as 1 | 2, fd };
    } else {
      // decide here whether to daemonize: nodaemon may come from the file
      st.preloaded = readConfig(st);
      if (!st.preloaded.supervisord.nodaemon) return await daemonizeAndWait(st.preloaded.supervisord.logfile);
      if (closeDebuggerPort()) stderr('tsv: closed the debugger port that --inspect in NODE_OPTIONS opened in the daemon (NODE_OPTIONS is passed on to the programs)\n');
    }
    // no descriptor the daemon inherited may reach a child through Node's own spawns
    requireNative().closeInherited(st.statusFd !== null ? st.statusFd + 1 : 3);
    // supervisord's name, whatever ran it (node, the binary, `tsv daemon`):
    // health checks and logrotate hooks do `pgrep supervisord`, `killall -USR2 supervisord`
    requireNative().setProcessName('supervisord');
    signalRouter.install();
    const stopTrimming = trimWhenQuiet();
    try {
      for (;;) {
        const mood = await runOnce(st);
        st.first = false;
        if (mood < SupervisorState.RESTARTING) break;
      }
    } finally {
      stopTrimming();
      signalRouter.uninstall();
    }
    return 0;
  } catch (e) {
    if (e instanceof Exit) {
      // in a daemonizing child, stderr is the parent's pipe: it prints this
      stderr(e.text);
      return e.code;
    }
    throw e;
  }
}

