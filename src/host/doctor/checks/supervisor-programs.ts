// The two ways a switch from Supervisor to tsv goes wrong with nobody told:
// Supervisor left running beside tsv (every program it shares with this
// config runs twice, both appending to the same logs), and Supervisor gone
// (tsv-supervisor-compat removes it) with programs still configured only in
// /etc/supervisor, which then run under no daemon while `supervisorctl
// status` answers, empty and content.
import { loadConfig } from '../../../config/load';
import { globSorted } from '../../../config/glob';
import { programSections, SUPERVISOR_CONFIG } from '../../import-supervisor';
import type { Check } from '../types';
import { ok, skipped } from '../types';

const key = (p: { program: string; command: string }): string => `${p.program}\0${p.command}`;

export const programsRunTwice: Check = {
  id: 'programs-run-twice',
  title: 'another daemon runs programs of this config too',
  run(ctx) {
    if (!ctx.config || !ctx.configFile) return skipped(this.id, 'no readable config');
    const ours = new Set(ctx.config.groups.flatMap((g) => g.processes.map(key)));
    if (ours.size === 0) return ok(this.id, 'no programs configured');
    const mine = new Set(ctx.daemons.map((d) => d.pid));
    const twice: string[] = [];
    for (const d of ctx.allDaemons) {
      if (mine.has(d.pid) || d.configFile === null) continue;
      let names: string[];
      try {
        // the same program and command: a name alone is too common (web, worker) to mean the same program
        names = loadConfig({ file: d.configFile }).config.groups.flatMap((g) => g.processes.filter((p) => ours.has(key(p))).map((p) => p.program));
      } catch {
        continue;
      }
      const unique = [...new Set(names)];
      if (unique.length) twice.push(`pid ${d.pid} (${d.kind} on ${d.configFile}) runs ${unique.join(', ')} too`);
    }
    if (twice.length === 0) return ok(this.id, 'no other daemon runs a program of this config');
    return {
      id: this.id,
      status: 'problem',
      found: twice.join('; '),
      why: 'each of those programs runs twice, once under each daemon: double work, port conflicts, and two writers of one log; usually Supervisor left running after a switch to tsv',
      fix: 'stop the other daemon for good (Supervisor: systemctl disable --now supervisor; tsv install --boot --from-supervisor does this as it takes over), or remove the programs from one of the configs',
    };
  },
};

export const supervisorProgramsLeft: Check = {
  id: 'supervisor-programs-left',
  title: 'programs configured for Supervisor that no daemon runs',
  run(ctx) {
    if (ctx.scope !== 'system') return skipped(this.id, 'a per-user install');
    if (!ctx.config || !ctx.configFile) return skipped(this.id, 'no readable config');
    if (ctx.configFile === SUPERVISOR_CONFIG) return ok(this.id, `this is Supervisor's config`);
    if (ctx.allDaemons.some((d) => d.configFile === SUPERVISOR_CONFIG)) return ok(this.id, `a daemon runs ${SUPERVISOR_CONFIG}`);
    const files = [SUPERVISOR_CONFIG, ...globSorted('/etc/supervisor/conf.d/*.conf')];
    const ours = new Set(ctx.config.groups.flatMap((g) => g.processes.map((p) => p.program)));
    const left = new Map<string, string[]>();
    for (const f of files) {
      const names = programSections(f).filter((n) => !ours.has(n));
      if (names.length) left.set(f, names);
    }
    if (left.size === 0) return ok(this.id, 'no program is configured only for Supervisor');
    const all = [...left.values()].flat();
    return {
      id: this.id,
      status: 'problem',
      found: `${all.length} program(s) configured for Supervisor run under no daemon: ${[...left].map(([f, n]) => `${n.join(', ')} (${f})`).join('; ')}`,
      why: `no daemon reads ${SUPERVISOR_CONFIG} (Supervisor was stopped or removed, e.g. by tsv-supervisor-compat), and ${ctx.configFile} does not have them: they do not run, while supervisorctl status says nothing of them (tsv-supervisor-compat's lists tsv's programs; Debian's finds no daemon on /var/run/supervisor.sock, exit 4)`,
      fix: `copy them into tsv's config: cp /etc/supervisor/conf.d/*.conf ${ctx.layout.includeDir}/ && tsv ctl -c ${ctx.configFile} update (programs in ${SUPERVISOR_CONFIG} itself, and its [inet_http_server], by hand; %(here)s then means the new directory); or remove them from /etc/supervisor if they are not wanted`,
    };
  },
};
