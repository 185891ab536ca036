// An LSB init script for sysvinit hosts. On a systemd host the same script
// runs through systemd-sysv-generator, and /lib/lsb/init-functions turns a
// direct `/etc/init.d/tsv start` into `systemctl start tsv`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { generatedHeader, renderTemplate } from '../templates';
import { shJoin, shQuote, shSplit } from '../quote';
import { haveTool, run } from '../run';
import { daemonArgv, type Backend, type ServiceSpec, type ServiceState } from '../service-spec';
import { SERVICE_NAME } from '../types';
import { outputLogPath, tailFile } from './logs';
import { startOrRestart } from './script-service';

export const INIT_D = `/etc/init.d/${SERVICE_NAME}`;

export function renderInitD(spec: ServiceSpec): string {
  const argv = daemonArgv(spec);
  return renderTemplate('tsv.init-d', {
    header: generatedHeader('tsv.init-d'),
    daemonExe: shQuote(argv[0]),
    daemonArgs: shJoin(argv.slice(1)),
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

function startLinks(): string[] {
  const out: string[] = [];
  for (const level of ['2', '3', '4', '5']) {
    const dir = `/etc/rc${level}.d`;
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) if (/^S\d\d/.test(name) && name.slice(3) === SERVICE_NAME) out.push(`${dir}/${name}`);
  }
  return out;
}

const systemdRuns = (): boolean => existsSync('/run/systemd/system');

/** The daemon command the script runs: DAEMON= and the words after `--startas "$DAEMON" --`. */
export function initDCommand(text: string): string[] | null {
  const exe = text.match(/^DAEMON=(.*)$/m);
  const args = text.match(/--startas "\$DAEMON" -- (.*?) \|\| return 1$/m);
  if (!exe) return null;
  return [...shSplit(exe[1]), ...(args ? shSplit(args[1]) : [])];
}

export const sysvBackend: Backend = {
  init: 'sysv',
  definitionPath: () => INIT_D,
  inEffect(spec) {
    return existsSync(this.definitionPath(spec)) ? this.definitionPath(spec) : null;
  },

  files(spec) {
    return [{ path: INIT_D, content: renderInitD(spec), mode: 0o755, removal: 'uninstall' }];
  },

  activate(runner, _spec, changed) {
    if (startLinks().length === 0) {
      if (haveTool('update-rc.d')) runner.mustRun(['update-rc.d', SERVICE_NAME, 'defaults'], 'start tsv at boot');
      else runner.mustRun(['chkconfig', '--add', SERVICE_NAME], 'start tsv at boot');
    }
    // systemd-sysv-generator turns the script into tsv.service on a reload.
    if (changed && systemdRuns()) runner.mustRun(['systemctl', 'daemon-reload'], 'let systemd-sysv-generator see the script');
    startOrRestart(runner, [INIT_D], changed);
  },

  state(): ServiceState {
    const installed = existsSync(INIT_D);
    const links = startLinks();
    const st = installed ? run([INIT_D, 'status']) : null;
    return {
      installed,
      enabled: links.length > 0,
      active: st ? st.status === 0 : false,
      detail: `start links: ${links.length ? links.join(', ') : 'none'}; status: ${st ? `exit ${st.status}` : 'no script'}`,
    };
  },

  diagnostics(spec) {
    const parts: string[] = [];
    const st = existsSync(INIT_D) ? run([INIT_D, 'status']) : null;
    if (st) parts.push(`$ ${INIT_D} status\n${(st.stdout + st.stderr).trimEnd()}`);
    const out = tailFile(outputLogPath(spec.logDir));
    if (out) parts.push(out);
    const main = spec.mainLog ? tailFile(spec.mainLog) : null;
    if (main) parts.push(main);
    return parts.join('\n');
  },

  enable(runner) {
    if (haveTool('update-rc.d')) runner.mustRun(['update-rc.d', SERVICE_NAME, 'defaults'], 'start tsv at boot');
    else runner.mustRun(['chkconfig', '--add', SERVICE_NAME], 'start tsv at boot');
    if (systemdRuns()) runner.mustRun(['systemctl', 'daemon-reload'], 'let systemd-sysv-generator see the links');
  },

  start(runner) {
    runner.mustRun([INIT_D, 'start'], 'start tsv');
  },

  reload(runner) {
    if (systemdRuns()) runner.mustRun(['systemctl', 'daemon-reload'], 'let systemd-sysv-generator read the script');
  },

  deactivate(runner) {
    if (!existsSync(INIT_D)) return;
    runner.run([INIT_D, 'stop'], 'stop tsv');
    if (haveTool('update-rc.d')) runner.run(['update-rc.d', '-f', SERVICE_NAME, 'remove'], 'remove tsv from boot');
    else runner.run(['chkconfig', '--del', SERVICE_NAME], 'remove tsv from boot');
  },

  afterRemove(runner) {
    if (systemdRuns()) runner.run(['systemctl', 'daemon-reload'], 'make systemd forget the generated unit');
  },

  installedCommand() {
    if (!existsSync(INIT_D)) return null;
    return initDCommand(readFileSync(INIT_D, 'utf8'));
  },
};
