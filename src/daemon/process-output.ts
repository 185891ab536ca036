// A run's output and input: the child's pipes (or its terminal), where their
// bytes go (log channels by splice or by reads, an event listener's pool,
// attached clients, PROCESS_LOG events) and the input held for its stdin.
// One per process, for each of its runs in turn: Subprocess (process.ts)
// decides when a run starts and ends, this moves its bytes meanwhile.
import { closeSync, fstatSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { ProcessConfig } from '../config/model';
import { ChannelLog } from '../log/childlog';
import { ROTATION_READ, SPLICE_READ_INSTEAD, type LogPosition } from '../log/logfile';
import type { GzipRunner } from '../log/backup-gzip';
import type { MainLogger } from '../log/mainlog';
import { ChildInput } from './child-input';
import type { EventBus } from './events';
import { requireNative, type ReadableWatch } from './native';
import { PLAIN_ANSWER_LENGTH, ReplySpin, type PreparedEvents } from './reply-spin';
import { Terminal } from './terminal';

/** What a run's output needs to know of its process. */
export interface OutputOwner {
  readonly config: ProcessConfig;
  readonly name: string;
  readonly group: string;
  /** the running child's pid; 0 between runs */
  readonly pid: number;
  /** a stop has signalled the child */
  readonly killing: boolean;
  readonly stdoutLogfile: string | null;
  readonly stderrLogfile: string | null;
}

/** What it needs of the daemon. */
export interface OutputHost {
  readonly logger: MainLogger;
  readonly events: EventBus;
  /** [supervisord] strip_ansi now (a reread changes it for running processes too) */
  stripAnsi(): boolean;
  /** program name used as syslog ident */
  readonly progname: string;
}

/** An event listener's stdout as its pool reads it. */
export interface ListenerStdout {
  feed(data: Buffer): void;
  /** the listener owes an answer: the result of the event it was sent, or the READY after that result */
  readonly awaitingReply: boolean;
  /**
   * The events the pool will write to the listener next, one after each of
   * its next answers, if each answer is exactly `RESULT 2\nOKREADY\n`: at
   * most `max`, possibly none (null: nothing is certain), so that each can go
   * out the moment its answer is read.
   */
  prepareEvents(max: number): PreparedEvents | null;
  /** the next prepared event was written; the answer it followed is fed next */
  sentPrepared(): void;
}

interface Pipes {
  input: ChildInput;
  stdoutFd: number;
  stderrFd: number;
  /** the output pipes, watched through libuv and emptied by pump() */
  watches: ReadableWatch[];
}

export class ProcessOutput {
  private channels: { stdout: ChannelLog | null; stderr: ChannelLog | null } = { stdout: null, stderr: null };
  /**
   * Per channel, the start of a line read from the pipe and not yet fed: a
   * wake-up that ends a line in a shared file (pump) holds the bytes after
   * that line end until the channel's next wake-up, when its rest is read.
   */
  private carry: Record<'stdout' | 'stderr', Buffer | null> = { stdout: null, stderr: null };
  /** runStart's answers, made at the first run */
  private runStarts: { stdout: LogPosition | null; stderr: LogPosition | null } | null = null;
  private pipes: Pipes | null = null;
  /** pipes paused for a moment to batch small writes (see watchPipe); made on first use, most programs never need it */
  private batchTimers: Map<ReadableWatch, NodeJS.Timeout> | null = null;
  /** an event listener's stdout speaks the listener protocol: its pool reads it (no capture mode there) */
  private listener: ListenerStdout | null = null;
  /** a listener's: how long to wait, awake, for the answer it owes (made with the listener) */
  private replySpin: ReplySpin | null = null;
  /** pty=true: the running program's terminal (null between runs) */
  terminal: Terminal | null = null;

  constructor(
    private readonly owner: OutputOwner,
    private readonly host: OutputHost,
    private readonly gzip: GzipRunner | null,
  ) {}

  /** The run's stdin; null between runs. */
  get input(): ChildInput | null {
    return this.pipes?.input ?? null;
  }

  /** A channel's log while a run writes it. */
  liveLog(channel: 'stdout' | 'stderr'): ChannelLog | null {
    return this.channels[channel];
  }

  /** SIGUSR2: the open log files are opened again by name. */
  reopen(): void {
    this.channels.stdout?.reopen();
    this.channels.stderr?.reopen();
  }

  /** The inodes of the output pipes (not a terminal's: its other end is a tty, not a pipe). */
  pipeInodes(): number[] {
    const p = this.pipes;
    if (!p || this.terminal) return [];
    const out: number[] = [];
    for (const fd of [p.stdoutFd, p.stderrFd]) {
      if (fd < 0) continue;
      try {
        out.push(fstatSync(fd).ino);
      } catch {
        // closed under us: nothing to look for
      }
    }
    return out;
  }

  /** Before a spawn: the run's log channels (throws what opening a log file throws); `listener`: the pool that reads its stdout, if it is an event listener. */
  openChannels(listener: ListenerStdout | null): void {
    const c = this.owner.config;
    this.listener = listener;
    this.replySpin = this.listener ? new ReplySpin() : null;
    const mk = (channel: 'stdout' | 'stderr', logfile: string | null) =>
      new ChannelLog(
        {
          processName: this.owner.name,
          channel,
          logfile,
          maxbytes: channel === 'stdout' ? c.stdout_logfile_maxbytes : c.stderr_logfile_maxbytes,
          backups: channel === 'stdout' ? c.stdout_logfile_backups : c.stderr_logfile_backups,
          syslog: channel === 'stdout' ? c.stdout_syslog : c.stderr_syslog,
          timestamps: channel === 'stdout' ? c.stdout_logfile_timestamps : c.stderr_logfile_timestamps,
          prefix: channel === 'stdout' ? c.stdout_logfile_prefix : c.stderr_logfile_prefix,
          gzip: (channel === 'stdout' ? c.stdout_logfile_compress : c.stderr_logfile_compress) ? this.gzip : null,
          rotate: channel === 'stdout' ? c.stdout_logfile_rotate : c.stderr_logfile_rotate,
          captureMaxbytes: channel === 'stdout' ? (this.listener ? 0 : c.stdout_capture_maxbytes) : c.stderr_capture_maxbytes,
          stripAnsi: this.host.stripAnsi,
          ident: this.host.progname,
        },
        this.host.logger,
        {
          output: (data) => {
            if (!this.logEvents(channel)) return;
            // At most 64 KiB an event: Supervisor's are one read of its 64 KiB pipe, ours up to 1 MiB, and a
            // listener's buffer_size queue would hold 16 times the memory. Each is a copy: the chunk is a
            // view of the shared read buffer. Output that strip_ansi left empty is one empty event, as Supervisor's.
            let at = 0;
            do {
              const end = logEventEnd(data, at);
              const piece = Buffer.from(data.subarray(at, end));
              this.host.events.emit('processOutput', { name: this.owner.name, group: this.owner.group, channel, pid: this.owner.pid, data: piece });
              at = end;
            } while (at < data.length);
          },
          communication: (data) => {
            this.host.events.emit('processCommunication', { name: this.owner.name, group: this.owner.group, channel, pid: this.owner.pid, data });
          },
        },
      );
    this.channels.stdout = mk('stdout', this.owner.stdoutLogfile);
    if (!c.redirect_stderr && !c.pty) this.channels.stderr = mk('stderr', this.owner.stderrLogfile);
    // the first run's: a view of a group just added wants all it wrote, a crash loop's earlier runs too
    this.runStarts ??= { stdout: this.channels.stdout.position(), stderr: this.channels.stderr?.position() ?? null };
  }

  /** Where the first run's output begins in a channel's log file, as it was when that run's channels opened (null: no run yet, or no regular file). */
  runStart(channel: 'stdout' | 'stderr'): LogPosition | null {
    return this.runStarts?.[channel] ?? null;
  }

  /** After a run (or a failed spawn): its log files are closed. */
  closeChannels(): void {
    this.listener = null;
    this.replySpin = null;
    this.channels.stdout?.close();
    this.channels.stderr?.close();
    this.channels = { stdout: null, stderr: null };
  }

  /**
   * Whether a channel's bytes may go from the pipe to its log file in the
   * kernel (splice), never passing through JS: only when nothing but the file
   * needs to see them. Asked again at every wake-up, so a subscriber that
   * comes later gets the bytes from then on. Anything new that observes child
   * output must be added here.
   */
  private zeroCopy(channel: 'stdout' | 'stderr'): boolean {
    // a terminal's output is shown to attached clients too (and splice cannot read a tty)
    if (this.terminal) return false;
    if (this.listenerReplies(channel)) return false;
    if (this.logEvents(channel)) return false;
    return this.channels[channel]?.fileOnly ?? false;
  }

  /** Whether the channel carries an event listener's replies (its stdout, while it is one). */
  private listenerReplies(channel: 'stdout' | 'stderr'): boolean {
    return channel === 'stdout' && this.listener !== null;
  }

  /**
   * Whether a channel's output becomes PROCESS_LOG events now: the program
   * has *_events_enabled (a listener's stdout is its protocol, never a log
   * event) and someone subscribes (src/events/hub.ts does only while some
   * pool or stream wants them). Output of other programs keeps its
   * zero-copy path whoever listens.
   */
  private logEvents(channel: 'stdout' | 'stderr'): boolean {
    const enabled = channel === 'stdout' ? this.owner.config.stdout_events_enabled && !this.listener : this.owner.config.stderr_events_enabled;
    return enabled && this.host.events.has('processOutput');
  }

  /**
   * Moves what a watched pipe holds (at most `limit` bytes) to its channel:
   * by splice while zeroCopy allows, else read into the shared buffer and fed
   * as a Socket read would be. Returns the bytes moved and whether the pipe
   * is done (EOF or an error).
   */
  private pump(fd: number, channel: 'stdout' | 'stderr', limit: number, final = false): { moved: number; done: boolean } {
    const native = requireNative();
    let moved = 0;
    const started = performance.now();
    // the last move or read ended where a write of the program's, or a line, ends (as far as is known)
    let endsWrite = true;
    // read past this wake-up's bounds to end a line in a shared file
    let past = 0;
    const carried = this.carry[channel];
    if (carried) {
      // the start of a line the last wake-up read: its rest is next in the pipe
      this.carry[channel] = null;
      this.feed(channel, carried, true);
      endsWrite = false;
    }
    for (;;) {
      // The bytes alone do not bound a wake-up: with a small maxbytes each
      // splice ends in a rotation (an unlink and a rename per backup), and
      // 4 MiB of 8 KB files kept the loop, the control socket with it, for
      // seconds per pipe. The watch calls again while the pipe holds more;
      // after the exit (final) nothing calls again.
      const over = moved >= limit || (!final && moved > 0 && performance.now() - started > PUMP_MS_PER_WAKE);
      // A file another channel writes too gets its turn only at the end of
      // one of this channel's lines: Supervisor's reads of a 64 KiB pipe end
      // where the program's writes end, so it never puts the other's output
      // inside a line. Here a page at a time to the line's end (a piece at most).
      // (Not a listener's stdout: its answers are fed at once.)
      const finishing = over && !endsWrite && past < FINISH_LINE_MAX && !this.listener && (this.channels[channel]?.sharesFile ?? false);
      if (over && !finishing) return { moved, done: false };
      let buf = readBuffer();
      if (finishing) buf = buf.subarray(0, ROTATION_READ);
      else if (this.zeroCopy(channel)) {
        const log = this.channels[channel] as ChannelLog;
        const n = log.spliceFrom(fd, native);
        if (n > 0) {
          moved += n;
          // The pipe was emptied: stop here rather than race a writer on
          // another CPU with splices of what it added meanwhile.
          if (log.spliceDrained && !final) return { moved, done: false };
          endsWrite = log.spliceDrained;
          continue;
        }
        if (n === 0) return { moved, done: true };
        if (n === -EAGAIN) return { moved, done: false };
        // SPLICE_READ_INSTEAD: this one move; else splice was refused (a file
        // system without it): the file is marked, read and write from now on
        if (n === SPLICE_READ_INSTEAD) buf = buf.subarray(0, ROTATION_READ);
      }
      const n = native.readInto(fd, buf);
      if (n <= 0) {
        // emptied (or ended): a read or move just before that took all it could ended where a write did
        this.channels[channel]?.drained();
        return { moved, done: n !== -EAGAIN };
      }
      moved += n;
      if (finishing) past += n;
      const nl = finishing && n === buf.length ? buf.lastIndexOf(0x0a, n - 1) : -1;
      if (nl >= 0) {
        // the line ends here: what follows, the next line's start, waits for this channel's next wake-up
        this.feed(channel, buf.subarray(0, nl + 1));
        if (nl + 1 < n) this.carry[channel] = Buffer.from(buf.subarray(nl + 1, n));
        return { moved, done: false };
      }
      this.feed(channel, buf.subarray(0, n), n === buf.length);
      endsWrite = n < buf.length || buf[n - 1] === 0x0a;
      // less than asked for: a pipe is empty now; a terminal gives at most
      // 4095 bytes a read (N_TTY's buffer) however much it holds
      // (after the exit the next read tells an end of file from a writer still there)
      if (n < buf.length && !this.terminal && !final) return { moved, done: false };
    }
  }

  /**
   * An output pipe: libuv tells us it is readable and pump() empties it, by
   * splice while the channel only writes a file, else by reads fed to the
   * channel (decided again at every wake-up).
   */
  private watchPipe(fd: number, channel: 'stdout' | 'stderr'): ReadableWatch {
    let lastWake = 0;
    // A listener's answers want a wake-up at once; any other program's
    // output, a watch its writes do not pay for (see watchReadable).
    // A terminal is no pipe: the quiet watch's inotify trick does not apply.
    const quiet = !this.listenerReplies(channel) && !this.terminal;
    const w = requireNative().watchReadable(fd, (status) => {
      if (!this.pipes) return;
      if (status < 0) {
        w.stop();
        return;
      }
      // a listener's replies are tiny and each one matters at once: never batch them
      if (this.listenerReplies(channel)) return this.readListener(fd, w);
      const { moved, done } = this.pump(fd, channel, PUMP_PER_WAKE);
      if (done) {
        w.stop(); // a hung-up pipe stays readable: stop until closePipes
        return;
      }
      // A child writing many small pieces back to back would wake us once
      // per write: wait a moment and let its pipe (1 MiB) collect them.
      const now = performance.now();
      const busy = moved < BATCH_BELOW && now - lastWake < 1;
      lastWake = now;
      if (busy && !this.batchTimers?.has(w)) pause();
    }, quiet);
    // While the child keeps writing at a pace its pipe holds for a
    // millisecond, the timer alone empties the pipe: a wake-up through the
    // pipe comes from the child's own write, which draws us onto the
    // child's CPU to compete with it. A slower or a faster child (one that
    // would fill the pipe meanwhile) goes back to the watch.
    const pause = (): void => {
      w.stop();
      (this.batchTimers ??= new Map()).set(
        w,
        setTimeout(() => {
          this.batchTimers?.delete(w);
          if (!this.pipes) return;
          const { moved, done } = this.pump(fd, channel, PUMP_PER_WAKE);
          if (done) return; // stays stopped until closePipes
          if (moved >= BATCH_BELOW && moved < STREAM_BELOW) return pause();
          lastWake = performance.now();
          w.start();
        }, 1),
      );
    };
    w.start();
    return w;
  }

  /**
   * A listener's stdout: its answer, and while the listener owes another
   * (to the next event that answer brought, or the READY after a result),
   * that one too, waited for awake for a moment (ReplySpin) rather than
   * after another pass through the event loop; the events that follow plain
   * `RESULT 2\nOKREADY\n` answers go out from that wait, each as soon as its
   * answer is read. Bounded (LISTENER_READS_PER_WAKE events), so a busy pool
   * cannot keep the loop from other work.
   */
  private readListener(fd: number, w: ReadableWatch): void {
    this.replySpin?.woke();
    for (let handled = 0; handled < LISTENER_READS_PER_WAKE; handled++) {
      const { moved, done } = this.pump(fd, 'stdout', PUMP_PER_WAKE);
      if (done) {
        w.stop();
        return;
      }
      const listener = this.listener;
      const spin = this.replySpin;
      const p = this.pipes;
      if (!listener?.awaitingReply || !spin || !p) return;
      // Sharing our CPU, the listener has mostly answered by the next read
      // already (the write woke it and it ran at once): wait only when that read finds nothing.
      if (moved > 0) continue;
      const ahead = Math.min(spin.batch, LISTENER_READS_PER_WAKE - handled);
      const prepared = spin.budget > 0 && this.stdinWritable(p) ? listener.prepareEvents(ahead) : null;
      const buf = readBuffer();
      const n = spin.await(fd, buf, p.input.fd, prepared);
      if (n < 0) return;
      // each plain answer, then the event that went out after it, as if read and dispatched one by one
      let off = 0;
      for (let i = 0; i < spin.written; i++, off += PLAIN_ANSWER_LENGTH) {
        listener.sentPrepared();
        this.feed('stdout', buf.subarray(off, off + PLAIN_ANSWER_LENGTH));
      }
      handled += spin.written;
      if (n > off) this.feed('stdout', buf.subarray(off, n));
    }
  }

  /** write() would go straight to the pipe (nothing queued before it, nothing stopping it) */
  private stdinWritable(p: Pipes): boolean {
    return this.owner.pid !== 0 && !this.owner.killing && p.input.open;
  }

  /** After the fork: the child's ends of its pipes (a terminal's fd as stdout with `pty`) are watched from now on. */
  attachPipes(stdinFd: number, stdoutFd: number, stderrFd: number, pty: boolean): void {
    if (pty) this.terminal = new Terminal(stdoutFd);
    const watches = [this.watchPipe(stdoutFd, 'stdout')];
    if (stderrFd >= 0) watches.push(this.watchPipe(stderrFd, 'stderr'));
    // a FastCGI child's fd 0 is its socket: no stdin channel (stdinFd -1; sendProcessStdin gets EPIPE)
    this.pipes = { input: new ChildInput(stdinFd, this.owner.name), stdoutFd, stderrFd, watches };
  }

  private feed(channel: 'stdout' | 'stderr', data: Buffer, filled = false): void {
    // logged first, as Supervisor's dispatcher does: at loglevel=debug a
    // listener's output comes before the state changes and warnings it causes
    this.channels[channel]?.feed(data, filled);
    if (channel === 'stdout' && this.listener) this.listener.feed(data);
    if (channel === 'stdout' && this.terminal) this.terminal.output(data);
  }

  /**
   * Read what the child left in its pipes before we forget them (Supervisor's
   * drain). True when a pipe is still open for writing: something the child
   * started outlives it and holds its output.
   */
  drain(): boolean {
    const p = this.pipes;
    if (!p) return false;
    const limit = 4 * 1024 * 1024;
    let held = false;
    for (const [fd, channel] of [
      [p.stdoutFd, 'stdout'],
      [p.stderrFd, 'stderr'],
    ] as const) {
      if (fd < 0) continue;
      const r = this.pump(fd, channel, limit, true);
      if (!r.done && r.moved < limit) held = true;
    }
    return held;
  }

  closePipes(why = `${this.owner.name} is no longer running`): void {
    // the terminal's clients go before its fd does (resize must not reach a reused fd)
    this.terminal?.end(why);
    this.terminal = null;
    for (const channel of ['stdout', 'stderr'] as const) {
      const carried = this.carry[channel];
      this.carry[channel] = null;
      if (carried) this.feed(channel, carried); // a drain (pump) feeds it first; without one, it is the output's last
    }
    const p = this.pipes;
    if (!p) return;
    this.pipes = null;
    for (const t of this.batchTimers?.values() ?? []) clearTimeout(t);
    this.batchTimers = null;
    for (const w of p.watches) w.close();
    p.input.close();
    closeQuietly(p.stdoutFd);
    if (p.stderrFd >= 0) closeQuietly(p.stderrFd);
  }
}

/**
 * a wake-up that moved less than this, 1 ms after the previous one, means a
 * busy writer of small pieces (bigger writes fill the 1 MiB pipe in under a
 * millisecond: pausing them would stall the writer)
 */
const BATCH_BELOW = 64 * 1024;
/** a timer-paced pump that moved this much would let the pipe (1 MiB) fill before the next tick */
const STREAM_BELOW = 512 * 1024;
/** at most this many listener replies read back to back before the event loop has its turn */
const LISTENER_READS_PER_WAKE = 64;
/** what one wake-up of a watched pipe moves at most, so a writer faster than the disk cannot starve the loop */
const PUMP_PER_WAKE = 4 * 1024 * 1024;
/** the most a wake-up reads past its bounds to end a line in a file another channel writes (a log piece) */
const FINISH_LINE_MAX = 128 * 1024;
/** and takes at most about this long (ms), whatever each piece costs */
const PUMP_MS_PER_WAKE = 4;
/** the most output one PROCESS_LOG event carries: a read of Supervisor's 64 KiB pipe */
const LOG_EVENT_MAX = 64 * 1024;
const { EAGAIN } = osConstants.errno;

/**
 * Where the PROCESS_LOG event beginning at `at` ends: the whole rest if it
 * fits, else after the last line end within LOG_EVENT_MAX, else before a
 * UTF-8 character that LOG_EVENT_MAX would cut. Supervisor's reads end where
 * the program's writes end, so its events hold whole lines and characters:
 * cut mid-character, both events would be Supervisor's `Undecodable: b'…'`.
 */
export function logEventEnd(data: Buffer, at: number, max = LOG_EVENT_MAX): number {
  if (data.length - at <= max) return data.length;
  const nl = data.lastIndexOf(0x0a, at + max - 1);
  if (nl >= at) return nl + 1;
  let end = at + max;
  // back over continuation bytes (10xxxxxx) to the lead byte of the character the cut falls in
  for (let back = 0; back < 3 && end > at + 1 && ((data[end] as number) & 0xc0) === 0x80; back++) end--;
  return end;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

let sharedReadBuffer: Buffer | null = null;
/** One 1 MiB buffer for every pipe read: reads are consumed before the next one starts. */
function readBuffer(): Buffer {
  if (!sharedReadBuffer) sharedReadBuffer = Buffer.allocUnsafe(1024 * 1024);
  return sharedReadBuffer;
}
