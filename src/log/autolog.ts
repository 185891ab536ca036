// AUTO child logs: a fresh mkstemp-style file per channel at group-add time
// (options.get_autochildlog_name) and the purge of old ones at start and
// reload unless nocleanup (options.clear_autochildlogdir).
import { closeSync, openSync, readdirSync, unlinkSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';

const CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_';

/**
 * As Python's tempfile names them: from a plain PRNG (random.Random there,
 * Math.random here); O_EXCL, not the name, keeps two files apart, and
 * node:crypto would cost the daemon ~2 MiB resident for eight letters.
 */
function randomName(n = 8): string {
  let s = '';
  for (let i = 0; i < n; i++) s += CHARS[Math.floor(Math.random() * CHARS.length)];
  return s;
}

/**
 * An AUTO log that could not be made (childlogdir missing or not writable by
 * the daemon's user, an identifier with a `/`). Supervisor dies of it with a
 * traceback; this names the file, the program and where the name came from.
 */
export class AutoLogError extends Error {
  constructor(
    readonly path: string,
    readonly program: string,
    readonly channel: 'stdout' | 'stderr',
    readonly code: string,
  ) {
    super(
      `could not create ${path}, the AUTO ${channel}_logfile of program ${program} ([supervisord] childlogdir, identifier): ${code}`,
    );
    this.name = 'AutoLogError';
  }

  /** its message says all there is to say: logged without a stack where it ends a request */
  readonly explained = true;
}

/** Creates `<name>-<channel>---<identifier>-XXXXXXXX.log` (mode 0600) and returns its path. */
export function autoChildLogName(dir: string, name: string, identifier: string, channel: 'stdout' | 'stderr'): string {
  const prefix = `${name}-${channel}---${identifier}-`;
  for (let attempt = 0; ; attempt++) {
    // absolute, as mkstemp's: a daemon that changes directory (directory=, -d) after making it still finds it
    const p = resolve(dir, `${prefix}${randomName()}.log`);
    try {
      const fd = openSync(p, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
      closeSync(fd);
      return p;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      if (code !== 'EEXIST' || attempt > 100) throw new AutoLogError(p, name, channel, code);
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Python re.match: anchored at the start only. */
export function autoLogPattern(identifier: string): RegExp {
  return new RegExp(`^.+?---${escapeRegExp(identifier)}-\\S+\\.log\\.{0,1}\\d{0,4}`);
}

export interface PurgeLogger {
  warn(msg: string): void;
}

export function clearAutoChildLogDir(dir: string, identifier: string, logger: PurgeLogger): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    logger.warn('Could not clear childlog dir');
    return;
  }
  const re = autoLogPattern(identifier);
  for (const n of names) {
    if (!re.test(n)) continue;
    const p = join(dir, n);
    try {
      unlinkSync(p);
    } catch {
      logger.warn(`Failed to clean up '${p}'`);
    }
  }
}
