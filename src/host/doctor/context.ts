// What doctor knows about the installation, gathered once per pass (and
// again after fixes): the manifest, the config, the service, the daemons
// running on the config, the socket as the calling user sees it.
import { existsSync, lstatSync, readFileSync, statSync, type Stats } from 'node:fs';
import { canAccess } from '../../os/access';
import { loadConfig } from '../../config/load';
import { ConfigError } from '../../config/errors';
import type { Config } from '../../config/model';
import { findConfigFile } from '../../config/search';
import { ROOT, callerPrincipal, principalFor, userName, type Principal } from '../../os/accounts';
import { backendFor } from '../backends';
import { configFacts, type ConfigFacts } from '../config-facts';
import { detectInit } from '../init-detect';
import { hostLayout, type HostLayout } from '../layout';
import { readManifest, type Manifest } from '../manifest';
import { probeOnce, type ProbeResult } from '../probe';
import { daemonsFor, findDaemons, processCredentials, type DaemonProcess } from '../procs';
import { buildSpec, type Backend, type ServiceSpec, type ServiceState } from '../service-spec';
import { runningProgram, tsvArgv, tsvDaemonArgv } from '../tsv-program';
import type { InitSystem, Scope } from '../types';

export interface DoctorOptions {
  configuration?: string;
  user: boolean;
}

export interface DoctorContext {
  scope: Scope;
  layout: HostLayout;
  manifest: Manifest | null;
  configFile: string | null;
  config: Config | null;
  configError: ConfigError | null;
  facts: ConfigFacts | null;
  init: InitSystem | null;
  backend: Backend | null;
  spec: ServiceSpec | null;
  service: ServiceState | null;
  caller: Principal;
  /**
   * who the daemon runs, or would run, as: it opens the logs and binds the
   * socket as that user; null when [supervisord] user= names no user
   */
  daemonUser: Principal | null;
  /** where daemonUser comes from, for the findings' text */
  daemonUserFrom: string;
  daemons: DaemonProcess[];
  /** daemons whose config this user cannot tell (another user's, started with a relative -c): they may run this one */
  daemonsUnknown: DaemonProcess[];
  /** every Supervisor-compatible daemon on the machine, whatever its config (one /proc scan per pass) */
  allDaemons: DaemonProcess[];
  /** lstat of the unix socket path, null when absent */
  socketStat: Stats | null;
  /** the caller may not look at the socket's path (EACCES): why, from the directories on the way; socketStat is null then */
  socketHidden: string | null;
  /** an XML-RPC call through the configured serverurl, as the caller */
  probe: ProbeResult | null;
  /**
   * the same call on the unix socket file itself, when it is a socket: what
   * tells a stale one (the serverurl may name an inet port instead)
   */
  socketProbe: ProbeResult | null;
  pidfile: { path: string; text: string | null } | null;
}

export async function gather(opts: DoctorOptions): Promise<DoctorContext> {
  const scope: Scope = opts.user ? 'user' : 'system';
  let layout: HostLayout;
  try {
    layout = hostLayout(scope);
  } catch {
    layout = hostLayout('system');
  }
  let manifest: Manifest | null = null;
  try {
    manifest = readManifest(layout.manifest);
  } catch {
    manifest = null;
  }
  const installed = manifest?.installed ? manifest : null;
  // a per-user check looks at the per-user layout's config first (tsv install --user puts it there)
  const userConfig = scope === 'user' && existsSync(layout.configFile) ? layout.configFile : null;
  const configFile = opts.configuration ?? installed?.configFile ?? userConfig ?? findConfigFile();
  let config: Config | null = null;
  let configError: ConfigError | null = null;
  if (configFile && existsSync(configFile)) {
    try {
      config = loadConfig({ file: configFile }).config;
    } catch (err) {
      if (err instanceof ConfigError) configError = err;
      else throw err;
    }
  }
  const facts = config ? configFacts(config) : null;

  let init: InitSystem | null = installed?.init ?? null;
  if (!init) {
    try {
      init = detectInit(scope).init;
    } catch {
      init = null;
    }
  }
  const backend = init ? backendFor(init) : null;
  const tsv = installed?.tsv ?? tsvArgv(runningProgram());
  const daemon = installed?.daemon ?? tsvDaemonArgv(runningProgram());
  const spec = configFile ? buildSpec(scope, layout, configFile, tsv, daemon, facts) : null;
  let service: ServiceState | null = null;
  if (backend && spec && (installed || backend.inEffect(spec) !== null)) service = backend.state(spec);

  const allDaemons = findDaemons();
  const { on: daemons, unknown: daemonsUnknown } = configFile && existsSync(configFile) ? daemonsFor(configFile, allDaemons) : { on: [], unknown: [] };
  const caller = callerPrincipal();
  const { who: daemonUser, from: daemonUserFrom } = daemonPrincipal(config, configFile, daemons, daemonsUnknown, installed, caller);
  const { stat: socketStat, hidden: socketHidden } = facts?.unix ? lookAt(facts.unix.file, caller) : { stat: null, hidden: null };
  // The two probes run at once: a stopped daemon makes each wait its full timeout.
  const serverurlProbe: Promise<ProbeResult | null> =
    facts?.serverurl && config ? probeOnce({ serverurl: facts.serverurl, username: config.supervisorctl.username, password: config.supervisorctl.password }) : Promise.resolve(null);
  const here = facts?.unix && socketStat?.isSocket() ? `unix://${facts.unix.file}` : null;
  const ownProbe: Promise<ProbeResult | null> =
    here === null || !facts?.unix ? Promise.resolve(null) : facts.serverurl === here && config ? serverurlProbe : probeOnce({ serverurl: here, username: facts.unix.username, password: facts.unix.password });
  const [probe, socketProbe] = await Promise.all([serverurlProbe, ownProbe]);
  let pidfile: DoctorContext['pidfile'] = null;
  if (facts) {
    let text: string | null = null;
    try {
      text = readFileSync(facts.pidfile, 'utf8');
    } catch {
      text = null;
    }
    pidfile = { path: facts.pidfile, text };
  }
  return {
    scope,
    layout,
    manifest: installed,
    configFile,
    config,
    configError,
    facts,
    init,
    backend,
    spec,
    service,
    caller,
    daemonUser,
    daemonUserFrom,
    daemons,
    daemonsUnknown,
    allDaemons,
    socketStat,
    socketHidden,
    probe,
    socketProbe,
    pidfile,
  };
}

