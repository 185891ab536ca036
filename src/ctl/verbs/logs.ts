// logs [-n N] [--no-follow] [name|group:*|all ...]   (tsv only)
//
// What `pm2 logs` and `journalctl -f` give and supervisorctl does not: the
// output of many processes in one view. The last N lines of each log
// (stdout, and stderr where it has its own log), then every new line of any
// of them as it is written, each labelled `namespec |` or
// `namespec (stderr) |`, until Ctrl-C. A file several processes write (a
// numprocs pool with one stdout_logfile) is shown once, labelled `group:*`.
//
// Only Supervisor's API is needed, so it works against supervisord too: the
// history is read with tailProcess{Stdout,Stderr}Log, which also says where
// the file ended, and each log is then followed on /logtail. A tsv daemon
// starts the stream at that offset (`?offset=`, answered with
// X-Tsv-Log-Offset), so nothing is shown twice or skipped; supervisord
// ignores the query and starts with the last 1,024 bytes, which are matched
// against the end of the history (log-lines.ts overlap). A tsv daemon also
// tells (its /events stream) when a process starts whose log did not exist
// yet, or a group is added: their logs join the view. When the daemon
// reloads or stops, the view waits for it and goes on where each log was
// left (a new file, as AUTO logs get, from its start).
import type { IncomingMessage } from 'node:http';
import type { Verb } from './types';
import { countOption, refuseArgs, words } from './types';
import type { Controller } from '../controller';
import { ExitStatus } from '../exit-status';
import { array, makeNamespec, namedBy, toConfigInfo, type ProcessInfo } from '../api';
import { reportUnknown, selected } from './names';
import { LogOutput, bytesAfterTruncation, lastLines, overlap, textAfter, type LineWriter } from '../log-lines';
import { RpcHttpError } from '../../rpc/client';
import { INT32_MAX, XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import type { EventLine } from '../../events/stream';
import { readEvents } from './events';
import { reconnectPause } from './follow';

interface LogsArgs {
  lines: number;
  follow: boolean;
  names: string[];
}

function parseArgs(arg: string): LogsArgs | string {
  const out: LogsArgs = { lines: 10, follow: true, names: [] };
  const w = words(arg);
  for (let i = 0; i < w.length; i++) {
    const a = w[i] as string;
    if (a === '--no-follow' || a === '--nostream') out.follow = false;
    else if (a.startsWith('-')) {
      const n = countOption(w, i, 'lines');
      if (typeof n === 'string') return n;
      out.lines = n.value;
      i = n.last;
    }
    else out.names.push(a);
  }
  return out;
}

type Channel = 'stdout' | 'stderr';

interface Log {
  /** the process whose log it is, as the daemon is asked for it */
  namespec: string;
  channel: Channel;
  /** what its lines are labelled with: the namespec, or the processes that share the file */
  label: string;
}

interface History {
  text: string;
  /** the file's size when it was read: where the stream goes on; null past 2 GiB, which XML-RPC's int32 cannot say */
  offset: number | null;
  /** the last lines of it */
  shown: string;
}

/**
 * The channels of a process that have a log of their own. With
 * redirect_stderr both daemons still report a stderr_logfile (AUTO's path),
 * which is never written: getAllConfigInfo says which processes redirect.
 * A stderr_logfile that is the stdout_logfile holds both: shown once, as stdout.
 */
function channels(info: ProcessInfo, redirected: ReadonlySet<string>): Channel[] {
  const out: Channel[] = [];
  if (info.stdout_logfile) out.push('stdout');
  const shared = info.stderr_logfile === info.stdout_logfile;
  if (info.stderr_logfile && !shared && !redirected.has(makeNamespec(info.group, info.name))) out.push('stderr');
  return out;
}

async function redirectedStderr(ctl: Controller): Promise<Set<string>> {
  const out = new Set<string>();
  for (const c of array(await ctl.call('getAllConfigInfo'), 'getAllConfigInfo').map(toConfigInfo)) {
    if (c.redirect_stderr === true) out.add(makeNamespec(c.group, c.name));
  }
  return out;
}

/** Bytes of history asked for: enough for N lines of ordinary length. */
function historyBytes(lines: number): number {
  return Math.min(1 << 20, Math.max(16384, lines * 400));
}

/** How much of a log was shown, so that a new stream (after a reload) goes on from there. */
interface Followed {
  log: Log;
  /** the file the daemon named for it */
  path: string;
  writer: LineWriter;
  /** the file's bytes shown so far end here (null: somewhere past 2 GiB) */
  offset: number | null;
  /** the last bytes shown (up to 1,024): what supervisord's stream repeats first */
  seen: Buffer;
}

const SEEN = 1024;
/** attempts to open one log's stream when the connection fails */
const STREAM_RETRIES = 3;
/** a log whose stream supervisord ended again sooner than this after the last resume waits a pause first */
const RESUME_SPACING_MS = 1000;

class LogsView {
  private readonly output: LogOutput;
  private readonly streams = new Set<IncomingMessage>();
  /** `namespec/channel` of every log shown or waiting for its file */
  private readonly known = new Set<string>();
  private readonly followed = new Map<string, Followed>();
  /** each log file shown, and the `namespec/channel` that shows it: a file several processes write is shown once */
  private paths = new Map<string, string>();
  /** `namespec/channel` of a process writing a file another one shows -> that one's */
  private readonly sharing = new Map<string, string>();
  /** logs whose file did not exist yet, and the path the daemon named: opened when the process starts (tsv) */
  private readonly waiting = new Map<string, { log: Log; path: string }>();
  private events: IncomingMessage | null = null;
  /** when each log's stream was last resumed after supervisord ended it (resume()) */
  private readonly resumed = new Map<string, number>();
  private reconnecting = false;
  /** the first logs are open: from now on, the end of every stream means the daemon went away */
  private ready = false;
  private stopped = false;
  private wakeDone: () => void = () => {};
  /** settles on stop() */
  readonly done = new Promise<void>((resolve) => (this.wakeDone = resolve));
  private wakeSleep: () => void = () => {};

  constructor(
    private readonly ctl: Controller,
    private readonly args: LogsArgs,
  ) {
    this.output = new LogOutput((t) => ctl.io.write(t), ctl.io.color);
  }

  /** Following: the event stream, the logs there are, then whatever comes, until stop(). */
  async run(): Promise<void> {
    await this.watchEvents();
    const infos = await this.ctl.allProcessInfo();
    if (this.stopped) return;
    if (reportUnknown(this.ctl, infos, this.args.names)) {
      this.stop();
      return;
    }
    let gone = false;
    try {
      await this.addProcesses(infos, true);
    } catch (err) {
      if (!unreachable(err)) throw err;
      gone = true;
    }
    if (this.stopped || (!gone && this.nothingToFollow())) return;
    this.ready = true;
    // the daemon may have gone while the logs were being opened: then this waits for it as for a reload
    this.checkGone();
    await this.done;
  }

  /**
   * Names given whose processes have no log at all (stdout and stderr NONE or
   * syslog): said as `tail` says it, exit status 1. None of them can ever have
   * lines to show, so following only them would wait in silence.
   */
  private reportLogless(infos: readonly ProcessInfo[], redirected: ReadonlySet<string>): string[] {
    const logless: string[] = [];
    for (const name of this.args.names) {
      if (name === 'all') continue;
      const picked = infos.filter((i) => namedBy(i, name));
      if (picked.length === 0 || picked.some((i) => channels(i, redirected).length > 0)) continue;
      this.ctl.io.writeErr(`${name}: ERROR (no log file)\n`);
      this.ctl.exitstatus = ExitStatus.GENERIC;
      logless.push(name);
    }
    return logless;
  }

  /** Adds the logs of the selected processes not shown yet; `added`: of a group just added, from where its runs began (not their last lines). */
  async addProcesses(infos: readonly ProcessInfo[], first = false, added = false): Promise<void> {
    const redirected = await redirectedStderr(this.ctl);
    if (first && this.args.names.length > 0 && this.reportLogless(infos, redirected).length === this.args.names.length) {
      this.stop();
      return;
    }
    const fresh: { log: Log; path: string }[] = [];
    /** the groups of the processes writing each file added */
    const writers = new Map<string, { log: Log; groups: Set<string>; namespecs: string[] }>();
    for (const info of infos) {
      if (!selected(info, this.args.names)) continue;
      const namespec = makeNamespec(info.group, info.name);
      for (const channel of channels(info, redirected)) {
        const key = `${namespec}/${channel}`;
        if (this.known.has(key)) continue;
        this.known.add(key);
        const path = logPath(info, channel);
        const owner = this.paths.get(path);
        if (owner !== undefined && owner !== key) {
          // numprocs with one stdout_logfile: one file, shown once
          this.sharing.set(key, owner);
          const w = writers.get(path);
          w?.groups.add(info.group);
          w?.namespecs.push(namespec);
          continue;
        }
        this.paths.set(path, key);
        const log: Log = { namespec, channel, label: namespec };
        writers.set(path, { log, groups: new Set([info.group]), namespecs: [namespec] });
        fresh.push({ log, path });
      }
    }
    for (const { log, groups, namespecs } of writers.values()) {
      if (namespecs.length > 1) log.label = groups.size === 1 ? `${[...groups][0] as string}:*` : namespecs.join(',');
    }
    if (!this.args.follow) {
      // all read first, so that the column is as wide as the labels of the logs that have lines
      const histories: (History | null)[] = [];
      for (const { log } of fresh) histories.push(await this.readHistory(log, this.args.lines));
      const shown = fresh.flatMap(({ log }, i) => (histories[i]?.shown ? [{ log, text: (histories[i] as History).shown }] : []));
      for (const { log } of shown) this.output.reserve(log.label, log.channel === 'stderr');
      for (const { log, text } of shown) {
        const writer = this.output.channel(log.label, log.channel === 'stderr');
        writer.push(text);
        writer.flush(true);
      }
      return;
    }
    // every log that may have lines, empty ones too; each stream opens right after its history is read
    for (const { log } of fresh) this.output.reserve(log.label, log.channel === 'stderr');
    for (const { log, path } of fresh) await this.addLog(log, path, added ? { run: true } : { lines: this.args.lines });
  }

  /** The last lines of a log, and where the file ended; null if it has no file yet or the process is gone. */
  private async readHistory(log: Log, lines: number): Promise<History | null> {
    try {
      const r = array(
        await this.ctl.call(log.channel === 'stdout' ? 'tailProcessStdoutLog' : 'tailProcessStderrLog', log.namespec, 0, historyBytes(lines)),
        'tailProcessLog',
      );
      const text = String(r[0] ?? '');
      // overflow: the file holds more than was read, so the text starts inside a line
      const end = Number(r[1] ?? 0);
      // a tsv daemon caps every integer at INT32_MAX (supervisord faults): the end is not known
      return { text, offset: end >= INT32_MAX ? null : end, shown: lastLines(text, lines, r[2] !== true) };
    } catch (err) {
      if (err instanceof XmlRpcFault && (err.faultCode === Faults.NO_FILE || err.faultCode === Faults.BAD_NAME)) return null;
      throw err;
    }
  }

  /** Where a log's file ends now; null when that is not known (no file, the process gone, past 2 GiB, no answer). */
  private async fileSize(log: Log): Promise<number | null> {
    try {
      const r = array(await this.ctl.call(log.channel === 'stdout' ? 'tailProcessStdoutLog' : 'tailProcessStderrLog', log.namespec, 0, 0), 'tailProcessLog');
      const end = Number(r[1] ?? 0);
      return end >= INT32_MAX ? null : end;
    } catch {
      return null;
    }
  }

  /**
   * A log as it grows, from its last `lines` lines, or on from where an
   * earlier stream of the same file ended; a log without a file yet waits
   * for its process to start.
   */
  private async addLog(log: Log, path: string, from: { lines: number } | { after: Buffer } | { offset: number | null; seen: Buffer } | { run: true }, attempt = 0): Promise<void> {
    // not knowing where the shown bytes ended, go on from after them in the file's end
    if ('seen' in from && from.offset === null) from = { after: from.seen };
    const key = `${log.namespec}/${log.channel}`;
    const writer = this.followed.get(key)?.writer ?? this.output.channel(log.label, log.channel === 'stderr');
    let offset: number | null = 0;
    let seen: Buffer = Buffer.alloc(0);
    if ('lines' in from || 'after' in from) {
      const history = await this.readHistory(log, 'lines' in from ? from.lines : Number.MAX_SAFE_INTEGER);
      if (history) {
        writer.push('lines' in from ? history.shown : textAfter(history.text, from.after));
        offset = history.offset;
        seen = tailOf(Buffer.from(history.text));
      }
    } else if ('run' in from) {
      offset = null; // the daemon says where (X-Tsv-Log-Offset)
    } else {
      ({ offset, seen } = from);
    }
    if (this.stopped) {
      writer.flush(true);
      return;
    }
    // A file now shorter than where we were is another one (replaced while the daemon was
    // away): the check below cannot tell while the new file holds fewer bytes than it compares.
    if ('seen' in from && offset !== null) {
      const size = await this.fileSize(log);
      if (size !== null && size < offset) {
        await this.showReplaced(log, path, seen);
        return;
      }
    }
    // Going on from an earlier stream, a tsv daemon starts the stream with the last
    // bytes shown, which tells whether the file is still the one they came from
    // (a rotation or a clear meanwhile replaces it; the offset then means nothing).
    const check = 'seen' in from && offset !== null ? Math.min(seen.length, offset) : 0;
    // where the file ends not known (past 2 GiB): the stream from its last 1,024 bytes, as supervisord's
    const query = 'run' in from ? '?from=run' : offset === null ? '' : `?offset=${offset - check}`;
    let res: IncomingMessage;
    try {
      res = await this.ctl.rpcClient().stream(`/logtail/${encodeURIComponent(log.namespec)}/${log.channel}${query}`);
    } catch (err) {
      if (!(err instanceof RpcHttpError) && !this.stopped) {
        if (attempt < STREAM_RETRIES) {
          // the connection failed (supervisord hangs up on a log tail now and then just after a reload): again, from the same place
          await this.pause();
          await this.addLog(log, path, 'run' in from ? from : { offset, seen }, attempt + 1);
        } else {
          // the daemon is going away: this log goes on from here once it is back
          this.followed.set(key, { log, path, writer, offset, seen });
          this.checkGone();
        }
        return;
      }
      if (!(err instanceof RpcHttpError) || err.status !== 404) {
        // this log only (the daemon has too many streams open: 503); the others go on
        const why = err instanceof RpcHttpError ? `${err.status} ${err.reason}` : err instanceof Error ? err.message : String(err);
        this.ctl.io.writeErr(`logs: cannot follow ${key}: ${why}\n`);
        this.ctl.exitstatus = ExitStatus.GENERIC;
        writer.flush(true);
        return;
      }
      // no file (made when the process first starts), or the process is gone
      writer.flush(true);
      this.followed.delete(key);
      this.waiting.set(key, { log, path });
      this.known.delete(key);
      return;
    }
    if (this.stopped) {
      res.destroy();
      return;
    }
    const header = res.headers['x-tsv-log-offset'];
    if ('run' in from) {
      // from where the run began: nothing shown before to repeat
      const state: Followed = { log, path, writer, offset: typeof header === 'string' ? Number(header) : null, seen };
      this.followed.set(key, state);
      this.follow(res, state, 0, false);
      return;
    }
    if (offset === null) {
      // tsv says where its stream begins; it first repeats the bytes before the end the history saw
      const state: Followed = { log, path, writer, offset: typeof header === 'string' ? Number(header) : null, seen };
      this.followed.set(key, state);
      this.follow(res, state, SEEN, false, typeof header === 'string');
      return;
    }
    if (typeof header === 'string' && Number(header) !== offset - check) {
      // tsv: the file is now shorter than where we were, so it is another file
      res.destroy();
      await this.showReplaced(log, path, seen);
      return;
    }
    const state: Followed = { log, path, writer, offset: typeof header === 'string' ? Number(header) : offset, seen };
    this.followed.set(key, state);
    // supervisord ignores ?offset= and repeats the last 1,024 bytes of the file first
    if (header === undefined) this.follow(res, state, Math.min(offset, SEEN), false);
    else this.follow(res, state, check, true);
  }

  /**
   * A log whose file is not the one its offset counted (rotated or cleared
   * while followed, or meanwhile): the file from after the last bytes shown,
   * or all of it (up to 1 MiB) if they are not in it.
   */
  private async showReplaced(log: Log, path: string, seen: Buffer): Promise<void> {
    if (this.stopped) return;
    await this.addLog(log, path, { after: seen });
  }

  /**
   * Copies a stream into its writer; the first `repeat` bytes at most are ones
   * already shown. `exact`: they are exactly those bytes (tsv's stream from an
   * offset), or the file is another one.
   */
  private follow(res: IncomingMessage, state: Followed, repeat: number, exact: boolean, counted = exact): void {
    this.streams.add(res);
    let head: Buffer[] | null = repeat > 0 ? [] : null;
    let headLength = 0;
    const show = (bytes: Buffer): void => {
      state.writer.push(bytes);
      const after = bytesAfterTruncation(state.seen, bytes);
      state.offset = after >= 0 ? after : state.offset === null ? null : state.offset + bytes.length;
      state.seen = tailOf(bytes.length >= SEEN ? bytes : Buffer.concat([state.seen, bytes]));
    };
    res.on('data', (chunk: Buffer) => {
      if (head === null) {
        show(chunk);
        return;
      }
      head.push(chunk);
      headLength += chunk.length;
      // supervisord's first write holds at least `repeat` bytes (tsv's: the file holds them); decide once they are all here
      if (headLength < repeat) return;
      const all = Buffer.concat(head);
      head = null;
      const known = overlap(state.seen, all, repeat);
      if (exact && known < repeat) {
        this.streams.delete(res);
        res.destroy();
        void this.showReplaced(state.log, state.path, state.seen).catch((e: unknown) => this.fail(e));
        return;
      }
      if (counted && state.offset !== null) state.offset += known;
      show(all.subarray(known));
    });
    // tsv's streams say where they begin; supervisord's do not, and end when the file shrinks
    const fromSupervisord = res.headers['x-tsv-log-offset'] === undefined;
    const ended = (): void => {
      if (!this.streams.delete(res)) return;
      if (head) show(Buffer.concat(head));
      state.writer.flush(true);
      if (fromSupervisord && !this.stopped) void this.resume(state).catch((e: unknown) => this.fail(e));
      else this.checkGone();
    };
    res.on('end', ended);
    res.on('close', ended);
    res.on('error', ended);
  }

  /**
   * tsv only: new groups and first starts, from the daemon's event stream.
   * Opened before the first logs are read, so nothing that happens meanwhile is missed.
   */
  async watchEvents(): Promise<void> {
    let res: IncomingMessage;
    try {
      res = await this.ctl.rpcClient().stream('/events?type=PROCESS_STATE_STARTING&type=PROCESS_GROUP_ADDED&recent=0&follow=1');
    } catch (err) {
      if (err instanceof RpcHttpError && err.status === 404) return; // supervisord
      throw err;
    }
    this.events = res;
    let queue = Promise.resolve();
    readEvents(
      res,
      (e) => {
        queue = queue.then(() => this.onEvent(e)).catch((err: unknown) => this.fail(err));
      },
      () => {
        if (this.events !== res) return;
        this.events = null;
        this.checkGone();
      },
    );
  }

  private async onEvent(e: EventLine): Promise<void> {
    if (this.stopped) return;
    if (e.eventname === 'PROCESS_GROUP_ADDED') {
      // all a new group wrote is new, also what it wrote before the view heard of it (it starts at once)
      await this.addProcesses(await this.ctl.allProcessInfo(), false, true);
      return;
    }
    const { processname, groupname } = e.headers;
    if (processname === undefined || groupname === undefined) return;
    const namespec = makeNamespec(groupname, processname);
    for (const channel of ['stdout', 'stderr'] as const) {
      const own = `${namespec}/${channel}`;
      // a shared file is made by whichever of its processes starts first
      const key = this.waiting.has(own) ? own : (this.sharing.get(own) ?? own);
      const w = this.waiting.get(key);
      if (!w) continue;
      this.waiting.delete(key);
      this.known.add(key);
      // a new file: all of it
      await this.addLog(w.log, w.path, { offset: 0, seen: Buffer.alloc(0) });
    }
  }

  /**
   * supervisord ends a log's stream when the file shrinks (a rotation with
   * *_logfile_backups=0, a clear), and when it stops or reloads. The same
   * file, now shorter than where the view was, is the first: that log alone
   * goes on from after the last bytes shown. Anything else is for checkGone.
   */
  private async resume(state: Followed): Promise<void> {
    // not more than one try a pause: a file cleared again and again must not become a busy loop
    const key = `${state.log.namespec}/${state.log.channel}`;
    if (Date.now() - (this.resumed.get(key) ?? 0) < RESUME_SPACING_MS) await this.pause();
    this.resumed.set(key, Date.now());
    if (this.stopped || this.reconnecting) return;
    let shrank = false;
    try {
      const info = (await this.ctl.allProcessInfo()).find((i) => makeNamespec(i.group, i.name) === state.log.namespec);
      if (info && logPath(info, state.log.channel) === state.path && state.offset !== null) {
        // length 0: nothing read, and the answer's offset is where the file ends
        const method = state.log.channel === 'stdout' ? 'tailProcessStdoutLog' : 'tailProcessStderrLog';
        const r = array(await this.ctl.call(method, state.log.namespec, 0, 0), 'tailProcessLog');
        shrank = Number(r[1] ?? 0) < state.offset;
      }
    } catch {
      // gone, stopping (SHUTDOWN_STATE), reloading, unreachable: the daemon's end, not the file's
    }
    // a reconnect that began meanwhile opens this log again itself
    if (this.stopped || this.reconnecting) return;
    if (shrank) await this.showReplaced(state.log, state.path, state.seen);
    else this.checkGone();
  }

  /** Every stream has ended: the daemon stopped or is reloading. Wait for it, then go on where each log was left. */
  private checkGone(): void {
    if (this.stopped || !this.ready || this.reconnecting || !this.idle) return;
    this.reconnecting = true;
    this.ctl.io.writeErr('logs: the daemon closed the log streams (it stopped or is reloading); waiting for it (Ctrl-C to exit)\n');
    void this.reconnect()
      .catch((err: unknown) => this.fail(err))
      .finally(() => (this.reconnecting = false));
  }

  private async reconnect(): Promise<void> {
    let infos: ProcessInfo[] | null = null;
    while (!this.stopped && infos === null) {
      await this.pause();
      if (this.stopped) return;
      try {
        infos = await this.ctl.allProcessInfo();
      } catch (err) {
        if (unreachable(err)) continue;
        throw err;
      }
    }
    if (infos === null) return;
    this.ctl.io.writeErr('logs: the daemon is back\n');
    await this.watchEvents();
    const redirected = await redirectedStderr(this.ctl);
    const before = [...this.followed.values()];
    for (const f of before) {
      const key = `${f.log.namespec}/${f.log.channel}`;
      const info = infos.find((i) => makeNamespec(i.group, i.name) === f.log.namespec);
      if (!info || !channels(info, redirected).includes(f.log.channel)) {
        // gone with the new config
        this.followed.delete(key);
        this.known.delete(key);
        continue;
      }
      const path = logPath(info, f.log.channel);
      // the same file goes on from where it was left; a new one (AUTO logs get new names) is shown whole (up to 1 MiB)
      await this.addLog(f.log, path, path === f.path ? { offset: f.offset, seen: f.seen } : { lines: Number.MAX_SAFE_INTEGER });
    }
    // logs waiting for a file, or not opened before the daemon went: found again by addProcesses
    for (const key of [...this.known]) if (!this.followed.has(key)) this.known.delete(key);
    this.waiting.clear();
    this.sharing.clear();
    this.paths = new Map([...this.followed].map(([key, f]) => [f.path, key]));
    await this.addProcesses(infos);
    if (this.nothingToFollow()) return;
    this.checkGone();
  }

  /**
   * No log has a file and, without tsv's events (supervisord), none can join:
   * says so and stops, rather than taking the quiet for a daemon gone.
   */
  private nothingToFollow(): boolean {
    // a followed log without a stream is one the daemon took away: that is for checkGone
    if (this.stopped || this.streams.size > 0 || this.events !== null || this.followed.size > 0) return false;
    this.ctl.output('Error: no log file to follow (stdout_logfile and stderr_logfile are NONE or syslog, or not made yet)');
    this.ctl.exitstatus = ExitStatus.GENERIC;
    this.stop();
    return true;
  }

  /** RECONNECT_MS, or less if stopped meanwhile */
  private pause(): Promise<void> {
    return reconnectPause((wake) => (this.wakeSleep = wake));
  }

  private fail(err: unknown): void {
    this.ctl.io.writeErr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    this.ctl.exitstatus = ExitStatus.GENERIC;
    this.stop();
  }

  /** Nothing is followed and no event stream could bring more: all streams ended. */
  get idle(): boolean {
    return this.streams.size === 0 && this.events === null;
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.streams) s.destroy();
    this.events?.destroy();
    this.wakeSleep();
    this.wakeDone();
  }
}

