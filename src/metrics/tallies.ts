// What /metrics counts that Supervisor keeps nowhere: how often each program
// was started, failed to start, ended (expectedly or not), failed its
// healthcheck and was restarted for its memory, counted from
// the engine's event stream from the start of the daemon's run. A reload (HUP)
// starts a new run and new counts, as does an `update` that replaces a
// program: Prometheus reads a counter that goes back to 0 as a reset.
import type { EventBus } from '../daemon/events';
import { ProcessState } from '../daemon/states';

export interface ProgramTally {
  /** processes started */
  spawns: number;
  /** starts that did not get as far as a process (no such command, too many open files, …) */
  spawnFailures: number;
  /** ends with an exit code in exitcodes, and ends asked for (stop, restart, update, shutdown) */
  exitsExpected: number;
  /** ends with another exit code or a signal, or before startsecs */
  exitsUnexpected: number;
  /** healthcheck looks that were not answered */
  healthFailures: number;
  /** restarts for holding more than max_memory_restart */
  memoryRestarts: number;
  /** the CPU counter (./collect.ts): the main process it last looked at, */
  cpuPid: number;
  /** ticks counted before what its processes showed then, */
  cpuBase: number;
  /** and what they showed */
  cpuLast: number;
}

const key = (group: string, name: string): string => `${group}:${name}`;

export class ProgramTallies {
  private readonly tallies = new Map<string, ProgramTally>();
  private readonly offs: (() => void)[];

  constructor(events: EventBus) {
    this.offs = [
      events.on('processSpawned', (e) => this.of(e.group, e.name).spawns++),
      events.on('processHealth', (e) => {
        if (!e.ok && !e.starting) this.of(e.group, e.name).healthFailures++;
      }),
      events.on('processMemoryRestart', (e) => this.of(e.group, e.name).memoryRestarts++),
      events.on('processState', (e) => {
        // a process ended when the state it leaves had one (its pid is cleared after the change)
        if (e.pid === 0) {
          if (e.from === ProcessState.STARTING && e.to === ProcessState.BACKOFF) this.of(e.group, e.name).spawnFailures++;
          return;
        }
        const t = this.of(e.group, e.name);
        if (e.to === ProcessState.EXITED) {
          if (e.expected) t.exitsExpected++;
          else t.exitsUnexpected++;
        } else if (e.to === ProcessState.STOPPED && e.from === ProcessState.STOPPING) t.exitsExpected++;
        else if (e.to === ProcessState.BACKOFF && e.from === ProcessState.STARTING) t.exitsUnexpected++;
      }),
      events.on('groupRemoved', ({ group }) => {
        for (const k of this.tallies.keys()) if (k.startsWith(group + ':')) this.tallies.delete(k);
      }),
    ];
  }

  /** The tally of one program, made at its first event or first look. */
  of(group: string, name: string): ProgramTally {
    const k = key(group, name);
    let t = this.tallies.get(k);
    if (!t) this.tallies.set(k, (t = { spawns: 0, spawnFailures: 0, exitsExpected: 0, exitsUnexpected: 0, healthFailures: 0, memoryRestarts: 0, cpuPid: 0, cpuBase: 0, cpuLast: 0 }));
    return t;
  }

  close(): void {
    for (const off of this.offs) off();
    this.tallies.clear();
  }
}
