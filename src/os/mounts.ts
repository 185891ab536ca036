// Which mount a path lies on, from /proc/self/mountinfo: for a noexec file
// system under a program or the addon cache, and for the logs' file system
// in doctor.
import { readFileSync, realpathSync } from 'node:fs';

export interface Mount {
  /** where it is mounted */
  point: string;
  /** its per-mount options (ro, noexec, nosuid, …) */
  options: string[];
}

/** The mount holding `path`, or null when /proc or the path cannot be read. */
export function mountOf(path: string): Mount | null {
  let real: string;
  let table: string;
  try {
    real = realpathSync(path);
    table = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  let best: Mount | null = null;
  for (const line of table.split('\n')) {
    const f = line.split(' ');
    if (f.length < 6) continue;
    // field 5 is the mount point, with space, tab, newline and backslash octal-escaped
    const point = f[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const inside = point === '/' || real === point || real.startsWith(point + '/');
    // the last of equally long matches is the one mounted on top
    if (inside && (!best || point.length >= best.point.length)) best = { point, options: f[5].split(',') };
  }
  return best;
}
