// logs [-n N] [--no-follow] [name|group:*|all ...]   (tsv only)
//
// What `pm2 logs` and `journalctl -f` give and supervisorctl does not: the
// output of many processes in one view. The last N lines of each log
// (stdout, and stderr where it has its own log), then every new line of any
// of them as it is written, each labelled `namespec |` or
// `namespec (stderr) |`, until Ctrl-C.
//
// Only Supervisor's API is needed, so it works against supervisord too: the
// history is read with tailProcess{Stdout,Stderr}Log, which also says where
// the file ended, and each log is then followed on /logtail. A tsv daemon
// starts the stream at that offset (`?offset=`, answered with
// X-Tsv-Log-Offset), so nothing is shown twice or skipped; supervisord
// ignores the query and starts with the last 1,024 bytes, which are matched
// against the end of the history (log-lines.ts overlap). A tsv daemon also
// tells (its /events stream) when a process starts whose log did not exist
// yet, or a group is added: their logs join the view.
import type { IncomingMessage } from 'node:http';
import type { Verb } from './types';
import { words } from './types';
import type { Controller } from '../controller';
import { ExitStatus } from '../exit-status';
import { array, makeNamespec, splitNamespec, toConfigInfo, toProcessInfo, type ProcessInfo } from '../api';
import { LogOutput, lastLines, overlap, type LineWriter } from '../log-lines';
import { RpcHttpError } from '../../rpc/client';
import { XmlRpcFault } from '../../rpc/xmlrpc';
import { Faults } from '../../rpc/faults';
import type { EventLine } from '../../events/stream';

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
    else if (a === '-n' || a === '--lines' || /^-n\d+$/.test(a) || a.startsWith('--lines=')) {
      let v: string | undefined;
      if (a === '-n' || a === '--lines') v = w[++i];
      else v = a.startsWith('-n') ? a.slice(2) : a.slice('--lines='.length);
      if (v === undefined || !/^\d{1,6}$/.test(v)) return `bad argument ${a}${v === undefined ? '' : ' ' + v}`;
      out.lines = Number(v);
    } else if (a.startsWith('-')) return `bad argument ${a}`;
    else out.names.push(a);
  }
  return out;
}

type Channel = 'stdout' | 'stderr';

interface Log {
  namespec: string;
  channel: Channel;
}

interface History {
  text: string;
  /** the file's size when it was read: where the stream goes on */
  offset: number;
  /** the last lines of it */
  shown: string;
}

/** Does `info` answer to one of the names (none or `all`: everything)? */
function selected(info: ProcessInfo, names: readonly string[]): boolean {
  if (!names.length || names.includes('all')) return true;
  return names.some((n) => {
    const [group, proc] = splitNamespec(n);
    return info.group === group && (proc === null || info.name === proc);
  });
}

/**
 * The channels of a process that have a log of their own. With
 * redirect_stderr both daemons still report a stderr_logfile (AUTO's path),
 * which is never written: getAllConfigInfo says which processes redirect.
 */
