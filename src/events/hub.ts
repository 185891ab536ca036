// Supervisor's events.notify() for tsv: turns what the engine publishes on
// its bus (state changes, output, groups, the daemon's state, remote
// communication) into Supervisor's events, and hands each one to every
// [eventlistener:x] pool that subscribes to it, to `tsv events` streams and
// to a short history of recent events.
//
// It also owns what only exists for subscribers: the TICK timer is armed
// only while a pool or a stream subscribes to a tick, and child output is
// turned into PROCESS_LOG events only while somebody subscribes to those.
import type { EventTypeName } from '../config/model';
import type { Supervisor } from '../daemon/supervisor';
import type { ProcessOutput, ProcessStateChange } from '../daemon/events';
import type { ListenerStdout } from '../daemon/process-output';
import { ProcessState, processStateName } from '../daemon/states';
import { Deque } from './deque';
import {
  processCommunicationEvent,
  processGroupEvent,
  processHealthEvent,
  processMemoryRestartEvent,
  processLogEvent,
  processStateEvent,
  remoteCommunicationEvent,
  supervisorStateEvent,
  tickEvent,
  type SupervisorEvent,
} from './payload';
import { EventListenerPool, type ListenerProcess } from './pool';
import { TickClock, type TickName } from './ticks';
import { TICKS, isA, wantsFamily } from './types';

/** A `tsv events` client following live events. */
export interface EventFollower {
  readonly types: readonly EventTypeName[];
  deliver(event: SupervisorEvent): void;
  /** the daemon is stopping or reloading: no more events will come */
  closed(): void;
}

/** GlobalSerial: module-wide like Supervisor's, so serials keep counting across a reload. */
let globalSerial = -1;
function nextSerial(): number {
  if (globalSerial === Number.MAX_SAFE_INTEGER) globalSerial = -1;
  return ++globalSerial;
}

const HISTORY_EVENTS = 200;
const HISTORY_CHARS = 1024 * 1024;

/** Transitions that end a process's life (Subprocess.finish). */
const DEATHS: ReadonlySet<ProcessState> = new Set([ProcessState.EXITED, ProcessState.STOPPED, ProcessState.BACKOFF]);
const LIVE: ReadonlySet<ProcessState> = new Set([ProcessState.STARTING, ProcessState.RUNNING, ProcessState.STOPPING]);

export class EventHub {
  private readonly pools = new Map<string, EventListenerPool>();
  private readonly followers = new Set<EventFollower>();
  private readonly history = new Deque<SupervisorEvent>();
  private historyChars = 0;
  private readonly ticks: TickClock;
  private outputOff: (() => void) | null = null;
  private readonly offs: (() => void)[] = [];
  private closedFlag = false;

