// The engine's typed event stream. Everything that happens to processes,
// groups and the daemon itself is published here; the main log, the RPC
// layer, event listeners, the ctl and the web page all subscribe instead of
// polling the engine.
import type { HealthReport } from './health';
import type { MemoryReport } from './memory-limit';
import type { ProcessState, SupervisorState } from './states';

export interface ProcessRef {
  /** process name */
  name: string;
  /** group name */
  group: string;
}

/** One state transition (Supervisor's PROCESS_STATE_* events). */
export interface ProcessStateChange extends ProcessRef {
  from: ProcessState;
  to: ProcessState;
  /** pid when the process has one (0 otherwise) */
  pid: number;
  /** Supervisor's backoff counter at the time of the change ("tries") */
  tries: number;
  /** for EXITED: whether the exit code was in exitcodes */
  expected: boolean;
  /** exit status for EXITED / STOPPED (-1 if killed by a signal), else null */
  exitstatus: number | null;
  spawnerr: string | null;
  /** wall-clock seconds */
  time: number;
}

/** A chunk of child output as it is written to the child log (after strip_ansi). */
export interface ProcessOutput extends ProcessRef {
  channel: 'stdout' | 'stderr';
  pid: number;
  data: Buffer;
}

/** Data captured between <!--XSUPERVISOR:BEGIN--> and <!--XSUPERVISOR:END--> (capture mode). */
export interface ProcessCommunication extends ProcessRef {
  channel: 'stdout' | 'stderr';
  pid: number;
  data: Buffer;
}

/** A look of a healthcheck answered: what it saw (ok, detail, failures, starting, turned), and how many failures restart the program. */
export type ProcessHealth = ProcessRef & HealthReport & { pid: number; retries: number };

/** A look found a program over its max_memory_restart. */
export type ProcessMemoryRestart = ProcessRef & MemoryReport & { pid: number };

export interface EngineEvents {
  processState: ProcessStateChange;
  /** a process was started (the main log's `spawned:` line); its state is STARTING */
  processSpawned: ProcessRef & { pid: number };
  /** a look of a healthcheck was answered (src/daemon/health.ts) */
  processHealth: ProcessHealth;
  /** a look found a program over its max_memory_restart, and it is being restarted (src/daemon/memory-limit.ts) */
  processMemoryRestart: ProcessMemoryRestart;
  processOutput: ProcessOutput;
  processCommunication: ProcessCommunication;
  groupAdded: { group: string };
  groupRemoved: { group: string };
  /** SUPERVISOR_STATE_CHANGE_RUNNING / _STOPPING */
  supervisorState: { state: 'RUNNING' | 'STOPPING' };
  /** sendRemoteCommEvent (REMOTE_COMMUNICATION) */
  remoteCommunication: { type: string; data: string };
  /** the daemon's mood (getState) changed */
  mood: { from: SupervisorState; to: SupervisorState };
}

type Listener<T> = (event: T) => void;

export class EventBus<E extends object = EngineEvents> {
  private readonly listeners = new Map<keyof E, Listener<never>[]>();
  /** Where a listener's exception goes: it must never break the state machine that emitted. */
  onListenerError: (err: unknown, type: keyof E) => void = () => {};

  on<K extends keyof E>(type: K, fn: Listener<E[K]>): () => void {
    const list = this.listeners.get(type) ?? [];
    list.push(fn as Listener<never>);
    this.listeners.set(type, list);
    return () => this.off(type, fn);
  }

  off<K extends keyof E>(type: K, fn: Listener<E[K]>): void {
    const list = this.listeners.get(type);
    if (!list) return;
    const i = list.indexOf(fn as Listener<never>);
    if (i >= 0) list.splice(i, 1);
  }

  /** Whether anyone listens: lets hot paths (output) skip building events. */
  has<K extends keyof E>(type: K): boolean {
    const list = this.listeners.get(type);
    return !!list && list.length > 0;
  }

  emit<K extends keyof E>(type: K, event: E[K]): void {
    const list = this.listeners.get(type);
    if (!list || list.length === 0) return;
    // a listener may unsubscribe while we iterate
    for (const fn of list.slice()) {
      try {
        (fn as Listener<E[K]>)(event);
      } catch (err) {
        this.onListenerError(err, type);
      }
    }
  }
}
