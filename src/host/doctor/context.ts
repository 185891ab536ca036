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
import { USER_DROP_IN, readUnitUser, unitPath, type UnitUser } from '../backends/systemd';
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

/** How the systemd unit in effect starts the daemon, where that is not as the config needs (unit-user). */
export interface UnitUserGap {
  unit: string;
  /** the unit is a package's (/lib, /usr/lib), not one tsv install wrote */
  packaged: boolean;
  has: UnitUser;
  /** the config's [supervisord] user= when not root, else null */
  wants: string | null;
}

/**
 * The system unit starts the daemon as another user than the config drops
 * to: without User= it starts as root, and its RuntimeDirectory= and
 * LogsDirectory= are given back to root at every start (so a chown of them
 * does not last, and the dropped daemon cannot write them); with another
 * user's, the daemon cannot drop to the config's; and doctor's own drop-in
 * that outlived the config's user=. Null when they agree, or when a unit
 * without User= makes no directories (the daemon drops root as supervisord does).
 */
export function unitUserGap(ctx: DoctorContext): UnitUserGap | null {
  if (ctx.scope !== 'system' || ctx.backend?.init !== 'systemd' || !ctx.spec) return null;
  const unit = ctx.backend.inEffect(ctx.spec);
  if (!unit) return null;
  const read = readUnitUser(unit);
  const has = read.user === 'root' || read.user === '0' ? { ...read, user: null } : read;
  const wants = ctx.spec.daemonUser;
  if (has.user === wants) return null;
  // a User= of the admin's own, with a config that does not drop: the daemon is that user, as supervisord stays whoever started it
  if (wants === null && has.from !== USER_DROP_IN && has.from !== unitPath(ctx.spec)) return null;
  if (wants !== null && has.user === null && !has.makesDirs) return null;
  return { unit, packaged: unit !== unitPath(ctx.spec), has, wants };
}

/**
 * What fixes a gap: tsv install renders its unit again, a package's unit gets
 * doctor's drop-in, an admin's own User= is theirs to change. `chown`: the
 * directories a check would otherwise chown, and the unit's option that
 * undoes it.
 */
export function unitUserFix(gap: UnitUserGap, configFile: string, chown?: { dirs: string; option: string }): string {
  const user = gap.wants ?? 'root';
  const undone = chown ? `; a chown${chown.dirs} alone is given back to ${gap.has.user ?? 'root'} by the unit's ${chown.option} at the next start` : '';
  if (gap.has.from !== null && gap.has.from !== USER_DROP_IN && gap.has.from !== gap.unit) {
    return `set User=${gap.wants ?? ''} in ${gap.has.from}${gap.wants ? '' : ' (or remove the line)'}, then systemctl daemon-reload && systemctl restart tsv${undone}`;
  }
  const dirs = gap.wants ? `, and systemd gives its run and log directories to ${user} at each start` : '';
  if (!gap.packaged && gap.has.from !== USER_DROP_IN) return `tsv install --boot (its unit then starts the daemon as ${user}${dirs}${undone})`;
  if (gap.wants === null) return `rm ${USER_DROP_IN} && systemctl daemon-reload && systemctl restart tsv (the daemon then starts as the unit says)`;
  return `a drop-in ${USER_DROP_IN} with User=${user} (tsv doctor --fix writes it, and keeps it in step with ${configFile}'s user=), then systemctl restart tsv: systemd then starts the daemon as ${user}${dirs}${undone}`;
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
