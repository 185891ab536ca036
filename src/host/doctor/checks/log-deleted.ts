// A log file was deleted (rm, or a logrotate rule without copytruncate or a
// postrotate signal) while the daemon still writes it: the output goes to
// an unlinked inode nobody can read, and its disk space is never freed.
import { isAbsolute } from 'node:path';
import { deletedOpenFiles, isAlive } from '../../procs';
import type { Check } from '../types';
import { ok, skipped } from '../types';
import { mainDaemon } from '../context';

export const logDeleted: Check = {
  id: 'log-deleted',
  title: 'the daemon writes to log files that were deleted',
  run(ctx) {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const d = mainDaemon(ctx);
    if (!d) return skipped(this.id, 'no daemon runs');
    const logPaths = new Set(ctx.facts.logs.map((l) => l.path));
    const childDir = ctx.facts.childlogdir.replace(/\/$/, '') + '/';
    const open = deletedOpenFiles(d.pid);
    // another user's daemon (root's, seen by a tsv-group member): "ok" would be a guess
    if (open === null) return skipped(this.id, `the open files of daemon pid ${d.pid} are not ours to see (run tsv doctor as root or as the daemon's user)`);
    // a file counts once, however many descriptors the daemon holds on it (stdout and stderr sharing a log)
    const deleted = [...new Set(open.filter((p) => isAbsolute(p) && (logPaths.has(p) || p.startsWith(childDir))))];
    if (deleted.length === 0) return ok(this.id, `daemon pid ${d.pid} writes no deleted log file`);
    return {
      id: this.id,
      status: 'problem',
      found: `daemon pid ${d.pid} still writes ${deleted.length} deleted file(s): ${deleted.join(', ')}`,
      why: 'its output goes to a file nobody can open any more, and the disk space is not freed until it is closed',
      fix: `ask the daemon to reopen its logs: kill -USR2 ${d.pid} (programs keep running)`,
      apply: () => {
        if (!isAlive(d.pid)) throw new Error(`pid ${d.pid} is gone`);
        process.kill(d.pid, 'SIGUSR2');
        return `sent SIGUSR2 to pid ${d.pid}: logs reopened`;
      },
    };
  },
};
