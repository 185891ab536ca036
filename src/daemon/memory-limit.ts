// max_memory_restart (tsv only, PM2's option of that name): a running program
// whose processes hold more resident memory than the limit is restarted, as
// PM2 does and as superlance's memmon does for Supervisor from an event
// listener once a minute (TICK_60). Linux tells nobody when a process grows
// (only a cgroup's memory.events does, and the programs are not in cgroups of
// their own), so the daemon looks on a timer, as for healthcheck=: armed only
// while a program with the option is RUNNING, every max_memory_interval
// seconds. A look reads /proc/PID/stat of the program's processes, found
// down its tree as stopastree finds them (process-tree.ts): a few hundred µs
// for a program of ten processes.
import type { MemoryLimitConfig } from '../config/model';
import { findTree, type TreeQuery } from './process-tree';
import { procStat } from './proc-stat';
import { binaryBytes, rssBytes } from './program-usage';
import { byteSizeText } from '../config/datatypes';

/**
 * Resident memory of the program's main process and every process of its
 * tree, summed (pages they share counted in each, as ps, `tsv ps` and
 * /metrics count them). 0 when none is left.
 */
export function treeResidentBytes(q: TreeQuery): number {
  const main = q.main ? procStat(q.main) : null;
  return rssBytes([...(main && !main.zombie ? [main.pid] : []), ...findTree(q).members]);
}

/** One look at a program's memory. */
export interface MemoryReport {
  /** what its processes held */
  used: number;
  limit: number;
}

/** "its processes hold 612.3 MiB of resident memory, more than max_memory_restart=500MB": the main log's and the event's words. */
export function overLimitText(r: MemoryReport): string {
  return `its processes hold ${binaryBytes(r.used)} of resident memory, more than max_memory_restart=${byteSizeText(r.limit)}`;
}

/**
 * The looks of one program while it runs: the first an interval after it
 * enters RUNNING, then one every interval; a report over the limit restarts
 * the program, which ends the looks, and the next run is looked at anew.
 */
export class MemoryWatch {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly limit: MemoryLimitConfig,
    private readonly measure: () => number,
    private readonly report: (r: MemoryReport) => void,
  ) {}

  /** The program entered RUNNING. */
  start(): void {
    this.stop();
    this.running = true;
    this.arm();
  }

  /** The program left RUNNING. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.report({ used: this.measure(), limit: this.limit.bytes });
      if (this.running && !this.timer) this.arm();
    }, this.limit.interval * 1000);
  }
}
