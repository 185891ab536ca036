// The pidfile: `<pid>\n`, written after daemonizing (options.write_pidfile).
// Unlike Supervisor, a stale file (its pid is not running) is reported and
// replaced, and at exit the file is removed only if it still names us.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { processRuns } from './proc-stat';

export type PidfileStatus = { kind: 'absent' } | { kind: 'stale'; pid: number | null } | { kind: 'live'; pid: number };

/** Linux's PID_MAX_LIMIT: no pid is larger (pid_max may be set lower, never higher). */
const PID_MAX = 4194304;

/** The pid a pidfile's text names: decimal digits between blanks, 1 to PID_MAX; else null (0 names no process). */
export function pidfilePid(text: string): number | null {
  const m = /^\s*(\d{1,7})\s*$/.exec(text);
  const pid = m ? Number(m[1]) : 0;
  return pid >= 1 && pid <= PID_MAX ? pid : null;
}

export function inspectPidfile(path: string): PidfileStatus {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { kind: 'absent' };
  }
  const pid = pidfilePid(text);
  if (pid === null || pid === process.pid || !processRuns(pid)) return { kind: 'stale', pid };
  return { kind: 'live', pid };
}

export function writePidfile(path: string): void {
  writeFileSync(path, `${process.pid}\n`);
}

/** Remove the pidfile if it still holds our pid. */
export function removePidfileIfOurs(path: string): boolean {
  try {
    if (readFileSync(path, 'utf8').trim() !== String(process.pid)) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
