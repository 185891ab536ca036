// A doctor check looks at one failure class. It reports what it found, why
// that matters and what fixes it; when the fix is safe to apply without
// asking (it cannot lose data or stop programs), it also carries `apply`.
import type { DoctorContext } from './context';
import type { UnixServerConfig } from '../../config/model';
import { canRenameIn } from '../../os/access';

export type Status = 'ok' | 'problem' | 'info' | 'skipped';

export interface Finding {
  id: string;
  status: Status;
  /** what it found (facts, paths, owners, modes) */
  found: string;
  /** why it matters */
  why?: string;
  /** how to fix it, in words and commands */
  fix?: string;
  /** what the problem is, for --fix's rule of one try per problem, when `found` also holds what changes from try to try (a journal's times); default: found */
  subject?: string;
  /** a safe fix --fix applies; returns what it did */
  apply?: (ctx: DoctorContext) => Promise<string> | string;
}

export interface Check {
  id: string;
  /** one line: the failure class */
  title: string;
  run(ctx: DoctorContext): Finding | Promise<Finding>;
}

export function ok(id: string, found: string): Finding {
  return { id, status: 'ok', found };
}

export function skipped(id: string, found: string): Finding {
  return { id, status: 'skipped', found };
}

/**
 * The [unix_http_server] the socket checks look at, or the finding that ends
 * such a check first: no readable config (skipped) or no unix server (ok).
 */
export function configuredSocket(id: string, ctx: DoctorContext): UnixServerConfig | Finding {
  if (!ctx.facts) return skipped(id, 'no readable config');
  return ctx.facts.unix ?? ok(id, 'no [unix_http_server]');
}

/** The checks that need to see the socket's file skip it when the caller may not (socket-eacces says why). */
export function socketHiddenFinding(id: string, file: string, ctx: DoctorContext): Finding | null {
  return ctx.socketHidden ? skipped(id, `${file} cannot be looked at: ${ctx.socketHidden} (see socket-eacces)`) : null;
}

/**
 * Why the daemon could not start on this socket path, when the file there is
 * another user's socket the caller may not connect to (so cannot tell if
 * anything listens), no daemon runs on this config, and the daemon's user may
 * not remove it (a root-owned one left in sticky /tmp); null otherwise. Its
 * owner or root can tell whether it is stale: stale-socket says so, and the
 * checks that would fix its mode or the caller's access skip it.
 */
export function othersSocket(ctx: DoctorContext, file: string): string | null {
  const st = ctx.socketStat;
  const probe = ctx.socketProbe;
  const daemon = ctx.daemonUser;
  if (!st?.isSocket() || !probe || probe.ok || !daemon || ctx.caller.uid === 0) return null;
  if (probe.code !== 'EACCES' && probe.code !== 'EPERM') return null;
  if (ctx.daemons.length > 0 || ctx.daemonsUnknown.length > 0 || st.uid === daemon.uid || st.uid === ctx.caller.uid) return null;
  const remove = canRenameIn(file, daemon);
  return remove.ok ? null : (remove.reason ?? 'not removable');
}

export function isFinding(x: UnixServerConfig | Finding): x is Finding {
  return 'status' in x;
}