/**
 * The systemd unit in effect makes the run and log directories (RuntimeDirectory=,
 * LogsDirectory=) without starting the daemon as the user the config drops to:
 * systemd gives them back to root at every start, so a chown of them does not
 * last. Units tsv install writes since 2026-11-29 start such a daemon as that user.
 */
export function unitUndoesChown(ctx: DoctorContext): boolean {
  if (ctx.backend?.init !== 'systemd' || !ctx.spec || !ctx.daemonUser || ctx.daemonUser.uid === 0) return false;
  const unit = ctx.backend.inEffect(ctx.spec);
  if (!unit) return false;
  let text = '';
  try {
    text = readFileSync(unit, 'utf8');
  } catch {
    return false;
  }
  return /^(RuntimeDirectory|LogsDirectory)=/m.test(text) && !/^User=/m.test(text);
}

/** The fix where unitUndoesChown: a unit that starts the daemon as its user (`option`: what undoes a chown under the old one). */
export function reinstallAsUserFix(user: string, undone: string, option: string): string {
  return `tsv install --boot (its unit then starts the daemon as ${user}, and systemd gives its run and log directories to ${user} at each start; a chown${undone} alone is given back to root by the unit's ${option} at the next start)`;
}

/** The daemon that answers on the socket, else the only one running. */
export function mainDaemon(ctx: DoctorContext): DaemonProcess | null {
  if (ctx.probe?.ok && ctx.probe.pid) {
    const d = ctx.daemons.find((x) => x.pid === (ctx.probe as { pid: number }).pid);
    if (d) return d;
  }
  return ctx.daemons.length === 1 ? ctx.daemons[0] : (ctx.daemons[0] ?? null);
}

/**
 * Who the daemon is: supervisord drops to [supervisord] user= before it binds
 * the socket and opens any log; without user= it stays whoever started it:
 * the running daemon's user, root for a system service, else the config's
 * owner, who would start it (a user's own config: a root-owned log left by an
 * earlier sudo run stops the daemon they start; a config root owns, such as
 * Debian's, is root's daemon whoever checks it).
 */
function daemonPrincipal(
  config: Config | null,
  configFile: string | null,
  daemons: DaemonProcess[],
  unknown: DaemonProcess[],
  installed: Manifest | null,
  caller: Principal,
): { who: Principal | null; from: string } {
  const configured = config?.supervisord.user ?? null;
  if (configured !== null) return { who: principalFor(configured), from: '[supervisord] user=' };
  for (const d of daemons) {
    const who = processCredentials(d.pid);
    if (who) return { who, from: `the running daemon's (pid ${d.pid})` };
  }
  if (installed) return installed.scope === 'system' ? { who: ROOT, from: 'the boot service runs it as root' } : { who: caller, from: 'your boot service runs it as you' };
  // a daemon whose config this user cannot tell may be this one's: its user, when they all agree
  const theirs = unknown.map((d) => processCredentials(d.pid)).filter((p): p is Principal => p !== null);
  if (theirs.length > 0 && theirs.every((p) => p.uid === theirs[0].uid)) return { who: theirs[0], from: `a running daemon's whose config this user cannot tell (pid ${unknown.map((d) => d.pid).join(', ')})` };
  let owner = caller.uid;
  try {
    if (configFile) owner = statSync(configFile).uid;
  } catch {
    // unreadable: the caller's own view
  }
  if (owner === caller.uid) return caller.uid === 0 ? { who: ROOT, from: 'no [supervisord] user=' } : { who: caller, from: 'no [supervisord] user=: you would start it' };
  if (owner === 0) return { who: ROOT, from: 'no [supervisord] user=, and root owns the config' };
  const name = userName(owner);
  return { who: principalFor(name) ?? { name, uid: owner, gid: -1, groups: [] }, from: `no [supervisord] user=, and ${name} owns the config` };
}

/**
 * lstat of `path` as `who`, who runs doctor: no stat is "absent" only when
 * nothing is there; EACCES on the way to it is why `who` cannot look.
 */
function lookAt(path: string, who: Principal): { stat: Stats | null; hidden: string | null } {
  try {
    return { stat: lstatSync(path), hidden: null };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EACCES') return { stat: null, hidden: null };
    return { stat: null, hidden: canAccess(path, who, 'w').reason ?? `${path}: EACCES` };
  }
}
