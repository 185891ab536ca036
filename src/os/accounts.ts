// Users and groups as the host sees them: who a program runs as and which
// groups a user is in.
import { lookupGroup, lookupGroupById, lookupUser, lookupUserById, resetUserCache, supplementaryGroups } from '../config/users';

export interface Principal {
  name: string;
  uid: number;
  gid: number;
  groups: number[];
}

export const ROOT: Principal = { name: 'root', uid: 0, gid: 0, groups: [0] };

/** A user by name or number, with the groups initgroups(3) would give it. */
export function principalFor(user: string | null): Principal | null {
  if (user === null) return ROOT;
  resetUserCache();
  const entry = /^\d+$/.test(user) ? lookupUserById(Number(user)) : lookupUser(user);
  if (!entry) return null;
  return { name: entry.name, uid: entry.uid, gid: entry.gid, groups: supplementaryGroups(entry) };
}

/** The process running doctor, with the groups its session really has (not what /etc/group says now). */
export function callerPrincipal(): Principal {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const groups = process.getgroups?.() ?? [gid];
  const entry = lookupUserById(uid);
  return { name: entry?.name ?? String(uid), uid, gid, groups: [...new Set([gid, ...groups])] };
}

export function groupExists(name: string): boolean {
  resetUserCache();
  return lookupGroup(name) !== null;
}

export function groupGid(name: string): number | null {
  resetUserCache();
  return lookupGroup(name)?.gid ?? null;
}

export function groupMembers(name: string): string[] {
  resetUserCache();
  return lookupGroup(name)?.members ?? [];
}

export function userName(uid: number): string {
  return lookupUserById(uid)?.name ?? String(uid);
}

export function groupName(gid: number): string {
  return lookupGroupById(gid)?.name ?? String(gid);
}
