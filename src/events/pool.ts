// One [eventlistener:x] section: a pool of `numprocs` listeners sharing one
// event buffer (process.py EventListenerPool). Events the pool subscribes to
// are buffered (FIFO, `buffer_size`, the oldest dropped and logged when
// full) and sent one at a time to the first listener that is RUNNING and
// READY; a rejected event (FAIL, a bad result line, a listener that died
// while BUSY) goes back to the front of the buffer.
//
// Supervisor dispatches from its 1-second main loop; tsv dispatches as soon
// as something changes that could allow it: an event arrives, a listener
// says READY, a listener enters RUNNING.
import type { EventTypeName } from '../config/model';
import { Level } from '../log/levels';
import type { MainLogger } from '../log/mainlog';
import type { ListenerStdout } from '../daemon/process-output';
import type { PreparedEvents } from '../daemon/reply-spin';
import { ProcessState } from '../daemon/states';
import { Deque } from './deque';
import { envelopeBytes, pyLen } from './envelope';
import type { SupervisorEvent } from './payload';
import { outputText } from '../log/output-text';
import { ListenerProtocol } from './protocol';
import { ListenerState, listenerStateName, matchCount } from './types';

/** What the pool needs of a listener process (a Subprocess). */
export interface ListenerProcess {
  readonly name: string;
  readonly state: ProcessState;
  /** write to its stdin; throws (code EPIPE) when that is closed */
  write(chars: Buffer): void;
}

export interface PoolInit {
  name: string;
  bufferSize: number;
  /** the section's `events`, each one a subscription (overlaps deliver twice, as in Supervisor) */
  events: readonly EventTypeName[];
  /** the server: field, read for each envelope (a reread may change it) */
  identifier(): string;
  logger: MainLogger;
  /** GlobalSerial, shared by every pool of the daemon */
  nextSerial(): number;
  /** the pool's processes in Supervisor's order (the group's) */
  processes(): Iterable<ListenerProcess>;
}

interface Listener {
  protocol: ListenerProtocol;
  event: SupervisorEvent | null;
  /** events prepared to go out, each the moment this listener answers OK and READY (prepareEvents); those written first */
  prepared: { event: SupervisorEvent; written: boolean }[];
}

/** a pipe takes a write of at most this many bytes whole or not at all (PIPE_BUF) */
const ATOMIC_WRITE = 4096;

