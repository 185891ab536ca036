// `tsv uninstall [--purge]`: undo what the manifest says install did, and
// nothing else. A plain uninstall stops and removes the service and keeps
// the config, the logs and the group (a reinstall picks them up again);
// --purge removes those too. Files install replaced are put back.
import { chmodSync, existsSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { groupMembers } from '../os/accounts';
import { deleteGroupArgv } from './group-commands';
import { backendFor } from './backends';
import { packagedUnitPath } from './backends/systemd';
import { hostLayout } from './layout';
import { readManifest, writeManifest, type Manifest } from './manifest';
import { shJoin } from './quote';
import { describeFailure, indent, ok, run, type RunResult } from './run';
import { buildSpec, type Runner } from './service-spec';
import { HostError, type Output, type Scope } from './types';

export interface UninstallOptions {
  user: boolean;
  purge: boolean;
  dryRun: boolean;
}

class UninstallRunner implements Runner {
  constructor(
    readonly dryRun: boolean,
    private readonly say: (t: string) => void,
  ) {}

  run(argv: string[], why: string): RunResult {
    if (this.dryRun) {
      this.say(`would run: ${shJoin(argv)}    # ${why}`);
      return { argv, status: 0, stdout: '', stderr: '' };
    }
    this.say(`running: ${shJoin(argv)}`);
    const r = run(argv);
    const text = (r.stdout + r.stderr).trim();
    if (text) this.say(indent(text));
    return r;
  }

  mustRun(argv: string[], why: string): RunResult {
    const r = this.run(argv, why);
    if (!ok(r)) throw new HostError(`${why} failed`, describeFailure(r));
    return r;
  }
}

function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}

export async function uninstall(opts: UninstallOptions, output: Output): Promise<number> {
  const say = (t: string): void => output.out(t.endsWith('\n') ? t : t + '\n');
  const scope: Scope = opts.user ? 'user' : 'system';
  if (scope === 'system' && (process.getuid?.() ?? 0) !== 0 && !opts.dryRun) {
    throw new HostError('removing the boot service needs root', 'run it with sudo (or --user for a per-user install)');
  }
  const layout = hostLayout(scope);
  const m = readManifest(layout.manifest);
  if (!m) {
    say(`tsv is not installed here: there is no manifest at ${layout.manifest}; nothing to do`);
    return 0;
  }
  const purge = opts.purge;
  const dry = opts.dryRun;
  say(`tsv uninstall${purge ? ' --purge' : ''}${dry ? ' (dry run: nothing is changed)' : ''}: ${m.init} service ${m.service}, installed ${m.installedAt}`);
  const runner = new UninstallRunner(dry, say);
  const packaged = scope === 'system' ? packagedUnitPath() : null;
  if (packaged) return forgetBesidePackage(m, packaged, layout.manifest, runner, say);
  const backend = backendFor(m.init);
  const spec = buildSpec(m.scope, hostLayout(m.scope, m.init === 'launchd' ? 'darwin' : process.platform), m.configFile, m.tsv, m.daemon, null);

  if (m.installed) backend.deactivate(runner, spec);
  // undone as install did it: Supervisor runs its programs again once tsv has stopped
  if (m.installed && m.supervisorTaken) giveBackToSupervisor(m.supervisorTaken, runner, say, (t) => output.err(t));

  const kept: string[] = [];
  const remaining: Manifest = { ...m, files: [], dirs: [], groups: [], installed: false, supervisorTaken: undefined };
  for (const f of m.files) {
    if (f.removal === 'purge' && !purge) {
      kept.push(f.path);
      remaining.files.push(f);
      continue;
    }
    if (f.previous !== undefined) {
      if (dry) say(`would restore ${f.path} (as it was before tsv install)`);
      else {
        writeFileSync(f.path, f.previous);
        chmodSync(f.path, f.previousMode ?? 0o644);
        say(`restored ${f.path} (as it was before tsv install)`);
      }
      continue;
    }
    if (!existsSync(f.path)) continue;
    if (dry) say(`would remove ${f.path}`);
    else {
      rmSync(f.path, { force: true });
      say(`removed ${f.path}`);
    }
  }
  if (m.installed) backend.afterRemove(runner, spec);

  if (purge && !dry) rmSync(layout.manifest, { force: true });
  // Deepest first, so a directory is empty by the time we reach it.
  const dirs = [...m.dirs].sort((a, b) => b.path.length - a.path.length);
  for (const d of dirs) {
    if (d.removal === 'purge' && !purge) {
      kept.push(d.path);
      remaining.dirs.push(d);
      continue;
    }
    if (!existsSync(d.path)) continue;
    // only tsv's log directory holds nothing but tsv's files; an install
    // before 2026-11-29 also marked the config's directory so, with conf.d in it
    if (d.tree && purge && d.path === layout.logDir) {
      if (dry) say(`would remove ${d.path} and everything in it`);
      else {
        rmSync(d.path, { recursive: true, force: true });
        say(`removed ${d.path} and everything in it`);
      }
    } else if (dry ? true : isEmptyDir(d.path)) {
      if (dry) say(`would remove directory ${d.path} (if empty)`);
      else {
        rmdirSync(d.path);
        say(`removed directory ${d.path}`);
      }
    } else {
      say(`kept ${d.path}: it holds files tsv install did not create`);
      remaining.dirs.push(d);
    }
  }

  for (const g of m.groups) {
    if (!purge) {
      kept.push(`group ${g}`);
      remaining.groups.push(g);
      continue;
    }
    const members = groupMembers(g);
    const note = members.length ? ` (its members were: ${members.join(', ')})` : '';
    if (dry) say(`would run: ${shJoin(deleteGroupArgv(g, process.platform))}${note}`);
    else {
      const r = run(deleteGroupArgv(g, process.platform));
      if (!ok(r)) output.err(`could not remove group ${g}: ${describeFailure(r)}\n`);
      else say(`removed group ${g}${note}`);
    }
  }

  if (!purge && !dry) writeManifest(layout.manifest, remaining);
  if (kept.length) say(`kept (tsv uninstall --purge removes them): ${kept.join(', ')}`);
  say(dry ? 'dry run: nothing was changed' : purge ? 'tsv is uninstalled and purged' : 'tsv is uninstalled');
  return 0;
}

