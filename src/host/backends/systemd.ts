// systemd: a foreground service whose start job ends when the daemon says it
// serves (sd_notify, src/daemon/sd-notify.ts), with systemd creating the
// runtime and log directories.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { generatedHeader, renderTemplate } from '../templates';
import { systemdJoin } from '../quote';
import { ok, run, lastLines } from '../run';
import { daemonArgv, type Backend, type Runner, type ServiceSpec, type ServiceState } from '../service-spec';
import { SERVICE_NAME } from '../types';
import { lookupUser } from '../../config/users';
import { groupName } from '../../os/accounts';

const UNIT = `${SERVICE_NAME}.service`;

/** A system whose systemd is installed but not running (a chroot, an image being built). */
function notRunning(spec: ServiceSpec): string | null {
  return spec.scope === 'system' && !existsSync('/run/systemd/system') ? 'systemd does not run here (no /run/systemd/system)' : null;
}

function systemctl(spec: ServiceSpec): string[] {
  return spec.scope === 'user' ? ['systemctl', '--user'] : ['systemctl'];
}

export function unitPath(spec: ServiceSpec): string {
  if (spec.scope === 'system') return `/etc/systemd/system/${UNIT}`;
  const configHome = process.env.XDG_CONFIG_HOME || join(process.env.HOME || homedir(), '.config');
  return join(configHome, 'systemd', 'user', UNIT);
}

/** Where a tsv package puts its unit (`/lib` on Debian, `/usr/lib` on rpm systems; src/host/package-files.ts), if one is there. */
export function packagedUnitPath(): string | null {
  return [`/lib/systemd/system/${UNIT}`, `/usr/lib/systemd/system/${UNIT}`].find((p) => existsSync(p)) ?? null;
}

/** The unit in effect: ours in /etc, else one a package installed. */
export function installedUnitPath(spec: ServiceSpec): string | null {
  if (existsSync(unitPath(spec))) return unitPath(spec);
  return spec.scope === 'system' ? packagedUnitPath() : null;
}

/**
 * Where `tsv doctor --fix` gives a packaged unit the daemon's user: the unit in
 * /lib is the package's and every upgrade replaces it, a drop-in in /etc stays.
 */
export const USER_DROP_IN = `/etc/systemd/system/${UNIT}.d/50-tsv-daemon-user.conf`;

/** The system unit directories in systemd's order: of drop-ins with one name, the first directory's counts. */
const SYSTEM_UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

export interface UnitUser {
  /** User= in effect, null when none (the daemon starts as root) */
  user: string | null;
  /** the file that set it, null when none */
  from: string | null;
  /** RuntimeDirectory= or LogsDirectory=: systemd gives them to User= (root without one) at every start */
  makesDirs: boolean;
}

function serviceSettings(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let inService = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inService = line === '[Service]';
    else if (inService && !/^[#;]/.test(line)) {
      const eq = line.indexOf('=');
      if (eq > 0) out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
    }
  }
  return out;
}

/** The user a system unit starts the daemon as, read as systemd reads it: the unit, then its drop-ins in name order. */
export function readUnitUser(unit: string, unitDirs: readonly string[] = SYSTEM_UNIT_DIRS): UnitUser {
  const dropIns = new Map<string, string>();
  for (const dir of unitDirs) {
    let names: string[] = [];
    try {
      names = readdirSync(join(dir, `${UNIT}.d`));
    } catch {
      continue;
    }
    for (const n of names) if (n.endsWith('.conf') && !dropIns.has(n)) dropIns.set(n, join(dir, `${UNIT}.d`, n));
  }
  const files = [unit, ...[...dropIns.keys()].sort().map((n) => dropIns.get(n) as string)];
  const found: UnitUser = { user: null, from: null, makesDirs: false };
  for (const f of files) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const [key, value] of serviceSettings(text)) {
      // an empty assignment resets the setting
      if (key === 'User') Object.assign(found, value ? { user: value, from: f } : { user: null, from: null });
      if ((key === 'RuntimeDirectory' || key === 'LogsDirectory') && value) found.makesDirs = true;
    }
  }
  return found;
}

