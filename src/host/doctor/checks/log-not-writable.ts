// A log file (or the directory it is created in) cannot be written by the
// user that writes it: the program's user= for its own logs (programs that
// log to a file themselves, and tsv's pre-created log files), the daemon's
// user for its main log. chmod on /var/log/tsv or a root-owned log file left
// by a manual run are the usual causes.
import { chmodSync, chownSync, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { canWriteOrCreate } from '../../access';
import { principalFor } from '../../accounts';
import type { LogTarget } from '../../config-facts';
import type { Check } from '../types';
import { ok, skipped } from '../types';

interface Blocked {
  log: LogTarget;
  who: string;
  reason: string;
  blocker: string;
}

export const logNotWritable: Check = {
  id: 'log-not-writable',
  title: "a log file or its directory is not writable by the program's user",
  run(ctx) {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const blocked: Blocked[] = [];
    for (const log of ctx.facts.logs) {
      if (!existsSync(dirname(log.path))) continue; // log-dir-missing
      const who = principalFor(log.user);
      if (!who) continue; // program-user-unknown
      const r = canWriteOrCreate(log.path, who);
      if (!r.ok) blocked.push({ log, who: who.name, reason: r.reason ?? 'not writable', blocker: r.blocker ?? log.path });
    }
    if (blocked.length === 0) return ok(this.id, `${ctx.facts.logs.length} log file(s) writable by their users`);
    const ownedDirs = new Set(ctx.manifest?.dirs.map((d) => d.path) ?? []);
    const isRoot = ctx.caller.uid === 0;
    const fixable = isRoot && blocked.every((b) => b.blocker === b.log.path || ownedDirs.has(b.blocker));
    const describe = (b: Blocked): string => `${b.log.process ? `${b.log.process.name} ${b.log.channel}` : 'main log'} ${b.log.path}: ${b.reason}`;
    return {
      id: this.id,
      status: 'problem',
      found: blocked.map(describe).join('; '),
      why: "a program that writes its log as its user= fails to open it (and often exits at once); the file may have been created by root in a manual run, or the directory's mode changed",
      fix: blocked
        .map((b) => (b.blocker === b.log.path ? `chown ${b.who} ${b.log.path} && chmod u+w ${b.log.path}` : `chmod 0755 ${b.blocker}`))
        .filter((v, i, a) => a.indexOf(v) === i)
        .join('; '),
      apply: fixable
        ? () => {
            const done: string[] = [];
            for (const b of blocked) {
              if (b.blocker === b.log.path) {
                const who = principalFor(b.log.user);
                if (!who) continue;
                chownSync(b.log.path, who.uid, who.gid);
                chmodSync(b.log.path, (statSync(b.log.path).mode & 0o777) | 0o600);
                done.push(`gave ${b.log.path} to ${who.name}`);
              } else if (!done.includes(`set ${b.blocker} to 0755`)) {
                // a directory tsv install created: back to the mode it made it with
                chmodSync(b.blocker, 0o755);
                done.push(`set ${b.blocker} to 0755`);
              }
            }
            return done.join('; ');
          }
        : undefined,
    };
  },
};
