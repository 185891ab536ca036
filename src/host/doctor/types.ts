// A doctor check looks at one failure class. It reports what it found, why
// that matters and what fixes it; when the fix is safe to apply without
// asking (it cannot lose data or stop programs), it also carries `apply`.
import type { DoctorContext } from './context';

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
