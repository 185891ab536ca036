// Which config file is used when -c is not given: Supervisor's own search
// path, in Supervisor's order, with the user's own (what `tsv install --user`
// writes) and /etc/tsv/supervisord.conf (what `tsv install` writes) before
// the system-wide places. A config next to the
// program or in the current directory still comes first, as in Supervisor:
// a project's own supervisord.conf is the one its supervisorctl means.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * The directory Supervisor calls `here` for the search: two levels above the
 * program. Python sees the script's path; a binary started from PATH sees a
 * bare name, which is looked up in PATH the way the shell found it.
 */
function programHere(argv0: string): string {
  let program = argv0;
  if (!program.includes('/')) {
    const hit = (process.env.PATH ?? '').split(':').map((d) => join(d || '.', program)).find((p) => existsSync(p));
    program = hit ?? process.execPath;
  }
  return dirname(dirname(resolve(program)));
}

/** What the daemon, config check and doctor say of `-c ''`: Supervisor does not search then, and neither do they. */
export const EMPTY_CONFIG_FLAG = '-c/--configuration names no file (an empty value): give the path of the config file';

/** Where `tsv install --user` keeps the config: $XDG_CONFIG_HOME/tsv (~/.config/tsv). */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'tsv');
}

export function configSearchPaths(argv0: string = process.argv[1] ?? process.execPath, env: NodeJS.ProcessEnv = process.env): string[] {
  const here = programHere(argv0);
  return [
    join(here, 'etc', 'supervisord.conf'),
    join(here, 'supervisord.conf'),
    'supervisord.conf',
    'etc/supervisord.conf',
    join(userConfigDir(env), 'supervisord.conf'),
    '/etc/tsv/supervisord.conf',
    '/etc/supervisord.conf',
    '/etc/supervisor/supervisord.conf',
  ];
}

/** The first existing file of the search path, or null. */
export function findConfigFile(argv0?: string): string | null {
  for (const p of configSearchPaths(argv0)) if (existsSync(p)) return p;
  return null;
}