/** Writes doctor's drop-in (atomically), or removes it with `user` null, then has systemd read it when it runs. */
export function setUserDropIn(runner: Runner, user: string | null, configFile: string): void {
  if (user === null) {
    if (existsSync(USER_DROP_IN)) unlinkSync(USER_DROP_IN);
    try {
      rmdirSync(dirname(USER_DROP_IN));
    } catch {
      // the admin's own drop-ins are there
    }
  } else {
    mkdirSync(dirname(USER_DROP_IN), { recursive: true, mode: 0o755 });
    const tmp = `${USER_DROP_IN}.tsv-new`;
    writeFileSync(
      tmp,
      `# Written by \`tsv doctor --fix\` for ${configFile}'s [supervisord] user=${user}.\n` +
        `# The packaged ${UNIT} makes the daemon's run and log directories for\n` +
        `# the user it starts the daemon as (root without User=, given back at every\n` +
        `# start), so it starts the daemon as that user, as supervisord runs once it\n` +
        `# has dropped root. doctor rewrites or removes it when user= changes.\n` +
        `[Service]\nUser=${user}\n`,
      { mode: 0o644 },
    );
    renameSync(tmp, USER_DROP_IN);
  }
  if (!existsSync('/run/systemd/system')) return;
  runner.mustRun(['systemctl', 'daemon-reload'], 'make systemd read the drop-in');
}

export function renderUnit(spec: ServiceSpec): string {
  return renderTemplate('tsv.service', {
    header: generatedHeader('tsv.service'),
    execStart: systemdJoin(daemonArgv(spec)),
    execReload: systemdJoin([...spec.tsv, 'ctl', '-c', spec.configFile, 'update']),
    stopTimeout: spec.stopTimeoutSec,
    system: spec.scope === 'system',
    runDirShown: spec.runDir,
    // a per-user socket is for its user alone
    runDirMode: spec.scope === 'system' ? '0755' : '0700',
    wantedBy: spec.scope === 'system' ? 'multi-user.target' : 'default.target',
    daemonUser: spec.daemonUser,
  });
}

export function tmpfilesPath(spec: ServiceSpec): string {
  if (spec.scope === 'system') return `/etc/tmpfiles.d/${SERVICE_NAME}.conf`;
  const configHome = process.env.XDG_CONFIG_HOME || join(process.env.HOME || homedir(), '.config');
  return join(configHome, 'user-tmpfiles.d', `${SERVICE_NAME}.conf`);
}

/**
 * Who owns the run directory: the daemon's [supervisord] user= and its group,
 * as the unit's RuntimeDirectory= makes it at each start (a `systemd-tmpfiles
 * --create` while it runs would otherwise give it back to root); "-" in a
 * user's tmpfiles is the user they run as.
 */
function tmpfilesOwner(spec: ServiceSpec): { owner: string; group: string } {
  if (spec.scope !== 'system') return { owner: '-', group: '-' };
  if (!spec.daemonUser) return { owner: 'root', group: 'root' };
  const entry = lookupUser(spec.daemonUser);
  return { owner: spec.daemonUser, group: entry ? groupName(entry.gid) : '-' };
}

export function renderTmpfiles(spec: ServiceSpec): string {
  // %t is the user's runtime directory in user-tmpfiles.d
  const dir = spec.scope === 'user' && process.env.XDG_RUNTIME_DIR && spec.runDir.startsWith(process.env.XDG_RUNTIME_DIR) ? `%t${spec.runDir.slice(process.env.XDG_RUNTIME_DIR.length)}` : spec.runDir.replace(/%/g, '%%');
  return renderTemplate('tsv.tmpfiles', {
    header: generatedHeader('tsv.tmpfiles'),
    runDir: dir,
    runDirMode: spec.scope === 'system' ? '0755' : '0700',
    ...tmpfilesOwner(spec),
  });
}