/** Supervisor's service as it was before `tsv install --from-supervisor` stopped and disabled it. */
function giveBackToSupervisor(taken: NonNullable<Manifest['supervisorTaken']>, runner: UninstallRunner, say: (t: string) => void, err: (t: string) => void): void {
  if (!taken.restore.length) return;
  say(`tsv install took the programs over from Supervisor's ${taken.name}: it is put back as it was`);
  const failed = taken.restore.filter((argv) => !ok(runner.run(argv, `give the programs back to Supervisor's ${taken.name}`)));
  if (failed.length) err(`Supervisor's ${taken.name} could not be put back (${failed.map((a) => shJoin(a)).join('; ')} failed): its programs run under no daemon until it is started by hand\n`);
}

/**
 * The tsv package was installed after this hand install: it owns the service
 * name, /etc/tsv, /var/log/tsv and the tsv group now, and a purge of what the
 * hand install recorded would take the package's config, the admin's conf.d
 * and the socket's group with it. Only what would shadow the package goes
 * (its unit, tmpfiles.d file, completion), then the record itself.
 */
function forgetBesidePackage(m: Manifest, packaged: string, manifestPath: string, runner: UninstallRunner, say: (t: string) => void): number {
  const dry = runner.dryRun;
  say(`the tsv package is installed here (${packaged}) and owns the service, /etc/tsv, /var/log/tsv and the tsv group now: they stay`);
  let removed = 0;
  for (const f of m.files) {
    if (f.removal !== 'uninstall' || !existsSync(f.path)) continue;
    removed++;
    if (dry) say(`would remove ${f.path} (it would override the package's)`);
    else {
      rmSync(f.path, { force: true });
      say(`removed ${f.path} (it would override the package's)`);
    }
  }
  if (removed && m.init === 'systemd') {
    runner.run(['systemctl', 'daemon-reload'], "make systemd run the package's unit");
    if (run(['systemctl', 'is-active', 'tsv.service']).stdout.trim() === 'active') runner.run(['systemctl', 'restart', 'tsv.service'], "run the package's unit now");
  }
  if (dry) say(`would remove ${manifestPath}`);
  else {
    rmSync(manifestPath, { force: true });
    say(`removed ${manifestPath}: the record of the hand install`);
  }
  say(dry ? 'dry run: nothing was changed' : 'the hand install is forgotten; the tsv package runs the service');
  return 0;
}
