// Supervisor's console scripts, answered by the same binary through links.
import { runDaemon } from '../daemon/cli';
import { runCtl } from '../ctl/cli';
import { printSample } from '../config/sample';

export type Personality = 'supervisord' | 'supervisorctl' | 'echo_supervisord_conf';

export function personalityFor(name: string): Personality | null {
  const n = name.replace(/\.(c?js|exe)$/, '');
  if (n === 'supervisord' || n === 'supervisorctl' || n === 'echo_supervisord_conf') return n;
  return null;
}

export async function runPersonality(p: Personality, args: string[]): Promise<number> {
  switch (p) {
    case 'supervisord':
      return runDaemon(args, 'supervisord');
    case 'supervisorctl':
      return runCtl(args, 'supervisorctl');
    case 'echo_supervisord_conf':
      printSample();
      return 0;
  }
}
