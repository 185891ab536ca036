// directory= names a directory that is not there: the program fails to
// start (spawn error: "couldn't chdir") and goes FATAL.
import { statSync } from 'node:fs';
import type { Check } from '../types';
import { ok, skipped } from '../types';

export const programDirectoryMissing: Check = {
  id: 'program-directory-missing',
  title: "a program's directory= does not exist",
  run(ctx) {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const bad: string[] = [];
    for (const p of ctx.facts.processes) {
      if (!p.directory) continue;
      let isDir = false;
      try {
        isDir = statSync(p.directory).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir) bad.push(`${p.name}: directory=${p.directory}`);
    }
    const withDir = ctx.facts.processes.filter((p) => p.directory).length;
    if (bad.length === 0) return ok(this.id, withDir ? `${withDir} directory= setting(s) exist` : 'no program sets directory=');
    return {
      id: this.id,
      status: 'problem',
      found: `missing: ${bad.join('; ')}`,
      why: 'the program cannot chdir there, so it never starts (BACKOFF, then FATAL)',
      fix: 'create the directory with the owner the program needs (mkdir -p DIR && chown USER DIR), or fix directory=',
    };
  },
};