/** Splits an Exec*= value the way systemd does (quotes, backslash escapes, %% and $$). */
export function splitExecLine(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  // the prefixes (-, @, :, +, !) sit before the executable's absolute path
  const s = value.trim().replace(/^[-@:+!|]+(?=["'/])/, '');
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    let word = '';
    let quote: string | null = null;
    for (; i < s.length; i++) {
      const c = s[i];
      if (quote) {
        if (c === quote) quote = null;
        else if (c === '\\' && i + 1 < s.length) word += s[++i];
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '\\' && i + 1 < s.length) word += s[++i];
      else if (/\s/.test(c)) break;
      else word += c;
    }
    // variables are not expanded in the executable, so only its %% is an escape
    word = word.replace(/%%/g, '%');
    out.push(out.length === 0 ? word : word.replace(/\$\$/g, '$'));
  }
  return out;
}

export function unitSetting(text: string, key: string): string | null {
  const m = text.match(new RegExp(`^${key}=(.*)$`, 'm'));
  return m ? m[1] : null;
}

export const systemdBackend: Backend = {
  init: 'systemd',
  definitionPath: unitPath,
  inEffect: installedUnitPath,

  files(spec) {
    return [
      { path: unitPath(spec), content: renderUnit(spec), mode: 0o644, removal: 'uninstall' },
      { path: tmpfilesPath(spec), content: renderTmpfiles(spec), mode: 0o644, removal: 'uninstall' },
    ];
  },

  notRunning,

  activate(runner: Runner, spec: ServiceSpec, changed: boolean) {
    const sc = systemctl(spec);
    if (notRunning(spec)) {
      // `systemctl enable` makes its links without a running systemd; reload and start need one
      runner.mustRun([...sc, 'enable', UNIT], 'start tsv at boot');
      return;
    }
    if (changed) runner.mustRun([...sc, 'daemon-reload'], 'make systemd read the unit');
    const st = this.state(spec);
    if (st.enabled !== true) runner.mustRun([...sc, 'enable', UNIT], 'start tsv at boot');
    if (st.active === true) {
      if (changed) runner.mustRun([...sc, 'restart', UNIT], 'run the changed unit');
    } else {
      // a unit that gave up after too many restarts refuses to start until reset
      if (st.failed) runner.run([...sc, 'reset-failed', UNIT], 'forget earlier failures');
      runner.mustRun([...sc, 'start', UNIT], 'start tsv now');
    }
  },

  state(spec): ServiceState {
    const sc = systemctl(spec);
    const installed = installedUnitPath(spec) !== null;
    const en = run([...sc, 'is-enabled', UNIT]);
    const ac = run([...sc, 'is-active', UNIT]);
    const enabledWord = en.stdout.trim();
    const activeWord = ac.stdout.trim();
    if (spec.scope === 'user' && /Failed to connect to bus/.test(en.stderr + ac.stderr)) {
      // no manager to ask: the unit neither runs nor starts, whatever its links say
      return { installed, enabled: null, active: null, managerDown: true, detail: `your systemd user manager does not run (systemctl --user: ${(ac.stderr || en.stderr).trim()})` };
    }
    return {
      installed,
      enabled: en.error ? null : enabledWord === 'enabled' || enabledWord === 'enabled-runtime',
      active: ac.error ? null : activeWord === 'active' || activeWord === 'reloading',
      failed: activeWord === 'failed',
      detail: `is-enabled: ${enabledWord || en.stderr.trim()}, is-active: ${activeWord || ac.stderr.trim()}`,
    };
  },

  diagnostics(spec) {
    const sc = systemctl(spec);
    const status = run([...sc, 'status', UNIT, '--no-pager', '-l', '-n', '0']);
    const journal = run(
      spec.scope === 'user'
        ? ['journalctl', '--user', '-b', '-u', UNIT, '-n', '30', '--no-pager', '-o', 'short-precise']
        : ['journalctl', '-b', '-u', UNIT, '-n', '30', '--no-pager', '-o', 'short-precise'],
    );
    const parts = [`$ ${sc.join(' ')} status ${UNIT}\n${status.stdout.trimEnd()}`];
    if (ok(journal) || journal.stdout) parts.push(`$ journalctl -b -u ${UNIT} -n 30\n${lastLines(journal.stdout, 30)}`);
    return parts.join('\n');
  },

  enable(runner, spec) {
    runner.mustRun([...systemctl(spec), 'enable', UNIT], 'start tsv at boot');
  },

  start(runner, spec) {
    runner.run([...systemctl(spec), 'reset-failed', UNIT], 'forget earlier failures');
    runner.mustRun([...systemctl(spec), 'start', UNIT], 'start tsv');
  },

  reload(runner, spec) {
    runner.mustRun([...systemctl(spec), 'daemon-reload'], 'make systemd read the unit');
  },

  deactivate(runner, spec) {
    const now = notRunning(spec) ? [] : ['--now'];
    if (existsSync(unitPath(spec))) runner.run([...systemctl(spec), 'disable', ...now, UNIT], 'stop tsv and remove it from boot');
  },

  afterRemove(runner, spec) {
    if (notRunning(spec)) return;
    const sc = systemctl(spec);
    // only a failed unit stays loaded to be reset; of any other systemd says "not loaded"
    if (run([...sc, 'is-failed', UNIT]).stdout.trim() === 'failed') runner.run([...sc, 'reset-failed', UNIT], 'forget its failures');
    runner.run([...sc, 'daemon-reload'], 'make systemd forget the unit');
  },

  installedCommand(spec) {
    const path = installedUnitPath(spec);
    if (path === null) return null;
    const line = unitSetting(readFileSync(path, 'utf8'), 'ExecStart');
    return line === null ? null : splitExecLine(line);
  },
};