function channels(info: ProcessInfo, redirected: ReadonlySet<string>): Channel[] {
  const out: Channel[] = [];
  if (info.stdout_logfile) out.push('stdout');
  if (info.stderr_logfile && !redirected.has(makeNamespec(info.group, info.name))) out.push('stderr');
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

class LogsView {
  private readonly output: LogOutput;
  private readonly streams = new Set<IncomingMessage>();
  /** `namespec/channel` of every log shown or waiting for its file */
  private readonly known = new Set<string>();
  /** logs whose file did not exist yet: opened when the process starts (tsv) */
  private readonly waiting = new Map<string, Log>();
  private userStopped = false;
  private events: IncomingMessage | null = null;
  private stopped = false;
  private wakeDone: () => void = () => {};
  /** settles when there is nothing left to follow, or on stop() */
  readonly done = new Promise<void>((resolve) => (this.wakeDone = resolve));

  constructor(
    private readonly ctl: Controller,
    private readonly args: LogsArgs,
  ) {
    this.output = new LogOutput((t) => ctl.io.write(t), ctl.io.color);
  }

  /** Adds the logs of the selected processes not shown yet. */
  async addProcesses(infos: readonly ProcessInfo[]): Promise<void> {
    const redirected = await redirectedStderr(this.ctl);
    const added: Log[] = [];
    for (const info of infos) {
      if (!selected(info, this.args.names)) continue;
      const namespec = makeNamespec(info.group, info.name);
      for (const channel of channels(info, redirected)) {
        const key = `${namespec}/${channel}`;
        if (this.known.has(key)) continue;
        this.known.add(key);
        added.push({ namespec, channel });
      }
    }
    if (!this.args.follow) {
      // all read first, so that the column is as wide as the labels of the logs that have lines
      const histories: (History | null)[] = [];
      for (const log of added) histories.push(await this.readHistory(log));
      const shown = added.flatMap((log, i) => (histories[i]?.shown ? [{ log, text: (histories[i] as History).shown }] : []));
      for (const { log } of shown) this.output.reserve(log.namespec, log.channel === 'stderr');
      for (const { log, text } of shown) {
        const writer = this.output.channel(log.namespec, log.channel === 'stderr');
        writer.push(text);
        writer.flush(true);
      }
      return;
    }
    // every log that may have lines, empty ones too; each stream opens right after its history is read
    for (const log of added) this.output.reserve(log.namespec, log.channel === 'stderr');
    for (const log of added) await this.addLog(log, true);
  }

  /** The last lines of a log, and where the file ended; null if it has no file yet or the process is gone. */
  private async readHistory(log: Log): Promise<History | null> {
    try {
      const r = array(
        await this.ctl.call(log.channel === 'stdout' ? 'tailProcessStdoutLog' : 'tailProcessStderrLog', log.namespec, 0, historyBytes(this.args.lines)),
        'tailProcessLog',
      );
      const text = String(r[0] ?? '');
      // overflow: the file holds more than was read, so the text starts inside a line
      return { text, offset: Number(r[1] ?? 0), shown: lastLines(text, this.args.lines, r[2] !== true) };
    } catch (err) {
      if (err instanceof XmlRpcFault && (err.faultCode === Faults.NO_FILE || err.faultCode === Faults.BAD_NAME)) return null;
      throw err;
    }
  }

  /** (The history of a log, then) the log as it grows; a log without a file yet waits for its process to start. */
  private async addLog(log: Log, withHistory: boolean): Promise<void> {
    const key = `${log.namespec}/${log.channel}`;
    const writer = this.output.channel(log.namespec, log.channel === 'stderr');
    const history = withHistory ? await this.readHistory(log) : null;
    if (history) writer.push(history.shown);
    if (this.stopped) {
      writer.flush(true);
      return;
    }
    const offset = history?.offset ?? 0;
    let res: IncomingMessage;
    try {
      res = await this.ctl.rpcClient().stream(`/logtail/${encodeURIComponent(log.namespec)}/${log.channel}?offset=${offset}`);
    } catch (err) {
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
      this.waiting.set(key, log);
      this.known.delete(key);
      return;
    }
    if (this.stopped) {
      res.destroy();
      return;
    }
    const skip = res.headers['x-tsv-log-offset'] === undefined && history ? { history: Buffer.from(history.text), upTo: Math.min(offset, 1024) } : null;
    this.follow(res, writer, skip);
  }

  /** Copies a stream into its writer; `skip`: supervisord's stream repeats the end of the history first. */
  private follow(res: IncomingMessage, writer: LineWriter, skip: { history: Buffer; upTo: number } | null): void {
    this.streams.add(res);
    let head: Buffer[] | null = skip && skip.upTo > 0 ? [] : null;
    let headLength = 0;
    res.on('data', (chunk: Buffer) => {
      if (head === null || skip === null) {
        writer.push(chunk);
        return;
      }
      head.push(chunk);
      headLength += chunk.length;
      // supervisord's first write holds at least `upTo` bytes; decide once they are all here
      if (headLength < skip.upTo) return;
      const all = Buffer.concat(head);
      head = null;
      writer.push(all.subarray(overlap(skip.history, all, skip.upTo)));
    });
    const ended = (): void => {
      if (!this.streams.delete(res)) return;
      if (head) writer.push(Buffer.concat(head));
      writer.flush(true);
      this.checkDone();
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
    let rest = '';
    let queue = Promise.resolve();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() as string;
      for (const line of lines) {
        let e: EventLine;
        try {
          e = JSON.parse(line) as EventLine;
        } catch {
          continue;
        }
        queue = queue.then(() => this.onEvent(e)).catch((err: unknown) => this.fail(err));
      }
    });
    const ended = (): void => {
      if (this.events !== res) return;
      this.events = null;
      this.checkDone();
    };
    res.on('end', ended);
    res.on('close', ended);
    res.on('error', ended);
  }

  private async onEvent(e: EventLine): Promise<void> {
    if (this.stopped) return;
    if (e.eventname === 'PROCESS_GROUP_ADDED') {
      await this.addProcesses(array(await this.ctl.call('getAllProcessInfo'), 'getAllProcessInfo').map(toProcessInfo));
      return;
    }
    const { processname, groupname } = e.headers;
    if (processname === undefined || groupname === undefined) return;
    const namespec = makeNamespec(groupname, processname);
    for (const channel of ['stdout', 'stderr'] as const) {
      const key = `${namespec}/${channel}`;
      if (!this.waiting.delete(key)) continue;
      this.known.add(key);
      // a new file: all of it
      await this.addLog({ namespec, channel }, false);
    }
  }

  /** Nothing left to follow: every log stream and the event stream have ended (the daemon stopped or reloaded). */
  checkDone(): void {
    if (this.streams.size === 0 && this.events === null) this.wakeDone();
  }

  private fail(err: unknown): void {
    this.ctl.io.writeErr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    this.ctl.exitstatus = ExitStatus.GENERIC;
    this.stop();
  }

  /** Ctrl-C */
  interrupt(): void {
    this.userStopped = true;
    this.stop();
  }

  /** Whether the daemon ended the streams (it stopped or reloaded), not the user. */
  get closedByDaemon(): boolean {
    return !this.userStopped && !this.stopped;
  }

  /** Whether anything is followed or can still join. */
  get idle(): boolean {
    return this.streams.size === 0 && this.events === null;
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.streams) s.destroy();
    this.events?.destroy();
    this.wakeDone();
  }
}

