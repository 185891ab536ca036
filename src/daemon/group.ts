// A process group (process.py ProcessGroupBase / ProcessGroup).
import type { GroupConfig } from '../config/model';
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

  /** The order a shutdown stops the group's processes in: descending process priority. */
  stopOrder(): Subprocess[] {
    return sortByPriority([...this.processes.values()]).reverse();
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