/** Not answering (no socket, refused, reset, an HTTP error or SHUTDOWN_STATE while it stops): gone for now. */
function unreachable(err: unknown): boolean {
  return err instanceof RpcHttpError || err instanceof XmlRpcFault || (err instanceof Error && 'code' in err);
}

function logPath(info: ProcessInfo, channel: Channel): string {
  return channel === 'stdout' ? info.stdout_logfile : info.stderr_logfile;
}

function tailOf(b: Buffer): Buffer {
  return b.length > SEEN ? Buffer.from(b.subarray(b.length - SEEN)) : b;
}

export const logs: Verb = {
  name: 'logs',
  // tsv's own verb: left out of `help` so that its list stays supervisorctl's
  listed: false,
  flags: ['-n', '--lines', '--no-follow', '--nostream'],
  valuedFlags: ['-n', '--lines'],
  async run(ctl, arg) {
    const args = parseArgs(arg);
    if (typeof args === 'string') {
      refuseArgs(ctl, logs, args);
      return;
    }
    if (!(await ctl.upcheck())) return;
    const view = new LogsView(ctl, args);
    if (!args.follow) {
      const infos = await ctl.allProcessInfo();
      if (!reportUnknown(ctl, infos, args.names)) await view.addProcesses(infos, true);
      return;
    }
    // Ctrl-C ends the view from here on, also while its first logs are being read
    await ctl.interruptible(
      () => view.stop(),
      () => Promise.race([view.done, view.run()]),
    );
  },
  help(ctl) {
    ctl.output('logs\t\t\tThe last 10 lines of every log, then new lines as they come (Ctrl-C to exit)');
    ctl.output('logs <name> <gname>:*\tThe same for these processes and groups');
    ctl.output('logs -n N ...\t\tStart with the last N lines of each log');
    ctl.output('logs --no-follow ...\tPrint the last lines and exit');
  },
};
