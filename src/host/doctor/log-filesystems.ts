// The file systems that hold the logs a config names (its log directories
// and childlogdir), one entry each, with the directories on it: what the
// log-disk-full and log-fs-readonly checks look at.
import { existsSync, readdirSync, statSync, statfsSync, type StatsFs } from 'node:fs';
import { join } from 'node:path';
import { logDirs, type ConfigFacts } from '../config-facts';
import { mountOf } from '../../os/mounts';

export interface LogFilesystem {
  /** where it is mounted (from /proc/self/mountinfo; the first directory when that cannot be read) */
  mount: string;
  /** the log directories on it, as the config names them */
  dirs: string[];
  space: StatsFs;
}

export function logFilesystems(facts: ConfigFacts): LogFilesystem[] {
  const byDevice = new Map<number, LogFilesystem>();
  for (const dir of logDirs(facts)) {
    if (!existsSync(dir)) continue; // log-dir-missing
    let dev: number;
    let space: StatsFs;
    try {
      dev = statSync(dir).dev;
      space = statfsSync(dir);
    } catch {
      continue;
    }
    const known = byDevice.get(dev);
    if (known) known.dirs.push(dir);
    else byDevice.set(dev, { mount: mountOf(dir)?.point ?? dir, dirs: [dir], space });
  }
  return [...byDevice.values()];
}

/** The `n` largest files directly in `dirs` (what a full log file system is usually full of). */
export function largestFiles(dirs: string[], n = 3): { path: string; size: number }[] {
  const files: { path: string; size: number }[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        const st = statSync(join(dir, name));
        if (st.isFile()) files.push({ path: join(dir, name), size: st.size });
      } catch {
        // gone meanwhile
      }
    }
  }
  return files.sort((a, b) => b.size - a.size).slice(0, n);
}
