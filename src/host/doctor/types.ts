// A doctor check looks at one failure class. It reports what it found, why
// that matters and what fixes it; when the fix is safe to apply without
// asking (it cannot lose data or stop programs), it also carries `apply`.
import type { DoctorContext } from './context';
import type { UnixServerConfig } from '../../config/model';

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

export function isFinding(x: UnixServerConfig | Finding): x is Finding {
  return 'status' in x;
}
