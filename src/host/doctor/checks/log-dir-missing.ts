// A log directory named by the config does not exist: Supervisor refuses to
// start ("... is not an existing directory", Supervisor #480), and a program
// whose log cannot be opened does not start.
import { existsSync, mkdirSync } from 'node:fs';
import { notADirectory } from '../../../os/access';
import { LOG_DIR_OPTIONS, logDirs, missingDirOf } from '../../config-facts';
import type { Check, Finding } from '../types';
import { ok, skipped } from '../types';

export const logDirMissing: Check = {
  id: 'log-dir-missing',
  title: 'a log directory the config names does not exist',
  run(ctx) {
    const err = ctx.configError;
    const dir = err ? missingDirOf(err) : null;
    if (err && dir && LOG_DIR_OPTIONS.has(err.option ?? '')) {
      const blocked = notADirectory(dir);
      if (blocked) return inTheWay(this.id, `${err.location()}: ${err.message}`, [blocked]);
      return {
        id: this.id,
        status: 'problem',
        found: `${err.location()}: ${err.message}`,
        why: 'the config is refused while a log directory it names is missing: the daemon does not start (Supervisor: "... is not an existing directory")',
        fix: `mkdir -p ${dir} (owned by root, mode 0755)`,
        apply: () => {
          mkdirSync(dir, { recursive: true, mode: 0o755 });
          return `created ${dir}`;
        },
      };
    }
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const dirs = logDirs(ctx.facts);
    const missing = dirs.filter((d) => !existsSync(d));
    if (missing.length === 0) return ok(this.id, `${dirs.length} log director${dirs.length === 1 ? 'y exists' : 'ies exist'}: ${dirs.join(', ')}`);
    const blocked = missing.map(notADirectory).filter((b, i, all) => b !== null && all.findIndex((o) => o?.path === b.path) === i) as { path: string; is: string }[];
    if (blocked.length > 0) return inTheWay(this.id, `missing: ${missing.join(', ')}`, blocked);
    return {
      id: this.id,
      status: 'problem',
      found: `missing: ${missing.join(', ')}`,
      why: 'the daemon cannot open its log (it refuses to start), or a program cannot open its log (it goes FATAL)',
      fix: `mkdir -p ${missing.join(' ')} (owned by root, mode 0755)`,
      apply: () => {
        for (const d of missing) mkdirSync(d, { recursive: true, mode: 0o755 });
        return `created ${missing.join(', ')}`;
      },
    };
  },
};

/** A file where a log directory should be: mkdir -p cannot help, and doctor moves nobody's file. */
function inTheWay(id: string, found: string, blocked: { path: string; is: string }[]): Finding {
  return {
    id,
    status: 'problem',
    found: `${found} (${blocked.map((b) => `${b.path} is ${b.is}`).join('; ')})`,
    why: 'a log directory cannot be made where a file is in the way: the daemon does not start, or a program cannot open its log (it goes FATAL)',
    fix: `move the file out of the way (${blocked.map((b) => `mv ${b.path} ${b.path}.old`).join('; ')}) and run tsv doctor --fix again, or point the log option at another directory`,
  };
}
