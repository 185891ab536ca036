// Supervisor's console scripts, answered by the same binary through links.
// The daemon and the ctl are required when chosen, not at start-up.
const daemonCli = (): typeof import('../daemon/cli') => require('../daemon/cli') as typeof import('../daemon/cli');
const ctlCli = (): typeof import('../ctl/cli') => require('../ctl/cli') as typeof import('../ctl/cli');
const configSample = (): typeof import('../config/sample') => require('../config/sample') as typeof import('../config/sample');

export type Personality = 'supervisord' | 'supervisorctl' | 'echo_supervisord_conf';

export function personalityFor(name: string): Personality | null {
  const n = name.replace(/\.(c?js|exe)$/, '');
  if (n === 'supervisord' || n === 'supervisorctl' || n === 'echo_supervisord_conf') return n;
  return null;
}

export async function runPersonality(p: Personality, args: string[]): Promise<number> {
  switch (p) {
    case 'supervisord':
      return daemonCli().runDaemon(args, 'supervisord');
    case 'supervisorctl':
      return ctlCli().runCtl(args, 'supervisorctl');
    case 'echo_supervisord_conf':
      configSample().printSample();
      return 0;
  }
}
