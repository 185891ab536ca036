// A process group (process.py ProcessGroupBase / ProcessGroup).
import type { GroupConfig } from '../config/model';
import { ProcessState } from './states';
import type { Subprocess } from './process';
import type { FcgiSocket } from './fcgi-socket';

export class ProcessGroup {
  /** by process name, in config order (which is priority order) */
  readonly processes = new Map<string, Subprocess>();

  constructor(
    readonly config: GroupConfig,
    /** [fcgi-program:x] only: the socket its processes share */
    readonly socket: FcgiSocket | null = null,
  ) {}

  get name(): string {
    return this.config.name;
  }

  get priority(): number {
    return this.config.priority;
  }

  transition(): void {
    for (const p of this.processes.values()) p.transition();
  }

  /** Shutdown: descending process priority; BACKOFF gives up (FATAL). */
  stopAll(): void {
    const procs = sortByPriority([...this.processes.values()]).reverse();
    for (const p of procs) {
      if (p.state === ProcessState.RUNNING || p.state === ProcessState.STARTING) p.stop();
      else if (p.state === ProcessState.BACKOFF) p.giveUp();
    }
  }

  unstopped(): Subprocess[] {
    return [...this.processes.values()].filter((p) => !p.isStopped());
  }

  reopenLogs(): void {
    for (const p of this.processes.values()) p.reopenLogs();
  }

  dispose(): void {
    for (const p of this.processes.values()) p.dispose();
    this.socket?.dispose();
  }
}

/** Python's list.sort() on objects compared by priority: stable, ascending. */
export function sortByPriority<T extends { config: { priority: number } }>(list: T[]): T[] {
  return list
    .map((v, i) => [v, i] as const)
    .sort((a, b) => a[0].config.priority - b[0].config.priority || a[1] - b[1])
    .map(([v]) => v);
}