export class EventListenerPool {
  readonly name: string;
  readonly events: readonly EventTypeName[];
  private readonly buffer = new Deque<SupervisorEvent>();
  private serial = -1;
  private readonly listeners = new Map<ListenerProcess, Listener>();
  private dispatchQueued = false;
  private closed = false;
  /** whenIdle's callers, told once the pool has nothing in flight */
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly init: PoolInit) {
    this.name = init.name;
    this.events = init.events;
  }

  private get log(): MainLogger {
    return this.init.logger;
  }

  private debugOn(): boolean {
    return this.log.level <= Level.DEBG;
  }

  /**
   * Nothing in flight: no listener holds an event, and no RUNNING listener
   * that still speaks the protocol could take one that is buffered.
   */
  get idle(): boolean {
    if (this.closed) return true;
    let taker = false;
    for (const proc of this.init.processes()) {
      const l = this.listeners.get(proc);
      if (!l || proc.state !== ProcessState.RUNNING) continue;
      if (l.event) return false;
      if (l.protocol.state !== ListenerState.UNKNOWN) taker = true;
    }
    return !(taker && this.buffer.length);
  }

  /** true when idle now; otherwise `cb` runs once when it is (shutdown waits so for a listener's last events). */
  whenIdle(cb: () => void): boolean {
    if (this.idle) return true;
    if (!this.idleWaiters.includes(cb)) this.idleWaiters.push(cb);
    return false;
  }

  private checkIdle(): void {
    if (!this.idleWaiters.length || !this.idle) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const cb of waiters) cb();
  }

  /** Events waiting (for tests and tsv's own reporting). */
  get buffered(): number {
    return this.buffer.length;
  }

  /** How many times this pool takes an event of type `name` (0: not subscribed). */
  subscriptionsFor(name: EventTypeName): number {
    return matchCount(name, this.events);
  }

  /**
   * notify(): once per matching subscription. `deliver` false: an event
   * Supervisor accepts but writes only after this pool's listeners got their
   * SIGTERM (Supervisor.listenerStoppingNext): it takes its serials, as there,
   * and goes no further.
   */
  notify(event: SupervisorEvent, deliver = true): void {
    const n = this.subscriptionsFor(event.name);
    for (let i = 0; i < n; i++) {
      if (deliver) this.accept(event, false);
      else this.number(event);
    }
    if (n && deliver) this.scheduleDispatch();
  }

  /** _acceptEvent's serials: the global one once per event, this pool's once per pool; false if it had them (rebuffered) */
  private number(event: SupervisorEvent): boolean {
    if (event.serial === null) event.serial = this.init.nextSerial();
    event.poolSerials ??= new Map();
    if (event.poolSerials.has(this.name)) return false;
    if (this.serial === Number.MAX_SAFE_INTEGER) this.serial = -1;
    event.poolSerials.set(this.name, ++this.serial);
    return true;
  }

  /** _acceptEvent */
  accept(event: SupervisorEvent, head: boolean): void {
    if (!this.number(event) && this.debugOn()) {
      this.log.debug(`rebuffering event ${event.serial} for pool ${this.name} (buf size=${this.buffer.length}, max=${this.init.bufferSize})`);
    }
    if (this.buffer.length >= this.init.bufferSize && this.buffer.length) {
      const discarded = this.buffer.shift() as SupervisorEvent;
      this.log.error(`pool ${this.name} event buffer overflowed, discarding event ${discarded.serial}`);
    }
    if (head) this.buffer.unshift(event);
    else this.buffer.push(event);
  }

  private scheduleDispatch(): void {
    if (this.dispatchQueued || this.closed) return;
    this.dispatchQueued = true;
    queueMicrotask(() => {
      this.dispatchQueued = false;
      try {
        this.dispatch();
      } catch (e) {
        this.unexpected(e);
      }
    });
  }

  /** Nothing a listener does may take the daemon down: an unexpected error is logged, not thrown. */
  private unexpected(e: unknown): void {
    this.log.critical(`pool ${this.name}: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }

  /** Send buffered events, oldest first, until none is left or no listener can take one. */
  dispatch(): void {
    if (this.closed) return;
    for (let event = this.buffer.peek(); event !== undefined; event = this.buffer.peek()) {
      if (!this.dispatchOne(event)) return;
      this.buffer.shift();
    }
  }

  private dispatchOne(event: SupervisorEvent): boolean {
    for (const proc of this.init.processes()) {
      if (proc.state !== ProcessState.RUNNING) continue;
      const l = this.listeners.get(proc);
      if (!l || l.protocol.state !== ListenerState.READY) continue;
      const ahead = l.prepared.length ? l.prepared.shift() : undefined;
      try {
        if (ahead?.written && ahead.event !== event) {
          // prepareEvents' promise broken: the listener has an event the pool does not know it has
          this.log.critical(`pool ${this.name}: event ${ahead.event.serial} was written to ${proc.name} ahead of its dispatch, and event ${event.serial} is dispatched instead`);
        }
        if (!ahead?.written || ahead.event !== event) {
          l.prepared.length = 0;
          proc.write(this.envelope(event));
        }
      } catch (e) {
        // Supervisor only expects EPIPE here; any failure leaves the listener as it was
        if (this.debugOn()) {
          const why = (e as NodeJS.ErrnoException).code === 'EPIPE' ? 'epipe' : `${(e as Error).message}`;
          this.log.debug(`${why} occurred while sending event ${event.serial} to listener ${proc.name}, listener state unchanged`);
        }
        continue;
      }
      l.protocol.sent();
      l.event = event;
      if (this.debugOn()) this.log.debug(`event ${event.serial} sent to listener ${proc.name}`);
      return true;
    }
    return false;
  }

  private envelope(event: SupervisorEvent): Buffer {
    return envelopeBytes({
      identifier: this.init.identifier(),
      serial: event.serial ?? 0,
      pool: this.name,
      poolSerial: event.poolSerials?.get(this.name) ?? 0,
      eventName: event.name,
      payload: event.payload,
      chars: (event.chars ??= pyLen(event.payload)),
    });
  }

  /**
   * The envelopes dispatch() will write to `proc`, one after each of its next
   * answers if each is exactly `RESULT 2\nOKREADY\n`: the buffered events
   * from the front, at most `max`, stopping before one too long to be written
   * whole in one go. null where that is not certain: another listener READY
   * and RUNNING (dispatch may pick it), nothing buffered, part of an answer
   * read already. Nothing else can happen between an answer and the dispatch
   * it causes: the answers and their events are exchanged by one native call,
   * then fed one by one in the same turn of the loop (Subprocess.readListener).
   */
  private prepareEvents(proc: ListenerProcess, l: Listener, max: number): PreparedEvents | null {
    l.prepared.length = 0;
    if (this.closed || !this.buffer.length || proc.state !== ProcessState.RUNNING) return null;
    if (!l.protocol.plainAnswerMakesReady) return null;
    for (const other of this.init.processes()) {
      if (other === proc || other.state !== ProcessState.RUNNING) continue;
      if (this.listeners.get(other)?.protocol.state === ListenerState.READY) return null;
    }
    const parts: Buffer[] = [];
    const ends: number[] = [];
    let end = 0;
    for (let i = 0; i < max; i++) {
      const event = this.buffer.at(i);
      if (event === undefined) break;
      const bytes = this.envelope(event);
      if (bytes.length > ATOMIC_WRITE) break;
      parts.push(bytes);
      ends.push((end += bytes.length));
      l.prepared.push({ event, written: false });
    }
    if (!parts.length) return null;
    return { bytes: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, end), ends: Uint32Array.from(ends) };
  }

  /**
   * A listener was spawned: its stdout now speaks the protocol from
   * ACKNOWLEDGED. Returns what reads its stdout.
   */
  attach(proc: ListenerProcess): ListenerStdout {
    // the protocol's callbacks read the listener, made from it below
    let l: Listener;
    const protocol = new ListenerProtocol({
      changed: (from, to) => {
        if (this.debugOn()) this.log.debug(`${proc.name}: ${listenerStateName(from)} -> ${listenerStateName(to)}`);
        if (to === ListenerState.UNKNOWN) {
          this.log.warn(
            `${proc.name}: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol`,
          );
        }
      },
      result: (ok) => {
        if (ok) {
          if (this.debugOn()) this.log.debug(`${proc.name}: event was processed`);
        } else this.log.warn(`${proc.name}: event was rejected`);
      },
      badResultLine: (line) => {
        this.log.warn(`${proc.name}: bad result line: '${resultLineText(line)}'`);
      },
      reject: () => {
        if (!l.event) return;
        this.accept(l.event, true);
        this.scheduleDispatch();
      },
      forgetEvent: () => {
        l.event = null;
      },
    });
    l = { protocol, event: null, prepared: [] };
    this.listeners.set(proc, l);
    return {
      feed: (data) => {
        try {
          protocol.feed(data);
          // after the whole read, as Supervisor's loop does: output that followed READY in
          // the same read is judged as READY-state output, not as a reply to a new event
          if (protocol.state === ListenerState.READY && this.buffer.length) this.dispatch();
          this.checkIdle();
        } catch (e) {
          this.unexpected(e);
        }
      },
      get awaitingReply() {
        return protocol.awaitingReply;
      },
      prepareEvents: (max) => this.prepareEvents(proc, l, max),
      sentPrepared: () => {
        const next = l.prepared.find((p) => !p.written);
        if (next) next.written = true;
      },
    };
  }

  /** The listener process ended (Subprocess.finish): an event it was handling goes back to the front. */
  died(proc: ListenerProcess): void {
    const l = this.listeners.get(proc);
    if (!l) return;
    l.prepared.length = 0;
    if (!l.event) {
      this.checkIdle();
      return;
    }
    const event = l.event;
    l.event = null;
    this.accept(event, true);
    this.scheduleDispatch();
    this.checkIdle();
  }

  /** A listener entered RUNNING: it may take events now. */
  wake(): void {
    this.scheduleDispatch();
  }

  /** before_remove: the pool stops taking events; what it holds is dropped. */
  close(): void {
    this.closed = true;
    this.buffer.clear();
    this.listeners.clear();
    this.checkIdle();
  }
}

/** The result line as Supervisor logs it: text, or 'Undecodable: %r' (clipped: it comes from a misbehaving program). */
function resultLineText(line: Buffer): string {
  const text = outputText(line);
  return text.length > 1024 ? `${text.slice(0, 1024)}...` : text;
}