  constructor(private readonly engine: Supervisor) {
    this.ticks = new TickClock((name, when) => {
      // from a timer: an error here would reach Node's top level
      try {
        this.notify(tickEvent(name, when));
      } catch (e) {
        engine.logger.critical(`tick ${name}: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    });
    const bus = engine.events;
    this.offs.push(
      bus.on('processState', (e) => this.onProcessState(e)),
      bus.on('processCommunication', (e) => this.notify(processCommunicationEvent(e.name, e.group, e.pid, e.channel, e.data))),
      bus.on('groupAdded', ({ group }) => {
        const g = this.engine.groups.get(group);
        if (g && g.config.kind === 'eventlistener') this.addPool(group);
        this.notify(processGroupEvent('added', group));
      }),
      bus.on('groupRemoved', ({ group }) => {
        // before_remove unsubscribes the pool before the event goes out
        this.removePool(group);
        this.notify(processGroupEvent('removed', group));
      }),
      bus.on('supervisorState', ({ state }) => this.notify(supervisorStateEvent(state))),
      bus.on('remoteCommunication', ({ type, data }) => this.notify(remoteCommunicationEvent(type, data))),
      // every failed look that counts towards a restart, and an answer only when it ends failures or starts a run
      bus.on('processHealth', (e) => {
        if ((!e.ok && !e.starting) || e.turned) this.notify(processHealthEvent(e));
      }),
      bus.on('processMemoryRestart', (e) => this.notify(processMemoryRestartEvent(e))),
    );
  }

  // ------------------------------------------------------------------ pools

  private addPool(name: string): void {
    const group = this.engine.groups.get(name);
    if (!group) return;
    const engine = this.engine;
    const pool = new EventListenerPool({
      name,
      bufferSize: group.config.buffer_size ?? 10,
      events: (group.config.events ?? []) as EventTypeName[],
      identifier: () => engine.settings.identifier,
      logger: engine.logger,
      nextSerial,
      processes: () => (engine.groups.get(name)?.processes.values() ?? []) as Iterable<ListenerProcess>,
    });
    this.pools.set(name, pool);
    this.refreshInterest();
  }

  /** true when the pool of group `name` has nothing in flight (or there is none); otherwise cb runs once it has not. */
  whenPoolIdle(name: string, cb: () => void): boolean {
    return this.pools.get(name)?.whenIdle(cb) ?? true;
  }

  private removePool(name: string): void {
    const pool = this.pools.get(name);
    if (!pool) return;
    pool.close();
    this.pools.delete(name);
    this.refreshInterest();
  }

  /**
   * Subprocess hook: a process of an eventlistener pool was spawned; its
   * stdout is read by the pool's protocol from now on. null for programs.
   */
  listenerStdout(proc: ListenerProcess & { readonly group: string }): ListenerStdout | null {
    const pool = this.pools.get(proc.group);
    return pool ? pool.attach(proc) : null;
  }

  // ------------------------------------------------------------ engine side

  private onProcessState(e: ProcessStateChange): void {
    const facts = {
      name: e.name,
      group: e.group,
      from: processStateName(e.from),
      to: processStateName(e.to),
      pid: e.pid,
      tries: e.tries,
      expected: e.expected,
    };
    const event = processStateEvent(facts, e.time);
    if (event) this.notify(event, this.engine.listenerStoppingNext(e.group));
    const pool = this.pools.get(e.group);
    if (!pool) return;
    const proc = this.engine.groups.get(e.group)?.processes.get(e.name);
    if (!proc) return;
    // Subprocess.finish: after the state change is notified, an event the listener held goes back
    if (DEATHS.has(e.to) && LIVE.has(e.from)) pool.died(proc);
    else if (e.to === ProcessState.RUNNING) pool.wake();
  }

  /** Subprocess emits output only of channels with *_events_enabled (its logEvents()). */
  private onOutput(e: ProcessOutput): void {
    this.notify(processLogEvent(e.name, e.group, e.pid, e.channel, e.data));
  }

  // ------------------------------------------------------------- notifying

  /** events.notify(): every pool in the order they subscribed (`skip` only numbers it), then tsv's followers and history. */
  notify(event: SupervisorEvent, skip: string | null = null): void {
    if (this.closedFlag) return;
    for (const pool of this.pools.values()) pool.notify(event, pool.name !== skip);
    this.remember(event);
    for (const f of this.followers) {
      if (f.types.some((t) => isA(event.name, t))) {
        try {
          f.deliver(event);
        } catch {
          // a follower that fails is its own problem (the stream handler closes it)
        }
      }
    }
  }

  private remember(event: SupervisorEvent): void {
    this.history.push(event);
    this.historyChars += event.payload.length;
    while (this.history.length > HISTORY_EVENTS || (this.historyChars > HISTORY_CHARS && this.history.length > 1)) {
      const old = this.history.shift() as SupervisorEvent;
      this.historyChars -= old.payload.length;
    }
  }

  /** The last `n` remembered events matching `types`, oldest first. */
  recent(types: readonly EventTypeName[], n: number): SupervisorEvent[] {
    if (n <= 0) return [];
    const out: SupervisorEvent[] = [];
    for (const e of this.history) if (types.some((t) => isA(e.name, t))) out.push(e);
    return out.slice(-n);
  }

  /** Follow live events of `types`; returns the unsubscribe. */
  follow(f: EventFollower): () => void {
    if (this.closedFlag) {
      f.closed();
      return () => {};
    }
    this.followers.add(f);
    this.refreshInterest();
    return () => {
      if (this.followers.delete(f)) this.refreshInterest();
    };
  }

  /** Arm ticks and output events for exactly what somebody subscribes to. */
  private refreshInterest(): void {
    if (this.closedFlag) return;
    const subs: EventTypeName[] = [];
    for (const p of this.pools.values()) subs.push(...p.events);
    for (const f of this.followers) subs.push(...f.types);
    const ticks = new Set<TickName>();
    for (const t of TICKS) if (subs.some((s) => isA(t.name, s))) ticks.add(t.name);
    this.ticks.setWanted(ticks);
    const wantOutput = wantsFamily(subs, 'PROCESS_LOG');
    if (wantOutput && !this.outputOff) this.outputOff = this.engine.events.on('processOutput', (e) => this.onOutput(e));
    else if (!wantOutput && this.outputOff) {
      this.outputOff();
      this.outputOff = null;
    }
  }

  /** Whether the tick timer is armed (for tests of the idle guarantee). */
  get ticking(): boolean {
    return this.ticks.armed;
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.ticks.close();
    for (const off of this.offs) off();
    this.outputOff?.();
    this.outputOff = null;
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
    const followers = [...this.followers];
    this.followers.clear();
    for (const f of followers) f.closed();
  }
}
