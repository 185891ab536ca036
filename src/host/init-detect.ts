// Which init system runs this machine. Not "which tools are installed"
// (PM2's `which systemctl` is fooled by containers and chroots that carry
// systemctl without running systemd): systemd counts only when it booted
// the machine (sd_booted(3): /run/systemd/system exists), OpenRC when it
// keeps its state in /run/openrc, and sysvinit when it is PID 1.
import { existsSync, readFileSync } from 'node:fs';
import { HostError, UsageError, type InitSystem, type Scope } from './types';

export interface Detection {
  init: InitSystem;
  /** Why we believe it, for the install report. */
  reason: string;
}

function pid1Name(): string {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    return '';
  }
}

export function detectInit(scope: Scope, platform: NodeJS.Platform = process.platform): Detection {
  if (platform === 'darwin') return { init: 'launchd', reason: 'macOS runs launchd' };
  if (platform !== 'linux') {
    throw new HostError(`tsv install does not know the init system of ${platform}`, 'pass --init systemd|openrc|sysv|launchd');
  }
  const pid1 = pid1Name();
  if (existsSync('/run/systemd/system')) {
    if (scope === 'user') {
      const runtime = process.env.XDG_RUNTIME_DIR;
      if (!runtime || !existsSync(`${runtime}/systemd`)) {
        throw new HostError(
          'systemd runs this machine, but no systemd user manager runs for you',
          'log in through a session (ssh, login) or ask root for `loginctl enable-linger USER`, then set XDG_RUNTIME_DIR',
        );
      }
      return { init: 'systemd', reason: `your systemd user manager runs (${runtime}/systemd)` };
    }
    return { init: 'systemd', reason: 'systemd booted this machine (/run/systemd/system exists)' };
  }
  if (scope === 'user') {
    throw new HostError('a per-user service needs systemd (user units) or launchd (LaunchAgents)', `PID 1 here is ${pid1 || 'unknown'}`);
  }
  if (pid1 === 'openrc-init' || existsSync('/run/openrc/softlevel')) {
    return { init: 'openrc', reason: pid1 === 'openrc-init' ? 'PID 1 is openrc-init' : 'OpenRC booted this machine (/run/openrc/softlevel exists)' };
  }
  if (pid1 === 'init' && existsSync('/etc/init.d')) {
    return { init: 'sysv', reason: 'PID 1 is init (sysvinit) and /etc/init.d exists' };
  }
  throw new HostError(
    `could not tell which init system runs this machine (PID 1 is ${pid1 || 'unknown'}, no /run/systemd/system, no /run/openrc)`,
    'in a container or chroot, pass --init systemd|openrc|sysv explicitly (where systemd is installed but not running, as in an image being built, the service is enabled for the first boot)',
  );
}

export function parseInit(value: string): InitSystem {
  if (value === 'systemd' || value === 'openrc' || value === 'sysv' || value === 'launchd') return value;
  throw new UsageError(`unknown init system "${value}"`, 'use one of systemd, openrc, sysv, launchd');
}
