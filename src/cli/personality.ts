// Supervisor's console scripts, answered by the same binary through links
// (supervisorctl is the ctl: src/cli/route.ts sends it there). The daemon is
// required when chosen, not at start-up.
import { guardOutputStreams } from './output-errors';

const daemonCli = (): typeof import('../daemon/cli') => require('../daemon/cli') as typeof import('../daemon/cli');
const configSample = (): typeof import('../config/sample') => require('../config/sample') as typeof import('../config/sample');

export type Personality = 'supervisord' | 'echo_supervisord_conf';

/** `name` as invokedName() gives it. */
export function personalityFor(name: string): Personality | null {
  return name === 'supervisord' || name === 'echo_supervisord_conf' ? name : null;
}

export async function runPersonality(p: Personality, args: string[]): Promise<number> {
  switch (p) {
    case 'supervisord':
      return daemonCli().runDaemon(args, 'supervisord');
    case 'echo_supervisord_conf':
      guardOutputStreams();
      configSample().printSample();
      return 0;
  }
}
