// depends_on among the engine's live processes (tsv only; the config's names
// are resolved to namespecs by src/config/depends.ts): which processes one
// waits for, which wait for it, and the orders a start and a stop of many go
// in. Looked up by name each time, since `update` adds and removes groups
// while the daemon runs; the reverse index is rebuilt after such a change.
import type { ProcessGroup } from './group';
import type { Subprocess } from './process';
import { namespec, splitNamespec, type GroupConfig } from '../config/model';

export class Dependencies {
  /** namespec -> the processes that name it; null: to be rebuilt */
  private dependents: Map<string, Subprocess[]> | null = null;

  constructor(private readonly groups: ReadonlyMap<string, ProcessGroup>) {}

  /** A group came or went. */
  changed(): void {
    this.dependents = null;
  }

  private index(): Map<string, Subprocess[]> {
    if (!this.dependents) {
      this.dependents = new Map();
      for (const g of this.groups.values()) {
        for (const q of g.processes.values()) {
          for (const spec of q.config.depends_on) {
            const list = this.dependents.get(spec);
            if (list) list.push(q);
            else this.dependents.set(spec, [q]);
          }
        }
      }
    }
    return this.dependents;
  }

  /** Whether any process has depends_on: the orders below are left alone when none has. */
  get used(): boolean {
    return this.index().size > 0;
  }

  find(spec: string): Subprocess | undefined {
    const [group, name] = splitNamespec(spec);
    return name === null ? undefined : this.groups.get(group)?.processes.get(name);
  }

  /**
   * The namespecs p waits for that are not up now: not RUNNING, not answering
   * their healthcheck if they have one, or not there (a group `update` has
   * yet to add).
   */
  unmet(p: Subprocess): string[] {
    return p.config.depends_on.filter((spec) => !this.find(spec)?.up);
  }

  /** The processes p waits for that are there. */
  of(p: Subprocess): Subprocess[] {
    const out: Subprocess[] = [];
    for (const spec of p.config.depends_on) {
      const d = this.find(spec);
      if (d) out.push(d);
    }
    return out;
  }

  /** The processes that wait for p. */
  dependentsOf(p: Subprocess): Subprocess[] {
    return this.index().get(namespec(p.group, p.name)) ?? [];
  }

  /** procs with every process before those it waits for: the order a stop of many goes in. */
  dependentsFirst<T>(procs: readonly T[], proc: (t: T) => Subprocess): T[] {
    if (!this.used) return [...procs];
    return this.dependenciesFirst([...procs].reverse(), proc).reverse();
  }

  /**
   * procs with every process after those it waits for (among procs), the
   * given order kept otherwise: the order a start of many goes in.
   */
  dependenciesFirst<T>(procs: readonly T[], proc: (t: T) => Subprocess): T[] {
    if (!this.used) return [...procs];
    const index = new Map(procs.map((t) => [proc(t), t]));
    const out: T[] = [];
    const placed = new Set<Subprocess>();
    const place = (p: Subprocess): void => {
      if (placed.has(p)) return;
      placed.add(p); // the config refuses cycles; this also ends one
      for (const d of this.of(p)) if (index.has(d)) place(d);
      out.push(index.get(p) as T);
    };
    for (const t of procs) place(proc(t));
    return out;
  }
}

/**
 * Group configs with each group after the groups its programs wait for
 * (among them), the given order kept otherwise. reloadConfig lists its
 * changed groups so: supervisorctl's update replaces them in the order
 * given, and a dependent replaced before its dependency would start against
 * the old one, which is then stopped under it (docker compose, too,
 * recreates a dependency before what depends on it).
 */
export function groupsDependenciesFirst(groups: readonly GroupConfig[]): GroupConfig[] {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const out: GroupConfig[] = [];
  const placed = new Set<GroupConfig>();
  const place = (g: GroupConfig): void => {
    if (placed.has(g)) return;
    placed.add(g); // groups can wait for each other through different programs; this ends such a circle
    for (const p of g.processes) {
      for (const spec of p.depends_on) {
        const d = byName.get(splitNamespec(spec)[0]);
        if (d) place(d);
      }
    }
    out.push(g);
  };
  for (const g of groups) place(g);
  return out;
}
