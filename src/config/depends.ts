// depends_on (tsv only): what a program's `depends_on = a, g:b` names, turned
// into the processes it means once every group is read, and refused when a
// name means nothing or the dependencies go round in a circle. Supervisor
// starts everything at once in priority order (its issue #122, open since
// 2012); the engine uses the result to start a program only once its
// dependencies are RUNNING and to stop it before them.
import { namespec, type GroupConfig, type ProcessConfig } from './model';

/** Where the loader reports a bad depends_on: the error names the section, option, file and line. `name`: the name that means nothing (null for a circle). */
export type DependsFail = (p: ProcessConfig, message: string, hint: string, name: string | null) => never;

/**
 * The processes one name means: `group:process`, `group:*` or `group`
 * (every process of the group), or the name of a [program:x] that a
 * [group:g] took in (its processes, under g). null: none.
 */
function processesNamed(name: string, groups: ReadonlyMap<string, GroupConfig>, programs: ReadonlyMap<string, ProcessConfig[]>): ProcessConfig[] | null {
  const colon = name.indexOf(':');
  if (colon >= 0) {
    const group = groups.get(name.slice(0, colon));
    const proc = name.slice(colon + 1);
    if (!group) return null;
    if (proc === '' || proc === '*') return group.processes;
    const p = group.processes.find((x) => x.name === proc);
    return p ? [p] : null;
  }
  return groups.get(name)?.processes ?? programs.get(name) ?? null;
}

/** A path round the dependencies, as namespecs (the first again at the end), or null when there is none. */
function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | null {
  const done = new Set<string>();
  const onPath: string[] = [];
  const onPathSet = new Set<string>();
  const visit = (n: string): string[] | null => {
    if (onPathSet.has(n)) return [...onPath.slice(onPath.indexOf(n)), n];
    if (done.has(n)) return null;
    onPath.push(n);
    onPathSet.add(n);
    for (const m of edges.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    onPath.pop();
    onPathSet.delete(n);
    done.add(n);
    return null;
  };
  for (const n of edges.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

/** Replaces each process's depends_on, as written, with the namespecs of the processes it means (sorted, once each). */
export function resolveDependencies(groups: readonly GroupConfig[], fail: DependsFail): void {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const programs = new Map<string, ProcessConfig[]>();
  for (const g of groups) {
    for (const p of g.processes) {
      const list = programs.get(p.program);
      if (list) list.push(p);
      else programs.set(p.program, [p]);
    }
  }
  const edges = new Map<string, string[]>();
  for (const g of groups) {
    for (const p of g.processes) {
      if (!p.depends_on.length) continue;
      const specs = new Set<string>();
      for (const name of p.depends_on) {
        const named = processesNamed(name, byName, programs);
        if (!named) {
          const known = groups.map((x) => x.name);
          fail(
            p,
            `depends_on names ${name}, which is no program, group or process here`,
            `name a program or group (${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}) or GROUP:PROCESS`,
            name,
          );
        }
        for (const d of named) specs.add(namespec(d.group, d.name));
      }
      p.depends_on = [...specs].sort();
      edges.set(namespec(p.group, p.name), p.depends_on);
    }
  }
  const cycle = findCycle(edges);
  if (cycle) {
    const first = cycle[0] as string;
    const p = groups.flatMap((g) => g.processes).find((x) => namespec(x.group, x.name) === first) as ProcessConfig;
    fail(p, `depends_on goes round in a circle: ${cycle.join(' -> ')}`, 'a program cannot wait for itself, even through others: remove one of these dependencies', null);
  }
}
