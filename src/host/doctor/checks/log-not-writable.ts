// A log file (or the directory it is created in) cannot be written by the
// user that writes it: the daemon, which opens its main log and every
// program's logs as [supervisord] user= (without it, as whoever starts the
// daemon), whatever the program's own user=. A chmod or a root-owned log
// left by a manual sudo run are the usual causes where the daemon is not
// root; a directory at a log's path stops any daemon. A log that rotates
// also needs its directory: NAME becomes NAME.1 there.
import { closeSync, constants, existsSync, fchmodSync, fchownSync, fstatSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { canAccess, canCreateIn, canRenameIn, canWriteOrCreate, changeDirectory, isSharedDir, lstatOrNull, refuseLinkOfOthers } from '../../../os/access';
import type { LogTarget } from '../../config-facts';
import type { Check } from '../types';
import { ok, skipped } from '../types';
import { unitUserFix, unitUserGap } from '../context';

/**
 * Creates the file if need be and gives it to uid:gid, through one descriptor
 * opened without following a link: the directory may be the program user's,
 * who could swap the file for a link between a check and a chown by name.
 */
function giveFile(path: string, uid: number, gid: number): void {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  let fd: number;
  try {
    // an existing file without O_CREAT: with it, fs.protected_regular refuses root another user's file in /tmp
    fd = openSync(path, flags);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    fd = openSync(path, flags | constants.O_CREAT, 0o640);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${path} is not a regular file; left as it is`);
    fchownSync(fd, uid, gid);
    fchmodSync(fd, (st.mode & 0o777) | 0o600);
  } finally {
    closeSync(fd);
  }
}

interface Blocked {
  log: LogTarget;
  who: string;
  reason: string;
  blocker: string;
  /** the childlogdir where the daemon makes AUTO logs, not one file */
  autoDir?: true;
  /** the file is writable, but its rotation cannot rename it to NAME.1 */
  rotation?: true;
}

/** The option that keeps a log's rotation from needing its directory. */
function backupsOption(log: LogTarget): string {
  return log.channel === 'main' ? 'logfile_backups' : `${log.channel}_logfile_backups`;
}

export const logNotWritable: Check = {
  id: 'log-not-writable',
  title: "a log file or its directory is not writable by the daemon's user",
  run(ctx) {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const daemon = ctx.daemonUser;
    if (!daemon) return skipped(this.id, `the daemon's user is unknown (${ctx.daemonUserFrom})`);
    const blocked: Blocked[] = [];
    for (const log of ctx.facts.logs) {
      if (!existsSync(dirname(log.path))) continue; // log-dir-missing
      if (lstatOrNull(log.path)?.isDirectory()) {
        // no user may open a directory as its log: the program is held in BACKOFF with EISDIR
        blocked.push({ log, who: daemon.name, reason: `${log.path} is a directory`, blocker: log.path });
        continue;
      }
      const r = canWriteOrCreate(log.path, daemon);
      if (!r.ok) {
        blocked.push({ log, who: daemon.name, reason: r.reason ?? 'not writable', blocker: r.blocker ?? log.path });
        continue;
      }
      // a file that is not there yet was just found creatable: its directory lets the rotation through too
      // each backup moves up one (NAME.1 to NAME.2 …), and NAME becomes NAME.1
      const names = log.backups > 0 && existsSync(log.path) ? [log.path, ...Array.from({ length: log.backups }, (_, i) => `${log.path}.${i + 1}`)] : [];
      for (const name of names) {
        if (name !== log.path && !lstatOrNull(name)) continue;
        const rename = canRenameIn(name, daemon);
        if (rename.ok) continue;
        blocked.push({ log, who: daemon.name, reason: `it cannot be rotated to ${log.path}.1: ${rename.reason ?? 'not writable'}`, blocker: rename.blocker ?? dirname(log.path), rotation: true });
        break;
      }
    }
    // AUTO logs are files the daemon makes in childlogdir, with names of its own choosing
    const autoLogged = ctx.facts.processes.filter((p) => p.stdout_logfile === 'AUTO' || (!p.redirect_stderr && p.stderr_logfile === 'AUTO'));
    const dir = ctx.facts.childlogdir;
    if (autoLogged.length > 0 && existsSync(dir)) {
      const e = canCreateIn(dir, daemon);
      if (!e.ok) {
        const log: LogTarget = { path: dir, process: autoLogged[0] ?? null, channel: 'stdout', user: ctx.config?.supervisord.user ?? null, backups: 0 };
        blocked.push({ log, who: daemon.name, reason: e.reason ?? 'not writable', blocker: e.blocker ?? dir, autoDir: true });
      }
    }
    if (blocked.length === 0) return ok(this.id, `${ctx.facts.logs.length} log file(s) writable by the daemon's user (${daemon.name}: ${ctx.daemonUserFrom})`);
    const ownedDirs = new Set(ctx.manifest?.dirs.map((d) => d.path) ?? []);
    const isRoot = ctx.caller.uid === 0;
    // What repairs each one: a missing file is created for the daemon's user (as install
    // does), a file is given to its user, a directory install made gets its mode back.
    const remedy = (b: Blocked): { kind: 'create' | 'chown' | 'chmod' | 'manual'; text: string } => {
      if (b.rotation) {
        const d = dirname(b.log.path);
        const noBackups = `or set ${backupsOption(b.log)}=0 (no backups: the file is emptied at maxbytes)`;
        // in a sticky directory only a file's owner may rename it
        if (b.blocker !== d) return { kind: 'manual', text: `chown ${b.who} ${b.blocker}, ${noBackups}` };
        if (isSharedDir(d)) return { kind: 'manual', text: `move the log to a directory of its own that ${b.who} owns (mkdir ${d}/NAME && chown ${b.who} ${d}/NAME; never chown ${d} itself), ${noBackups}` };
        return { kind: 'manual', text: `let ${b.who} create files in ${d} (chown ${b.who} ${d}), ${noBackups}` };
      }
      if (b.autoDir) {
        if (isSharedDir(b.log.path)) return { kind: 'manual', text: `set childlogdir= to a directory of its own that ${b.who} owns (never chown ${b.log.path} itself)` };
        return { kind: 'manual', text: `let ${b.who} write ${b.log.path} (chown ${b.who} ${b.log.path}), or set childlogdir= to a directory it may write` };
      }
      const st = lstatOrNull(b.log.path);
      if (st && !st.isFile()) {
        // a chown would follow a link planted in a directory the program's user owns (to a root-only file, /dev/null)
        return { kind: 'manual', text: `${b.log.path} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}: point the log at a regular file` };
      }
      if (b.blocker === b.log.path) return { kind: 'chown', text: `chown ${b.who} ${b.log.path} && chmod u+w ${b.log.path}` };
      if (b.blocker === dirname(b.log.path) && !existsSync(b.log.path) && canAccess(b.blocker, daemon, 'x').ok) {
        return { kind: 'create', text: `install -m 0640 -o ${b.who} /dev/null ${b.log.path}` };
      }
      if (ownedDirs.has(b.blocker)) return { kind: 'chmod', text: `chmod 0755 ${b.blocker}` };
      return { kind: 'manual', text: `let ${b.who} through ${b.blocker} (chmod, or move the log)` };
    };
    // a rotation that cannot work is left to the user, and does not keep the program from starting
    const startable = blocked.filter((b) => !b.rotation);
    // a unit that starts the daemon as another user gives the directories to that one at every start
    const gap = unitUserGap(ctx);
    const undone = gap !== null && gap.wants !== null;
    const fixable = isRoot && startable.length > 0 && startable.every((b) => remedy(b).kind !== 'manual');
    const describe = (b: Blocked): string =>
      b.autoDir
        ? `the AUTO logs of ${autoLogged.map((p) => p.name).join(', ')} in childlogdir ${b.log.path}: ${b.reason}`
        : `${b.log.process ? `${b.log.process.name} ${b.log.channel}` : 'main log'} ${b.log.path}: ${b.reason}`;
    return {
      id: this.id,
      status: 'problem',
      found: blocked.map(describe).join('; '),
      why: `the daemon opens the logs as its user (${daemon.name}: ${ctx.daemonUserFrom}): ${[
        startable.length > 0 ? 'a program whose log it cannot open is not started (BACKOFF, then FATAL: unknown error making dispatchers), and a main log it cannot open stops the daemon' : null,
        startable.length < blocked.length ? 'a log it cannot rotate grows past its maxbytes (Supervisor closes it with a traceback)' : null,
      ]
        .filter(Boolean)
        .join('; ')}`,
      fix: gap && undone
        ? unitUserFix(gap, ctx.configFile ?? '', { dirs: '', option: 'LogsDirectory=' })
        : [...new Set(blocked.map((b) => remedy(b).text))].join('; '),
      apply: fixable && !undone
        ? () => {
            const done: string[] = [];
            for (const b of startable) {
              const r = remedy(b);
              if (r.kind === 'chmod') {
                if (!done.includes(`set ${b.blocker} to 0755`)) {
                  changeDirectory(b.blocker, -1, -1, 0o755);
                  done.push(`set ${b.blocker} to 0755`);
                }
                // the directory may also have hidden a missing file
                if (existsSync(b.log.path)) continue;
              }
              refuseLinkOfOthers(b.log.path);
              giveFile(b.log.path, daemon.uid, daemon.gid);
              done.push(`gave ${b.log.path} to ${daemon.name}`);
            }
            return done.join('; ');
          }
        : undefined,
    };
  },
};
