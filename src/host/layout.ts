// Where things live on a host tsv is installed on. These are the defaults
// the generated config uses; once a config exists, the paths it names win
// (see config-facts.ts).
import { userConfigDir } from '../config/search';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HostError, SOCKET_GROUP, type Scope } from './types';

export interface HostLayout {
  scope: Scope;
  configDir: string;
  configFile: string;
  /** [include] files = <includeDir>/*.conf */
  includeDir: string;
  runDir: string;
  socket: string;
  pidfile: string;
  logDir: string;
  mainLog: string;
  /** holds the install manifest */
  stateDir: string;
  manifest: string;
  /** group that may use the socket; null for a per-user install */
  group: string | null;
  socketMode: number;
  /** where the system keeps service definitions for this scope */
  platform: NodeJS.Platform;
  /**
   * tsv's Tab completion for bash, where bash-completion looks for a
   * command's file at its first Tab (it searches XDG_DATA_DIRS, /usr/local
   * first, and the user's XDG_DATA_HOME); null on macOS, whose bash is not
   * bash-completion's
   */
  bashCompletion: string | null;
}

export function hostLayout(scope: Scope, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): HostLayout {
  if (scope === 'system') {
    const darwin = platform === 'darwin';
    const runDir = darwin ? '/var/run/tsv' : '/run/tsv';
    const stateDir = darwin ? '/var/db/tsv' : '/var/lib/tsv';
    return {
      scope,
      configDir: '/etc/tsv',
      configFile: '/etc/tsv/supervisord.conf',
      includeDir: '/etc/tsv/conf.d',
      runDir,
      socket: `${runDir}/tsv.sock`,
      pidfile: `${runDir}/tsv.pid`,
      logDir: '/var/log/tsv',
      mainLog: '/var/log/tsv/tsv.log',
      stateDir,
      manifest: `${stateDir}/install-manifest.json`,
      group: SOCKET_GROUP,
      socketMode: 0o770,
      platform,
      bashCompletion: darwin ? null : '/usr/local/share/bash-completion/completions/tsv',
    };
  }
  const home = env.HOME || homedir();
  const stateHome = env.XDG_STATE_HOME || join(home, '.local', 'state');
  const stateDir = join(stateHome, 'tsv');
  let runDir: string;
  let logDir: string;
  if (platform === 'darwin') {
    runDir = join(stateDir, 'run');
    logDir = join(home, 'Library', 'Logs', 'tsv');
  } else {
    if (!env.XDG_RUNTIME_DIR) {
      throw new HostError('XDG_RUNTIME_DIR is not set, so there is no per-user place for the control socket', 'log in through a session, or set XDG_RUNTIME_DIR=/run/user/$(id -u)');
    }
    runDir = join(env.XDG_RUNTIME_DIR, 'tsv');
    logDir = join(stateDir, 'log');
  }
  const configDir = userConfigDir(env);
  return {
    scope,
    configDir,
    configFile: join(configDir, 'supervisord.conf'),
    includeDir: join(configDir, 'conf.d'),
    runDir,
    socket: join(runDir, 'tsv.sock'),
    pidfile: join(runDir, 'tsv.pid'),
    logDir,
    mainLog: join(logDir, 'tsv.log'),
    stateDir,
    manifest: join(stateDir, 'install-manifest.json'),
    group: null,
    socketMode: 0o700,
    platform,
    bashCompletion: platform === 'darwin' ? null : join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'bash-completion', 'completions', 'tsv'),
  };
}
