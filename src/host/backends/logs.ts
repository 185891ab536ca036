// The last lines of the daemon's own logs, for init systems without a journal.
import { existsSync, readFileSync } from 'node:fs';
import { lastLines } from '../run';

export function tailFile(path: string, n = 20): string | null {
  if (!existsSync(path)) return null;
  try {
    const text = readFileSync(path, 'utf8');
    return text.trim() ? `$ tail -n ${n} ${path}\n${lastLines(text, n)}` : null;
  } catch {
    return null;
  }
}

/** The daemon's stdout/stderr file kept by the init script. */
export function outputLogPath(logDir: string): string {
  return `${logDir}/tsv.out`;
}
