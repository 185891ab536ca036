// command= names a program that cannot be run: not found on the PATH the
// daemon searches (the program's environment= PATH, else the daemon's), or
// found but not executable by the program's user.
import { statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { ProcessConfig } from '../../../config/model';
import { canAccess } from '../../../os/access';
import { explainExecFailure } from '../../../daemon/exec-hint';
import { principalFor } from '../../../os/accounts';
import { shSplit } from '../../quote';
import { environOf } from '../../procs';
import type { Check, Finding } from '../types';
import { ok, skipped } from '../types';
import { mainDaemon, type DoctorContext } from '../context';

// What systemd gives a service; the daemon's own PATH when it runs.
const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

interface Resolved {
  process: ProcessConfig;
  program: string;
  path: string | null;
  searched: string;
}

function resolveCommands(ctx: DoctorContext): Resolved[] {
  const d = mainDaemon(ctx);
  const daemonPath = (d && environOf(d.pid)?.PATH) || SERVICE_PATH;
  const out: Resolved[] = [];
  for (const p of ctx.facts?.processes ?? []) {
    const program = shSplit(p.command)[0] ?? '';
    if (!program) continue;
    if (program.includes('/')) {
      const abs = isAbsolute(program) ? program : resolve(p.directory ?? '/', program);
      out.push({ process: p, program, path: isFile(abs) ? abs : null, searched: abs });
      continue;
    }
    const path = p.environment.PATH ?? daemonPath;
    const found = path.split(':').map((dir) => join(dir || '.', program)).find(isFile) ?? null;
    out.push({ process: p, program, path: found, searched: `PATH=${path}` });
  }
  return out;
}

// Supervisor's console scripts, which tsv is too: a config written for
// Supervisor names them (pidproxy above all) where Supervisor installed them.
const TSV_FORM: Record<string, string> = {
  pidproxy: 'tsv pidproxy',
  supervisorctl: 'tsv ctl',
  supervisord: 'tsv daemon',
  echo_supervisord_conf: 'tsv config sample',
};

// superlance's listeners, which Supervisor's users pip-install beside it:
// what tsv has in their place, for a host that no longer has Python's.
const SUPERLANCE_FORM: Record<string, string> = {
  crashmail: 'tsv is it too: write command=tsv crashmail … (the same options)',
  httpok: "tsv's healthcheck=URL in the program's section does its job without a listener",
  memmon: "tsv's max_memory_restart=SIZE in the program's section does its job without a listener",
};

export const programCommandNotFound: Check = {
  id: 'program-command-not-found',
  title: "a program's command is not found",
  run(ctx): Finding {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const bad = resolveCommands(ctx).filter((r) => r.path === null);
    if (bad.length === 0) return ok(this.id, `${ctx.facts.processes.length} command(s) found`);
    return {
      id: this.id,
      status: 'problem',
      found: bad.map((r) => `${r.process.name}: "${r.program}" not found (${r.searched})`).join('; '),
      why: 'the program cannot be started: it goes straight to FATAL ("can\'t find command")',
      fix: [
        ...new Set(
          bad.map((r) => {
            const name = basename(r.program);
            const tsvForm = TSV_FORM[name];
            if (tsvForm) return `"${name}" is Supervisor's, and tsv is it too: write command=${tsvForm} … (or install tsv-supervisor-compat, whose /usr/bin/${name} is tsv)`;
            const superlance = SUPERLANCE_FORM[name];
            if (superlance) return `"${name}" is superlance's: ${superlance}`;
            return 'install the program, or give command= its absolute path (the daemon does not read your shell\'s PATH)';
          }),
        ),
      ].join('; '),
    };
  },
};

export const programCommandNotExecutable: Check = {
  id: 'program-command-not-executable',
  title: "a program's command is not executable by its user, or cannot run here (Windows line endings, a missing interpreter, another machine's build)",
  run(ctx): Finding {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const bad: string[] = [];
    // executable, but execve would fail with ENOENT or worse: what the file's first bytes say
    const unrunnable: string[] = [];
    for (const r of resolveCommands(ctx)) {
      if (!r.path) continue;
      const who = principalFor(r.process.user);
      if (!who) continue;
      const a = canAccess(r.path, who, 'x');
      if (!a.ok) {
        bad.push(`${r.process.name}: ${a.reason}`);
        continue;
      }
      const hint = explainExecFailure(r.path, 'ENOENT', who);
      if (hint) unrunnable.push(`${r.process.name}: ${r.path}: ${hint}`);
    }
    if (bad.length === 0 && unrunnable.length === 0) return ok(this.id, 'every command found is executable by its user');
    return {
      id: this.id,
      status: 'problem',
      found: [...bad, ...unrunnable].join('; '),
      why: bad.length
        ? 'the program cannot be started: it goes to FATAL ("command at ... is not executable")'
        : 'the program cannot be started: its exec fails with ENOENT though the file is there ("couldn\'t exec ...: ENOENT" in its log), and it goes to FATAL',
      fix: [...(bad.length ? ['chmod +x the file (or a+x when user= is another user), or fix command='] : []), ...(unrunnable.length ? ['what each says above'] : [])].join('; '),
    };
  },
};
