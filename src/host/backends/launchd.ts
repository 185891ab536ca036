// launchd (macOS): a LaunchDaemon in the system domain, or a LaunchAgent for
// a user, whose Label is its file name so bootout finds it. launchd cannot
// create the socket directory (/var/run is emptied at boot), so the daemon
// is started through /bin/sh, which makes it and then execs the daemon.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { generatedHeader, renderTemplate } from '../templates';
import { shJoin, shQuote } from '../quote';
import { run } from '../run';
import { daemonArgv, type Backend, type ServiceSpec, type ServiceState } from '../service-spec';
import { SERVICE_NAME } from '../types';
import { tailFile } from './logs';

export const LAUNCHD_LABEL = SERVICE_NAME;

export function plistPath(spec: ServiceSpec): string {
  if (spec.scope === 'system') return `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;
  return join(process.env.HOME || homedir(), 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
}

function domain(spec: ServiceSpec): string {
  return spec.scope === 'system' ? 'system' : `gui/${process.getuid?.() ?? 0}`;
}

export function launchdProgramArguments(spec: ServiceSpec): string[] {
  return ['/bin/sh', '-c', `/bin/mkdir -p ${shQuote(spec.runDir)} && exec ${shJoin(daemonArgv(spec))}`];
}

export function renderPlist(spec: ServiceSpec): string {
  return renderTemplate('tsv.plist', {
    header: generatedHeader('tsv.plist'),
    label: LAUNCHD_LABEL,
    programArguments: launchdProgramArguments(spec),
    stopTimeout: spec.stopTimeoutSec,
    stdoutPath: join(spec.logDir, 'launchd.out.log'),
    stderrPath: join(spec.logDir, 'launchd.err.log'),
    system: spec.scope === 'system',
  });
}

export const launchdBackend: Backend = {
  init: 'launchd',
  definitionPath: plistPath,
  inEffect(spec) {
    return existsSync(this.definitionPath(spec)) ? this.definitionPath(spec) : null;
  },

  files(spec) {
    return [{ path: plistPath(spec), content: renderPlist(spec), mode: 0o644, removal: 'uninstall' }];
  },

  activate(runner, spec, changed) {
    const target = `${domain(spec)}/${LAUNCHD_LABEL}`;
    const loaded = run(['launchctl', 'print', target]).status === 0;
    if (loaded && changed) runner.mustRun(['launchctl', 'bootout', target], 'unload the old definition');
    runner.run(['launchctl', 'enable', target], 'allow it to start at boot');
    if (!loaded || changed) runner.mustRun(['launchctl', 'bootstrap', domain(spec), plistPath(spec)], 'load and start tsv (RunAtLoad)');
  },

  state(spec): ServiceState {
    const target = `${domain(spec)}/${LAUNCHD_LABEL}`;
    const p = run(['launchctl', 'print', target]);
    const disabled = run(['launchctl', 'print-disabled', domain(spec)]);
    const off = new RegExp(`"${LAUNCHD_LABEL}" => (true|disabled)`).test(disabled.stdout);
    return {
      installed: existsSync(plistPath(spec)),
      enabled: p.error ? null : !off,
      active: p.error ? null : /state = running/.test(p.stdout),
      detail: (p.stdout.match(/state = .*/) ?? ['not loaded'])[0],
    };
  },

  diagnostics(spec) {
    return [tailFile(join(spec.logDir, 'launchd.err.log')), spec.mainLog ? tailFile(spec.mainLog) : null].filter(Boolean).join('\n');
  },

  enable(runner, spec) {
    runner.mustRun(['launchctl', 'enable', `${domain(spec)}/${LAUNCHD_LABEL}`], 'start tsv at boot');
  },

  start(runner, spec) {
    runner.mustRun(['launchctl', 'kickstart', `${domain(spec)}/${LAUNCHD_LABEL}`], 'start tsv');
  },

  reload() {},

  deactivate(runner, spec) {
    runner.run(['launchctl', 'bootout', `${domain(spec)}/${LAUNCHD_LABEL}`], 'stop and unload tsv');
  },

  afterRemove() {},

  installedCommand(spec) {
    return existsSync(plistPath(spec)) ? daemonArgv(spec) : null;
  },
};
