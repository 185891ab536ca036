// `tsv install --boot --from-supervisor` where the tsv package provides the
// service: the package owns the unit and /etc/tsv/supervisord.conf, so
// Supervisor's programs go where the admin's own files go, /etc/tsv/conf.d
// (the main file's own sections in one file of their own), Supervisor's
// service is stopped and disabled, and the package's service restarted to
// run them. If it does not come up, the files written go again and
// Supervisor gets its programs back, as before.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/load';
import { ConfigError } from '../config/errors';
import { backendFor } from './backends';
import { configFacts, type ConfigFacts } from './config-facts';
import { Executor } from './executor';
import { planImport, type ImportPlan } from './import-supervisor';
import type { HostLayout } from './layout';
import { newManifest } from './manifest';
import { waitReady } from './probe';
import { shJoin } from './quote';
import { indent, run } from './run';
import { buildSpec } from './service-spec';
import { giveBack, supervisorService, takeOver } from './supervisor-service';
import { HostError, SERVICE_NAME, type InitSystem, type Output } from './types';

/** The file that takes the sections of Supervisor's main file (its programs, groups, listeners, HTTP servers). */
export const MAIN_SECTIONS_FILE = 'from-supervisord-conf.conf';

/** What the import says, and what it leaves for the admin to carry into the package's own config by hand. */
export function packageImportNotes(plan: ImportPlan, configFile: string, source: string): string[] {
  const notes = [...plan.notes];
  if (plan.supervisordExtra.length) notes.push(`not carried, as ${configFile} is the package's: [supervisord] ${plan.supervisordExtra.map((l) => l.split('\n')[0]).join('; ')} (add them there by hand if the programs need them)`);
  for (const pattern of plan.outside) notes.push(`not carried: [include] ${pattern}, outside ${source}'s directory (add it to ${configFile}'s [include] by hand)`);
  // the package's socket is for root and the tsv group only; a password on it is the admin's choice to carry
  if (plan.auth.unix.length) {
    const user = plan.auth.unix.find((l) => /^username\s*[=:]/.test(l));
    notes.push(
      `not carried: the control socket's login (${user ?? 'a password'}), as ${configFile} is the package's; its socket is open to root and the tsv group only. To keep the login, add the username= and password= lines to its [unix_http_server]${plan.auth.ctl.length ? ' and [supervisorctl]' : ''} by hand`,
    );
  }
  return notes;
}

export interface PackageImport {
  source: string;
  layout: HostLayout;
  init: InitSystem;
  /** the tsv that runs the ctl */
  tsv: string[];
  daemon: string[];
  dryRun: boolean;
}

export async function importIntoPackage(o: PackageImport, output: Output): Promise<number> {
  const say = (t: string): void => output.out(t.endsWith('\n') ? t : t + '\n');
  const configFile = o.layout.configFile;
  if (!existsSync(configFile)) throw new HostError(`the tsv package's config ${configFile} is missing`, 'reinstall the package (apt-get install --reinstall tsv) to get it back');
  const header = `Imported from ${o.source} by tsv install --from-supervisor; the tsv package's service runs it.`;
  const plan = planImport(o.source, o.layout, header, { flat: true });
  say(`tsv install --from-supervisor${o.dryRun ? ' (dry run: nothing is changed)' : ''}: the tsv package provides the service here; Supervisor's programs go into ${o.layout.includeDir}`);
  // nothing of this is recorded for tsv uninstall (no manifest is written): the admin's files, as if copied by hand
  const ex = new Executor(o.dryRun, output, newManifest(o.init, 'system', configFile, o.tsv, o.daemon), null);
  const files = plan.copies.map((c) => ({ path: c.to, content: c.content }));
  if (plan.carried.length) files.push({ path: join(o.layout.includeDir, MAIN_SECTIONS_FILE), content: `; ${header}\n\n${plan.carried.join('\n\n')}\n` });
  const written: string[] = [];
  for (const f of files) {
    if (ex.writeFile({ path: f.path, content: f.content, mode: 0o644, removal: 'purge', onlyIfAbsent: true }, false) === 'created') written.push(f.path);
  }
  for (const n of packageImportNotes(plan, configFile, o.source)) say(`note: ${n}`);

  const undo = (): void => {
    for (const p of written) rmSync(p, { force: true });
  };
  let facts: ConfigFacts | null = null;
  if (!o.dryRun) {
    try {
      facts = configFacts(loadConfig({ file: configFile }).config);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      undo();
      throw new HostError(`with Supervisor's programs the config ${configFile} has an error; the files written were removed again and nothing was changed`, err.render().trimEnd());
    }
  }

  const backend = backendFor(o.init);
  const spec = buildSpec('system', o.layout, configFile, o.tsv, o.daemon, facts);
  const supervisor = supervisorService(o.init);
  const taken = supervisor && (supervisor.enabled || supervisor.active) ? supervisor : null;
  if (taken) takeOver(taken, ex, say);
  if (o.dryRun) {
    say(`would run: restart the ${SERVICE_NAME} service, then check that \`${shJoin([...o.tsv, 'ctl', '-c', configFile, 'status'])}\` answers`);
    return 0;
  }
  let problem: string | null = null;
  try {
    // a restart, not an update: an [inet_http_server] is opened only at start
    backend.activate(ex, spec, true);
    const ready = await waitReady({ serverurl: facts?.serverurl ?? `unix://${spec.socket}` }, { timeoutMs: 30_000 });
    if (!ready.ok) problem = `the service was restarted, but ${ready.message}`;
  } catch (err) {
    if (!(err instanceof HostError)) throw err;
    problem = `${err.message}${err.detail ? `\n${indent(err.detail)}` : ''}`;
  }
  if (problem) {
    output.err(`tsv install: ${problem}\n`);
    undo();
    output.err(`the files written were removed again (${written.join(', ') || 'none'})\n`);
    // the package's service back to the config it ran before
    ex.run(o.init === 'systemd' ? ['systemctl', 'restart', `${SERVICE_NAME}.service`] : ['/etc/init.d/tsv', 'restart'], 'run tsv as before');
    if (taken) giveBack(taken, ex, (t) => output.err(t));
    return 1;
  }
  const status = run([...o.tsv, 'ctl', '-c', configFile, 'status']);
  say(`\n$ tsv status\n${status.stdout.trimEnd() || '(no programs configured)'}`);
  say(`\nSupervisor's programs run under the tsv package's service now (${written.length} file(s) written in ${o.layout.includeDir})`);
  return 0;
}
