// `tsv install --boot`: lay out the host, write the service definition for
// the init system, enable and start it, then prove it works: install
// succeeds only when `tsv status` answers through the installed socket.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { findConfigFile } from '../config/search';
import { loadConfig } from '../config/load';
import { ConfigError } from '../config/errors';
import type { Config } from '../config/model';
import { groupGid, principalFor } from '../os/accounts';
import { backendFor } from './backends';
import { packagedUnitPath } from './backends/systemd';
import { configFacts, logDirs, missingDirOf, type ConfigFacts } from './config-facts';
import { Executor } from './executor';
import { detectInit } from './init-detect';
import { configuredPrograms, planImport, SUPERVISOR_CONFIG } from './import-supervisor';
import { importIntoPackage } from './import-into-package';
import { giveBack, supervisorService, takeOver } from './supervisor-service';
import { hostLayout, type HostLayout } from './layout';
import { bashScript } from '../cli/completion-script';
import { newManifest, readManifest } from './manifest';
import { waitReady } from './probe';
import { shJoin, shSplit } from './quote';
import { indent, run, haveTool } from './run';
import { buildSpec, daemonArgv } from './service-spec';
import { generatedHeader, renderTemplate } from './templates';
import { describeProgram, programFiles, programFromPath, runningProgram, tsvArgv, tsvDaemonArgv, type TsvProgram } from './tsv-program';
import { HostError, SERVICE_NAME, UsageError, type InitSystem, type Output, type Scope } from './types';

export interface InstallOptions {
  init?: InitSystem;
  user: boolean;
  dryRun: boolean;
  /** import this Supervisor config (true: /etc/supervisor/supervisord.conf) */
  fromSupervisor?: string | true;
  /** config file to run (default: the layout's) */
  config?: string;
  /** the tsv program to put in the unit (default: the running one) */
  tsvPath?: string;
  node?: string;
  /** a Supervisor-compatible daemon to run instead of `tsv daemon` (words) */
  daemonCommand?: string;
  /** how long to wait for the socket after starting */
  readyTimeoutSec?: number;
}

export function defaultConfigText(layout: HostLayout, configFile: string): string {
  return renderTemplate('supervisord.conf', {
    header: generatedHeader('supervisord.conf'),
    configFile,
    includeDir: layout.includeDir,
    socket: layout.socket,
    socketMode: `0${layout.socketMode.toString(8)}`,
    group: layout.group,
    mainLog: layout.mainLog,
    pidfile: layout.pidfile,
    logDir: layout.logDir,
  });
}

/**
 * Reads the config, creating the log directories it names as they turn up
 * missing (the reader refuses a log path in a missing directory, as
 * Supervisor does). In a dry run the first missing one ends the check.
 */
function loadCreatingLogDirs(file: string, ex: Executor, layout: HostLayout, say: (t: string) => void): Config | null {
  for (let i = 0; i < 64; i++) {
    try {
      return loadConfig({ file }).config;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const dir = missingDirOf(err);
      if (!dir) throw new HostError(`the config ${file} has an error; nothing was enabled`, err.render().trimEnd());
      ex.ensureDir({ path: dir, mode: 0o755, removal: dir.startsWith('/run/') ? 'uninstall' : 'purge', tree: dir === layout.logDir }, false);
      if (ex.dryRun) {
        say(`(the config is checked once ${dir} exists)`);
        return null;
      }
    }
  }
  throw new HostError(`the config ${file} names too many missing log directories`);
}

function load(file: string): Config {
  try {
    return loadConfig({ file }).config;
  } catch (err) {
    if (err instanceof ConfigError) throw new HostError(`the config ${file} has an error; nothing was enabled`, err.render().trimEnd());
    throw err;
  }
}


/** Whether members of `group` may open the socket the ctl uses: it is the unix socket, given to the group, group read-write. */
function groupMayUse(facts: ConfigFacts, group: string | null): boolean {
  const unix = facts.unix;
  if (!group || !unix || facts.serverurl !== `unix://${unix.file}`) return false;
  const gid = groupGid(group);
  return gid !== null && unix.chown[1] === gid && (unix.chmod & 0o060) === 0o060;
}

