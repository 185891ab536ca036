// Could this user read, write or execute that path? Answered from the mode
// bits, owners and the user's groups (what the kernel checks), including
// search permission on every directory above it, so doctor can explain a
// failure for a user other than the one running it.
import { accessSync, chmodSync, chownSync, closeSync, constants, fstatSync, lchownSync, lstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { Principal } from './accounts';
import { groupName, userName } from './accounts';

export type AccessMode = 'r' | 'w' | 'x';

export interface AccessResult {
  ok: boolean;
  /** why not: the path that blocks and its owner/mode */
  reason?: string;
  /** the path that blocks */
  blocker?: string;
}

function bits(mode: AccessMode): number {
  return mode === 'r' ? 4 : mode === 'w' ? 2 : 1;
}

export function describeStat(path: string, st: Stats): string {
  return `${path} (${userName(st.uid)}:${groupName(st.gid)} ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
}

function allowed(st: Stats, who: Principal, mode: AccessMode): boolean {
  const b = bits(mode);
  if (who.uid === 0) {
    // root passes every check but execute, which needs some x bit on a file.
    return mode !== 'x' || st.isDirectory() || (st.mode & 0o111) !== 0;
  }
  if (st.uid === who.uid) return ((st.mode >> 6) & b) === b;
  if (who.groups.includes(st.gid) || st.gid === who.gid) return ((st.mode >> 3) & b) === b;
  return (st.mode & b) === b;
}

/**
 * The first symbolic link on the way to `path` (the path itself included)
 * that someone other than root owns: root must not create or chown anything
 * through it, as it may lead anywhere its owner likes. null when there is none.
 */
export function linkOfOthers(path: string): string | null {
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const p = `/${parts.slice(0, i).join('/')}`;
    const st = lstatOrNull(p);
    if (!st) return null;
    if (st.isSymbolicLink() && st.uid !== 0) return p;
  }
  return null;
}

/** Refuses (throws) when linkOfOthers finds a link on the way to `path`: what root would make there could land anywhere. */
export function refuseLinkOfOthers(path: string): void {
  const link = linkOfOthers(path);
  if (link) throw new Error(`${link} is a symbolic link ${userName(lstatSync(link).uid)} owns: nothing is created through it; make ${path} by hand`);
}

/**
 * changeOwnerAndMode for the directory at `path` now (-1 keeps the owner or
 * group, null the mode): its parent may be writable by others, so anything
 * else put in its place since, a link above all, is refused, not followed.
 */
export function changeDirectory(path: string, uid: number, gid: number, mode: number | null): void {
  const seen = lstatSync(path);
  if (!seen.isDirectory()) throw new Error(`${path} is no longer a directory; left as it is`);
  changeOwnerAndMode(path, seen, uid, gid, mode ?? seen.mode & 0o7777);
}

/** Directories many users and services share: none of them is to be given to one daemon's user. */
export function isSharedDir(dir: string): boolean {
  if (['/', '/tmp', '/var/tmp', '/run', '/var/run', '/var/log', '/var', '/home', '/etc', '/usr', '/opt', '/srv', '/dev/shm', '/var/lib'].includes(dir)) return true;
  const st = statOrNull(dir);
  return st !== null && (st.mode & 0o1000) !== 0;
}

/** A directory, a link to one included; false for anything else or nothing. */
export function isDirectory(path: string): boolean {
  return statOrNull(path)?.isDirectory() ?? false;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Search permission on every directory from / down to (not including) `path`. */
export function canReach(path: string, who: Principal): AccessResult {
  const chain: string[] = [];
  for (let d = dirname(path); ; d = dirname(d)) {
    chain.unshift(d);
    if (d === dirname(d)) break;
  }
  for (const d of chain) {
    const st = statOrNull(d);
    if (!st) return { ok: false, reason: `${d} does not exist`, blocker: d };
    if (!allowed(st, who, 'x')) return { ok: false, reason: `${who.name} cannot enter ${describeStat(d, st)}`, blocker: d };
  }
  return { ok: true };
}

export function canAccess(path: string, who: Principal, mode: AccessMode): AccessResult {
  const reach = canReach(path, who);
  if (!reach.ok) return reach;
  const st = statOrNull(path);
  if (!st) return { ok: false, reason: `${path} does not exist`, blocker: path };
  if (!allowed(st, who, mode)) {
    const verb = mode === 'r' ? 'read' : mode === 'w' ? 'write' : 'execute';
    return { ok: false, reason: `${who.name} cannot ${verb} ${describeStat(path, st)}`, blocker: path };
  }
  return { ok: true };
}

/**
 * A file that may not exist yet, opened as the daemon opens its logs and
 * pidfile (with O_CREAT): writable if it exists, else creatable in its directory.
 */
export function canWriteOrCreate(path: string, who: Principal): AccessResult {
  const refused = stickyOpenRefusal(path, who.uid);
  if (refused) return { ok: false, reason: refused, blocker: path };
  const st = statOrNull(path);
  if (st) return canAccess(path, who, 'w');
  return canCreateIn(dirname(path), who);
}

/** For an EACCES the mode bits do not explain: the kernel's sticky-directory rule that refused the open, or null. */
export function explainOpenRefusal(err: NodeJS.ErrnoException, path: string): string | null {
  if (err.code !== 'EACCES' || !process.geteuid) return null;
  return stickyOpenRefusal(path, process.geteuid());
}

/** Linux's fs.protected_NAME sysctl; 0 where there is none (macOS, an old kernel). */
function protectedLevel(name: 'regular' | 'fifos' | 'symlinks'): number {
  try {
    return Number(readFileSync(`/proc/sys/fs/protected_${name}`, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/**
 * Why the kernel refuses `uid`, root included, an open with O_CREAT of the
 * existing `path`, or null. With fs.protected_regular (systemd sets 1) such an
 * open of another user's file in a sticky directory neither of them owns
 * fails with EACCES, so a log in /tmp left by a daemon that ran as nobody
 * stops root's; fs.protected_symlinks likewise keeps anyone from following
 * another user's link in a sticky world-writable directory. The mode bits
 * say nothing of either, which is why "root: permission denied" surprises.
 */
export function stickyOpenRefusal(path: string, uid: number): string | null {
  const dir = dirname(path);
  const f = lstatOrNull(path);
  const d = statOrNull(dir);
  if (!f || !d || (d.mode & 0o1000) === 0 || f.uid === d.uid || f.uid === uid) return null;
  const where = `the sticky directory ${describeStat(dir, d)}`;
  if (f.isSymbolicLink()) {
    const level = protectedLevel('symlinks');
    if (level < 1 || (d.mode & 0o002) === 0) return null;
    return `${path} is a symbolic link ${userName(f.uid)} owns in ${where}: the kernel follows it for no other user, root included (fs.protected_symlinks=${level})`;
  }
  const kind = f.isFile() ? 'regular' : f.isFIFO() ? 'fifos' : null;
  if (kind === null) return null;
  const level = protectedLevel(kind);
  if (!((level >= 1 && (d.mode & 0o002) !== 0) || (level >= 2 && (d.mode & 0o020) !== 0))) return null;
  return `${describeStat(path, f)} is ${userName(f.uid)}'s ${kind === 'regular' ? 'file' : 'FIFO'} in ${where}: the kernel lets no other user, root included, open it to write with O_CREAT (fs.protected_${kind}=${level})`;
}

/** New names in a directory: search and write permission on it. */
export function canCreateIn(dir: string, who: Principal): AccessResult {
  const reach = canAccess(dir, who, 'x');
  if (!reach.ok) return reach;
  return canAccess(dir, who, 'w');
}

/**
 * Renaming an existing file to a new name beside it, as a log rotation does
 * (NAME to NAME.1), or removing it: a directory `who` may create in, and in
 * a sticky one (/tmp) a file or a directory `who` owns.
 */
export function canRenameIn(path: string, who: Principal): AccessResult {
  const dir = dirname(path);
  const create = canCreateIn(dir, who);
  if (!create.ok || who.uid === 0) return create;
  const d = statOrNull(dir);
  // the name itself is renamed: a link, not what it points at
  const f = lstatOrNull(path);
  if (d && f && (d.mode & 0o1000) !== 0 && d.uid !== who.uid && f.uid !== who.uid) {
    return { ok: false, reason: `${who.name} may not rename ${describeStat(path, f)} in the sticky directory ${describeStat(dir, d)}`, blocker: path };
  }
  return create;
}

/** The path itself (a link is not followed); null when there is nothing there. */
export function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/**
 * What stops `mkdir -p dir`: the nearest existing path at or above `dir`
 * when it is not a directory (a file where a directory should be, ENOTDIR or
 * EEXIST); null when mkdir -p could make it.
 */
export function notADirectory(dir: string): { path: string; is: string } | null {
  for (let d = dir; ; d = dirname(d)) {
    const st = statOrNull(d);
    if (st) return st.isDirectory() ? null : { path: d, is: st.isFile() ? 'a file' : 'not a directory' };
    if (d === dirname(d)) return null;
  }
}

/** May this process execute `path` (access(2), X_OK)? */
export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Linux's O_PATH (the same number on x86, arm and arm64); Node does not export it */
const O_PATH = 0o10000000;

/**
 * chown and chmod of the very file that `seen` describes, never of a link or
 * of another file put at `path` since it was looked at (the directory may be
 * another user's, who could swap the name between the look and the change).
 * On Linux through a descriptor opened without following links; elsewhere
 * by name, after looking again. Throws when the name no longer holds it.
 */
export function changeOwnerAndMode(path: string, seen: Stats, uid: number, gid: number, mode: number): void {
  const same = (st: Stats): void => {
    if (st.dev !== seen.dev || st.ino !== seen.ino || st.isSymbolicLink()) throw new Error(`${path} changed since it was looked at (now ${describeStat(path, st)}); left as it is`);
  };
  if (process.platform !== 'linux') {
    same(lstatSync(path));
    lchownSync(path, uid, gid);
    chmodSync(path, mode);
    return;
  }
  const fd = openSync(path, O_PATH | constants.O_NOFOLLOW);
  try {
    same(fstatSync(fd));
    // the descriptor's /proc link leads to the file it holds, whatever has the name now
    chownSync(`/proc/self/fd/${fd}`, uid, gid);
    chmodSync(`/proc/self/fd/${fd}`, mode);
  } finally {
    closeSync(fd);
  }
}