export const logs: Verb = {
  name: 'logs',
  // tsv's own verb: left out of `help` so that its list stays supervisorctl's
  listed: false,
  async run(ctl, arg) {
    const args = parseArgs(arg);
    if (typeof args === 'string') {
      ctl.output(`Error: ${args}`);
      ctl.exitstatus = ExitStatus.INVALID_ARGS;
      logs.help?.(ctl);
      return;
    }
    if (!(await ctl.upcheck())) return;
    const view = new LogsView(ctl, args);
    if (args.follow) await view.watchEvents();
    const infos = array(await ctl.call('getAllProcessInfo'), 'getAllProcessInfo').map(toProcessInfo);
    let bad = false;
    for (const name of args.names) {
      if (name === 'all' || infos.some((i) => selected(i, [name]))) continue;
      const [group, proc] = splitNamespec(name);
      ctl.output(proc === null ? `${group}: ERROR (no such group)` : `${name}: ERROR (no such process)`);
      ctl.exitstatus = ExitStatus.GENERIC;
      bad = true;
    }
    if (bad) {
      view.stop();
      return;
    }
    await view.addProcesses(infos);
    if (!args.follow) return;
    if (view.idle) {
      ctl.output('Error: no log file to follow (stdout_logfile and stderr_logfile are NONE or syslog, or not made yet)');
      ctl.exitstatus = ExitStatus.GENERIC;
      return;
    }
    await ctl.interruptible(
      () => view.interrupt(),
      () => view.done,
    );
    if (view.closedByDaemon) ctl.io.writeErr('logs: the daemon closed the log streams (it stopped or is reloading)\n');
  },
  help(ctl) {
    ctl.output('logs\t\t\tThe last 10 lines of every log, then new lines as they come (Ctrl-C to exit)');
    ctl.output('logs <name> <gname>:*\tThe same for these processes and groups');
    ctl.output('logs -n N ...\t\tStart with the last N lines of each log');
    ctl.output('logs --no-follow ...\tPrint the last lines and exit');
  },
};