export async function install(opts: InstallOptions, output: Output): Promise<number> {
  const say = (t: string): void => output.out(t.endsWith('\n') ? t : t + '\n');
  const scope: Scope = opts.user ? 'user' : 'system';
  const isRoot = (process.getuid?.() ?? 0) === 0;
  if (scope === 'system' && !isRoot && !opts.dryRun) {
    throw new HostError('installing the boot service needs root', 'run it with sudo, or install a per-user service with --user');
  }
  const detection = opts.init ? { init: opts.init, reason: 'chosen with --init' } : detectInit(scope);
  const init = detection.init;
  if (scope === 'user' && (init === 'sysv' || init === 'openrc')) throw new UsageError(`--user needs systemd or launchd, not ${init}`);
  const platform: NodeJS.Platform = init === 'launchd' ? 'darwin' : process.platform === 'darwin' ? 'linux' : process.platform;
  const layout = hostLayout(scope, platform);
  const configFile = opts.config ?? layout.configFile;

  const program: TsvProgram = opts.tsvPath ? programFromPath(opts.tsvPath, opts.node) : runningProgram();
  for (const f of programFiles(program)) {
    if (!existsSync(f.path)) throw new HostError(`the tsv program ${f.path} does not exist`, 'pass the installed location with --tsv-path');
  }
  const tsv = tsvArgv(program);
  const daemon = opts.daemonCommand ? shSplit(opts.daemonCommand) : tsvDaemonArgv(program);
  if (daemon.length === 0) throw new UsageError('--daemon-command is empty');

  const source = opts.fromSupervisor === true ? SUPERVISOR_CONFIG : opts.fromSupervisor;
  const packaged = scope === 'system' ? packagedUnitPath() : null;
  if (packaged && source && !opts.config) {
    // the package provides the service: only Supervisor's programs are to move
    return importIntoPackage({ source, layout, init, tsv, daemon, dryRun: opts.dryRun }, output);
  }
  if (packaged && !opts.dryRun) {
    throw new HostError(
      `the tsv package is installed here and provides the boot service (${packaged}); tsv install --boot would put a second one over it`,
      'configure it in /etc/tsv/supervisord.conf and /etc/tsv/conf.d/ (tsv install --boot --from-supervisor moves Supervisor\'s programs there), and manage it with systemctl (or /etc/init.d/tsv); to install tsv by hand instead, remove the package first',
    );
  }

  const backend = backendFor(init);
  const existing = readManifest(layout.manifest);
  if (existing && existing.installed && existing.init !== init) {
    throw new HostError(`tsv is installed for ${existing.init} here (${layout.manifest})`, `run \`tsv uninstall${scope === 'user' ? ' --user' : ''}\` first`);
  }
  const manifest = existing ?? newManifest(init, scope, configFile, tsv, daemon);
  Object.assign(manifest, { init, scope, configFile, tsv, daemon, installed: true });
  // Read before anything is done: a source that is no config must change nothing.
  const configExists = existsSync(configFile);
  const imported = source && !configExists ? planImport(source, layout, generatedHeader('supervisord.conf')) : null;
  // Supervisor's own service would run every imported program a second time:
  // taking over means stopping it, and giving it back if tsv does not come up.
  const supervisor = scope === 'system' ? supervisorService(init) : null;
  const taken = supervisor && source && (supervisor.enabled || supervisor.active) ? supervisor : null;
  if (taken && source && configExists) {
    // nothing is imported into a config that exists: stopping Supervisor is
    // safe only if that config runs its programs already (a second run of
    // the same install), or they would run under no daemon
    const ours = new Set(configuredPrograms(configFile));
    const left = configuredPrograms(source).filter((p) => !ours.has(p));
    if (left.length) {
      throw new HostError(
        `--from-supervisor would stop Supervisor's ${taken.name}, but ${configFile} exists, so nothing is imported, and it does not run ${left.join(', ')}: they would run under no daemon; nothing was changed`,
        `move ${configFile} away and run this again to import ${source} into a new config (tsv install never overwrites a config), or add those programs to ${configFile} first`,
      );
    }
  }

  say(`tsv install${opts.dryRun ? ' (dry run: nothing is changed)' : ''}`);
  say(`  init system: ${init} (${detection.reason})`);
  say(`  service:     ${SERVICE_NAME} (${scope === 'system' ? 'system, starts at boot' : 'per-user'})`);
  say(`  tsv:         ${describeProgram(program)}`);
  say(`  daemon:      ${shJoin(daemon)}`);
  say(`  config:      ${configFile}`);
  if (packaged) say(`warning: the tsv package provides the boot service here (${packaged}): without --dry-run this install is refused`);

  const ex = new Executor(opts.dryRun, output, manifest, layout.manifest, platform);

  // The manifest's directory first, so it is recorded as ours; the group
  // before a config that chowns the socket to it is read.
  ex.ensureDir({ path: layout.stateDir, mode: 0o755, removal: 'purge' }, existing !== null);
  if (layout.group) ex.ensureGroup(layout.group);
  // not a tree: the admin's files go there too (conf.d, an app beside a -c config), and a purge removes it only when empty
  const configDir = dirname(configFile);
  ex.ensureDir({ path: configDir, mode: 0o755, removal: 'purge' }, false);
  if (configFile === layout.configFile) ex.ensureDir({ path: layout.includeDir, mode: 0o755, removal: 'purge' }, false);

  if (!configExists) {
    if (imported) {
      const plan = imported;
      ex.writeFile({ path: configFile, content: plan.main, mode: 0o644, removal: 'purge', onlyIfAbsent: true }, false);
      for (const c of plan.copies) {
        if (dirname(c.to) !== layout.includeDir) ex.ensureDir({ path: dirname(c.to), mode: 0o755, removal: 'purge' }, false);
        ex.writeFile({ path: c.to, content: c.content, mode: 0o644, removal: 'purge', onlyIfAbsent: true }, false);
      }
      for (const n of plan.notes) say(`note: ${n}`);
    } else {
      ex.writeFile({ path: configFile, content: defaultConfigText(layout, configFile), mode: 0o644, removal: 'purge', onlyIfAbsent: true }, false);
    }
  } else {
    if (opts.fromSupervisor) say(`note: ${configFile} exists, so nothing is imported (move it away to import again)`);
    if (opts.dryRun) say(`keeping ${configFile} (it exists; tsv install never overwrites a config)`);
  }

  // tsv's own log and runtime directories, which the generated config names
  // (the init system keeps the runtime one from then on)
  ex.ensureDir({ path: layout.logDir, mode: 0o755, removal: 'purge', tree: true }, false);
  ex.ensureDir({ path: layout.runDir, mode: scope === 'user' ? 0o700 : 0o755, removal: 'uninstall' }, false);
  // Dry run with a config we would generate: it cannot be read yet (the group is missing).
  let facts: ConfigFacts | null = null;
  if (existsSync(configFile)) {
    const config = loadCreatingLogDirs(configFile, ex, layout, say);
    facts = config ? configFacts(config) : null;
    if (config && !config.supervisorctl.present) {
      // install proves itself with `tsv ctl -c FILE status`, which, as supervisorctl, needs the section
      throw new HostError(
        `the config ${configFile} has no [supervisorctl] section, so \`tsv status\` and supervisorctl cannot find the daemon it runs; nothing was enabled`,
        `add one that names the daemon's socket:\n[supervisorctl]\nserverurl=${facts?.serverurl ?? 'unix:///run/tsv/tsv.sock'}`,
      );
    }
  } else {
    say(`(the new config is checked once it is written)`);
  }

  if (facts) {
    for (const d of logDirs(facts)) ex.ensureDir({ path: d, mode: 0o755, removal: 'purge', tree: d === layout.logDir }, false);
    // A daemon that drops root ([supervisord] user=) must be able to open its programs' logs.
    for (const l of facts.logs) {
      if (!l.user || !l.process) continue;
      const who = principalFor(l.user);
      if (!who || who.uid === 0) continue;
      ex.ensureUserFile(l.path, who.uid, who.gid, 0o640, 'purge');
    }
  }

  const spec = buildSpec(scope, layout, configFile, tsv, daemon, facts);
  let changed = false;
  for (const f of backend.files(spec)) {
    // ~/.config/systemd/user, /etc/tmpfiles.d, ~/Library/LaunchAgents may not exist yet
    ex.ensureDir({ path: dirname(f.path), mode: 0o755, removal: 'uninstall' }, false);
    const outcome = ex.writeFile(f, manifest.files.some((m) => m.path === f.path));
    if (outcome === 'created' || outcome === 'updated') changed = true;
  }

  // Tab completion for bash, running the tsv installed (which need not be on PATH); no restart for it
  if (layout.bashCompletion) {
    ex.ensureDir({ path: dirname(layout.bashCompletion), mode: 0o755, removal: 'uninstall' }, false);
    ex.writeFile({ path: layout.bashCompletion, content: bashScript(tsv), mode: 0o644, removal: 'uninstall' }, manifest.files.some((m) => m.path === layout.bashCompletion));
  }

  if (init === 'systemd' && !opts.dryRun && haveTool('systemd-analyze')) {
    const unit = backend.definitionPath(spec);
    const v = run(['systemd-analyze', ...(scope === 'user' ? ['--user'] : []), 'verify', unit]);
    const ours = (v.stdout + v.stderr).split('\n').filter((l) => l.includes(unit) || l.includes(`${SERVICE_NAME}.service`));
    if (ours.length) {
      say(`systemd-analyze verify ${unit}:\n${indent(ours.join('\n'))}`);
      if (v.status !== 0) throw new HostError(`systemd rejects ${unit}`, ours.join('\n'));
    }
  }

  if (taken) {
    takeOver(taken, ex, say);
    // a takeover again (Supervisor enabled by hand since) keeps the first record: uninstall puts back what was there before tsv
    ex.record((m) => {
      m.supervisorTaken ??= { name: taken.name, restore: taken.restore };
    });
  } else if (supervisor?.active) {
    say(`warning: Supervisor's service ${supervisor.name} is running too: programs configured in both run twice (tsv install --boot --from-supervisor takes its programs over and stops it)`);
  }

  if (opts.dryRun) {
    const st = backend.state(spec);
    backend.activate(ex, spec, changed || !st.installed);
    say(`would check: \`${shJoin([...tsv, 'ctl', '-c', configFile, 'status'])}\` answers through ${facts?.serverurl ?? `unix://${spec.socket}`}`);
    say(ex.changes.length ? `dry run: ${ex.changes.length} change(s) listed above; nothing was changed` : 'dry run: nothing would change');
    return 0;
  }

  // an install that ran before and fails now is left as it is, for its admin to mend; a new one is taken off the boot
  const ranBefore = backend.state(spec).active === true;
  const failed = (message: string): number => {
    output.err(message);
    const why = backend.diagnostics(spec);
    if (why) output.err(`what the init system says:\n${indent(why)}\n`);
    if (taken) {
      // tsv first, so that the two never run the programs at once
      try {
        backend.deactivate(ex, spec);
      } catch (err) {
        if (!(err instanceof HostError)) throw err;
        output.err(`tsv install: ${err.message}: Supervisor's ${taken.name} is left stopped, so that the programs do not run twice\n`);
        return 1;
      }
      giveBack(taken, ex, (t) => output.err(t));
      ex.record((m) => {
        delete m.supervisorTaken;
      });
    } else if (!ranBefore) {
      // enabled, a service that does not come up restarts in a loop, now and at every boot,
      // beside whatever holds its socket (a Supervisor on the same config deleting its live logs)
      backend.deactivate(ex, spec);
      output.err(`tsv install: ${SERVICE_NAME} is stopped and taken off the boot again, so that it does not restart in a loop; mend what is said above and run tsv install --boot again\n`);
    }
    return 1;
  };
  try {
    backend.activate(ex, spec, changed);
  } catch (err) {
    if (!(err instanceof HostError)) throw err;
    return failed(`tsv install: ${err.message}\n${err.detail ? indent(err.detail) + '\n' : ''}`);
  }

  const offline = backend.notRunning?.(spec) ?? null;
  if (offline) {
    say(`\n${offline}: ${SERVICE_NAME} is enabled and starts at the first boot; nothing was started or checked (run \`tsv doctor\` once it has booted)`);
    return 0;
  }
  const loaded = facts ?? configFacts(load(configFile));
  const endpoint = { serverurl: loaded.serverurl ?? `unix://${spec.socket}` };
  const ready = await waitReady(endpoint, { timeoutMs: (opts.readyTimeoutSec ?? 30) * 1000 });
  if (!ready.ok) return failed(`tsv install: the service was started, but ${ready.message} (${endpoint.serverurl})\n`);
  const status = run([...tsv, 'ctl', '-c', configFile, 'status']);
  // 0: all running, 3: some not running; both mean the ctl got an answer.
  if (status.status !== 0 && status.status !== 3) {
    return failed(`tsv install: \`${shJoin([...tsv, 'ctl', '-c', configFile, 'status'])}\` failed (exit ${status.status}):\n${indent((status.stdout + status.stderr).trimEnd())}\n`);
  }
  say(`\n$ tsv status   (through ${endpoint.serverurl})\n${status.stdout.trimEnd() || '(no programs configured)'}`);
  // a -c config off the search path (or behind an earlier install's) is not what a plain `tsv status` reads
  const found = findConfigFile();
  if (!found || resolve(found) !== resolve(configFile)) {
    say(`\nnote: plain \`tsv status\` ${found ? `reads ${found}, the first config on its search path` : 'finds no config on its search path'}, not ${configFile}: use \`tsv -c ${configFile} status\``);
  }
  if (taken) say(`\nnote: Supervisor's own supervisorctl looks for its daemon on its socket and now finds none there: use \`tsv status\`, or \`supervisorctl -c ${configFile} status\``);
  if (scope === 'user' && init === 'systemd') {
    const me = userInfo().username;
    // pm2 startup's promise: without lingering a user's manager starts at their first login, not at boot
    if (!existsSync(`/var/lib/systemd/linger/${me}`)) say(`\nnote: ${me} has no lingering, so your systemd user manager, and tsv with it, starts at your first login and stops at your last logout, not at boot: loginctl enable-linger ${me} (as root, or as ${me} where polkit allows it) starts it at boot`);
  }
  if (ex.changes.length === 0) say(`\nnothing to change: tsv is installed, enabled at boot and answering (${daemonArgv(spec)[0]})`);
  else say(`\ntsv is installed and answering on ${endpoint.serverurl}${groupMayUse(loaded, layout.group) ? `; members of the ${layout.group} group can use \`tsv status\` without sudo (usermod -aG ${layout.group} USER)` : ''}`);
  return 0;
}

