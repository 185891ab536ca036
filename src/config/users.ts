// User and group lookups for user=, chown= and socket_owner=. Supervisor asks
// the C library (NSS); we read /etc/passwd and /etc/group, and fall back to
// `getent` only for names not found there (LDAP, sssd), so the common case
// costs no process.
import { readFileSync } from 'node:fs';

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

let passwdCache: UserEntry[] | null = null;
let groupCache: GroupEntry[] | null = null;

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch {
    return [];
  }
}

function parsePasswd(line: string): UserEntry | null {
  const f = line.split(':');
  if (f.length < 7 || f[0] === '' || f[0].startsWith('#')) return null;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return null;
  return { name: f[0], uid, gid, home: f[5], shell: f[6] };
}

function parseGroup(line: string): GroupEntry | null {
  const f = line.split(':');
  if (f.length < 4 || f[0] === '' || f[0].startsWith('#')) return null;
  const gid = Number(f[2]);
  if (!Number.isInteger(gid)) return null;
  return { name: f[0], gid, members: f[3] ? f[3].split(',').filter(Boolean) : [] };
}

function passwd(): UserEntry[] {
  passwdCache ??= readLines('/etc/passwd').map(parsePasswd).filter((u): u is UserEntry => u !== null);
  return passwdCache;
}

function groups(): GroupEntry[] {
  groupCache ??= readLines('/etc/group').map(parseGroup).filter((g): g is GroupEntry => g !== null);
  return groupCache;
}

/** Forget cached databases (after a test creates a user, or on config reload). */
export function resetUserCache(): void {
  passwdCache = null;
  groupCache = null;
  getentCache.clear();
}

// Misses are remembered too: a config naming an unknown user is read again
// on every reload, and each getent is a process.
const getentCache = new Map<string, string | null>();

function getent(db: 'passwd' | 'group', key: string): string | null {
  if (!key || key.includes('\n') || key.includes('\0') || key.startsWith('-')) return null;
  const cacheKey = `${db}\0${key}`;
  const cached = getentCache.get(cacheKey);
  if (cached !== undefined) return cached;
  // Required here, not at the top: the ctl reads configs on every start and rarely needs it.
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync('getent', [db, key], { encoding: 'utf8', timeout: 5000 });
  const line = r.status === 0 && r.stdout ? r.stdout.split('\n')[0] : null;
  getentCache.set(cacheKey, line);
  return line;
}

export function lookupUser(name: string): UserEntry | null {
  const u = passwd().find((x) => x.name === name);
  if (u) return u;
  const line = getent('passwd', name);
  return line ? parsePasswd(line) : null;
}

export function lookupUserById(uid: number): UserEntry | null {
  const u = passwd().find((x) => x.uid === uid);
  if (u) return u;
  const line = getent('passwd', String(uid));
  return line ? parsePasswd(line) : null;
}

export function lookupGroup(name: string): GroupEntry | null {
  const g = groups().find((x) => x.name === name);
  if (g) return g;
  const line = getent('group', name);
  return line ? parseGroup(line) : null;
}

export function lookupGroupById(gid: number): GroupEntry | null {
  const g = groups().find((x) => x.gid === gid);
  if (g) return g;
  const line = getent('group', String(gid));
  return line ? parseGroup(line) : null;
}

/** The user's primary group plus every group that lists the user (initgroups). */
export function supplementaryGroups(user: UserEntry): number[] {
  const out = new Set<number>([user.gid]);
  for (const g of groups()) if (g.members.includes(user.name)) out.add(g.gid);
  return [...out];
}
