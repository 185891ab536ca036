// OpenRC: an openrc-run script; OpenRC's own start-stop-daemon keeps the
// process in the background and the pidfile, checkpath makes the directories.
import { existsSync, readFileSync } from 'node:fs';
import { generatedHeader, renderTemplate } from '../templates';
import { shJoin, shQuote, shSplit } from '../quote';
import { run } from '../run';
import { daemonArgv, type Backend, type ServiceSpec, type ServiceState } from '../service-spec';
import { SERVICE_NAME } from '../types';
import { outputLogPath, tailFile } from './logs';
import { startOrRestart } from './script-service';

export const OPENRC_SCRIPT = `/etc/init.d/${SERVICE_NAME}`;

export function renderOpenrc(spec: ServiceSpec): string {
  const argv = daemonArgv(spec);
  return renderTemplate('tsv.openrc', {
    header: generatedHeader('tsv.openrc'),
    daemonExe: shQuote(argv[0]),
    daemonArgsEval: shQuote(shJoin(argv.slice(1))),
    tsvCommand: shJoin(spec.tsv),
    config: shQuote(spec.configFile),
    pidfile: shQuote(spec.pidfile),
    socket: shQuote(spec.socket),
    runDir: shQuote(spec.runDir),
    logDir: shQuote(spec.logDir),
    outputLog: shQuote(outputLogPath(spec.logDir)),
    stopTimeout: spec.stopTimeoutSec,
  });
}

/** The daemon command a script runs: command= and the words of command_args= (which openrc-run evaluates). */
export function openrcCommand(text: string): string[] | null {
  const cmd = text.match(/^command=(.*)$/m);
  const args = text.match(/^command_args=(.*)$/m);
  if (!cmd) return null;
  const argWords = args ? shSplit(shSplit(args[1])[0] ?? '') : [];
  return [...shSplit(cmd[1]), ...argWords];
}

function inDefaultRunlevel(): boolean {
  return existsSync(`/etc/runlevels/default/${SERVICE_NAME}`);
}

export const openrcBackend: Backend = {
  init: 'openrc',
  definitionPath: () => OPENRC_SCRIPT,
  inEffect(spec) {
    return existsSync(this.definitionPath(spec)) ? this.definitionPath(spec) : null;
  },

  files(spec) {
    return [{ path: OPENRC_SCRIPT, content: renderOpenrc(spec), mode: 0o755, removal: 'uninstall' }];
  },

  activate(runner, _spec, changed) {
    if (!inDefaultRunlevel()) runner.mustRun(['rc-update', 'add', SERVICE_NAME, 'default'], 'start tsv at boot');
    startOrRestart(runner, ['rc-service', SERVICE_NAME], changed);
  },

  state(): ServiceState {
    const installed = existsSync(OPENRC_SCRIPT);
    const st = installed ? run(['rc-service', SERVICE_NAME, 'status']) : null;
    return {
      installed,
      enabled: inDefaultRunlevel(),
      active: st ? st.status === 0 : false,
      detail: st ? (st.stdout + st.stderr).trim().split('\n')[0] ?? '' : 'no script',
    };
  },

  diagnostics(spec) {
    const parts: string[] = [];
    const st = run(['rc-service', SERVICE_NAME, 'status']);
    parts.push(`$ rc-service ${SERVICE_NAME} status\n${(st.stdout + st.stderr).trimEnd()}`);
    const out = tailFile(outputLogPath(spec.logDir));
    if (out) parts.push(out);
    const main = spec.mainLog ? tailFile(spec.mainLog) : null;
    if (main) parts.push(main);
    return parts.join('\n');
  },

  enable(runner) {
    runner.mustRun(['rc-update', 'add', SERVICE_NAME, 'default'], 'start tsv at boot');
  },

  start(runner) {
    // a daemon killed behind OpenRC's back leaves the service "crashed": zap forgets that
    runner.run(['rc-service', SERVICE_NAME, 'zap'], 'forget a crashed state');
    runner.mustRun(['rc-service', SERVICE_NAME, 'start'], 'start tsv');
  },

  reload() {},

  deactivate(runner) {
    if (!existsSync(OPENRC_SCRIPT)) return;
    runner.run(['rc-service', SERVICE_NAME, 'stop'], 'stop tsv');
    runner.run(['rc-update', 'del', SERVICE_NAME, 'default'], 'remove tsv from boot');
  },

  afterRemove() {},

  installedCommand() {
    if (!existsSync(OPENRC_SCRIPT)) return null;
    return openrcCommand(readFileSync(OPENRC_SCRIPT, 'utf8'));
  },
};
