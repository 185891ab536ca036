// Supervisor's own boot service (Debian's `supervisor`, EPEL's and Alpine's
// `supervisord`), which `tsv install --from-supervisor` takes over: left
// running, it would start every imported program a second time, now and at
// each boot, both daemons appending to the same logs.
import { existsSync, readdirSync } from 'node:fs';
import { executable } from '../os/access';
import { shJoin } from './quote';
import { run } from './run';
import type { Runner } from './service-spec';
import type { InitSystem } from './types';

export interface SupervisorService {
  init: InitSystem;
  /** the service's name for its init system (supervisor.service, supervisor, supervisord) */
  name: string;
  enabled: boolean;
  active: boolean;
  /** stop it and keep it from starting at boot */
  stop: string[][];
  /** put back what `stop` changed: enabled again if it was, started if it ran */
  restore: string[][];
}

function systemdService(): SupervisorService | null {
  for (const name of ['supervisor.service', 'supervisord.service']) {
    if (run(['systemctl', 'show', '-p', 'LoadState', '--value', name]).stdout.trim() !== 'loaded') continue;
    const enabled = run(['systemctl', 'is-enabled', name]).stdout.trim() === 'enabled';
    const active = ['active', 'activating', 'reloading'].includes(run(['systemctl', 'is-active', name]).stdout.trim());
    const restore = [...(enabled ? [['systemctl', 'enable', name]] : []), ...(active ? [['systemctl', 'start', name]] : [])];
    return { init: 'systemd', name, enabled, active, stop: [['systemctl', 'disable', '--now', name]], restore };
  }
  return null;
}

function sysvService(): SupervisorService | null {
  const script = '/etc/init.d/supervisor';
  // the package removed but not purged leaves its script without the x bit
  if (!executable(script)) return null;
  let enabled = false;
  try {
    enabled = readdirSync('/etc/rc2.d').some((f) => /^S\d\dsupervisor$/.test(f));
  } catch {
    // no runlevel directories
  }
  const active = run([script, 'status']).status === 0;
  return {
    init: 'sysv',
    name: 'supervisor',
    enabled,
    active,
    stop: [...(active ? [[script, 'stop']] : []), ...(enabled ? [['update-rc.d', 'supervisor', 'disable']] : [])],
    restore: [...(enabled ? [['update-rc.d', 'supervisor', 'enable']] : []), ...(active ? [[script, 'start']] : [])],
  };
}

function openrcService(): SupervisorService | null {
  if (!executable('/etc/init.d/supervisord')) return null;
  const enabled = existsSync('/etc/runlevels/default/supervisord');
  const active = run(['rc-service', 'supervisord', 'status']).status === 0;
  return {
    init: 'openrc',
    name: 'supervisord',
    enabled,
    active,
    stop: [...(active ? [['rc-service', 'supervisord', 'stop']] : []), ...(enabled ? [['rc-update', 'del', 'supervisord', 'default']] : [])],
    restore: [...(enabled ? [['rc-update', 'add', 'supervisord', 'default']] : []), ...(active ? [['rc-service', 'supervisord', 'start']] : [])],
  };
}

/** Supervisor's service under this init system, when it is installed; launchd has none that a package installs. */
export function supervisorService(init: InitSystem): SupervisorService | null {
  if (init === 'systemd') return systemdService();
  if (init === 'sysv') return sysvService();
  if (init === 'openrc') return openrcService();
  return null;
}

/** Stops and disables the service, saying why (in a dry run: says what it would run). */
export function takeOver(service: SupervisorService, runner: Runner, say: (t: string) => void): void {
  const how = [service.enabled && 'enabled', service.active && 'running'].filter(Boolean).join(' and ');
  say(`Supervisor's service ${service.name} is ${how}: tsv takes its programs over, so it is stopped and disabled (and put back if tsv does not come up)`);
  for (const argv of service.stop) runner.mustRun(argv, `stop Supervisor's ${service.name}, whose programs tsv runs now`);
}

/** tsv did not come up (and is stopped): the service runs the programs again, as before the takeover. */
export function giveBack(service: SupervisorService, runner: Runner, err: (t: string) => void): void {
  const failures = service.restore.map((argv) => runner.run(argv, `give the programs back to Supervisor's ${service.name}`)).filter((r) => r.status !== 0);
  err(
    failures.length === 0
      ? `Supervisor's ${service.name} was put back as it was; its programs run under it again\n`
      : `Supervisor's ${service.name} could not be put back (${failures.map((r) => shJoin(r.argv)).join('; ')} failed): start it by hand\n`,
  );
}
