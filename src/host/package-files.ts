// The files the deb and rpm packages take from initscripts/: rendered when a
// package is built (scripts/packages.mjs bundles this module) by the same
// functions `tsv install --boot` uses, so a package and an install cannot
// drift apart. Only the first line differs: it names the package manager as
// the owner instead of `tsv uninstall`.
import { defaultConfigText } from './install';
import { buildSpec } from './service-spec';
import { hostLayout } from './layout';
import { renderTmpfiles, renderUnit } from './backends/systemd';
import { renderInitD } from './backends/sysv';
import { generatedHeader, type TemplateName } from './templates';
import { SERVICE_NAME } from './types';

/** tsv's Tab completion, for BASH_COMPLETION_DIR/tsv (supervisorctl's and supervisord's files link to it). */
export { BASH_SCRIPT } from '../cli/completion-script';
/** bash-completion loads a command's completion from the file of its name here, at its first Tab. */
export const BASH_COMPLETION_DIR = 'usr/share/bash-completion/completions';

export type PackageFormat = 'deb' | 'rpm';

export interface PackageFile {
  /** absolute path on the target system */
  path: string;
  content: string;
  mode: number;
  /** the package manager keeps the admin's edits (dpkg conffile, rpm %config(noreplace)) */
  conffile: boolean;
  template: TemplateName;
}

/** Where a packaged tsv lives; the config, socket and log paths are `tsv install`'s (src/host/layout.ts). */
export const PACKAGE_BIN = '/usr/bin/tsv';

/**
 * TimeoutStopSec (and the init script's stop timeout): `tsv install` derives
 * it from the config it finds, which a package cannot know when it is built.
 * systemd's own default; raise it with `systemctl edit tsv` when the
 * programs' stopwaitsecs add up to more.
 */
export const PACKAGE_STOP_TIMEOUT_SEC = 90;

/**
 * Debian keeps units in /lib/systemd/system up to bookworm (dh_installsystemd
 * puts them there, and deb-systemd-helper of older releases looks nowhere
 * else on a system without merged /usr); rpm distributions use %{_unitdir}.
 */
export function unitDir(format: PackageFormat): string {
  return format === 'deb' ? '/lib/systemd/system' : '/usr/lib/systemd/system';
}

function packageHeader(name: TemplateName, conffile: boolean): string {
  const owner = conffile ? 'a configuration file of the tsv package: your edits are kept on upgrades' : 'installed by the tsv package, which replaces it on upgrades';
  const hint = name === 'tsv.service' ? ' (override settings with `systemctl edit tsv`)' : name === 'tsv.tmpfiles' ? ' (override it in /etc/tmpfiles.d/tsv.conf)' : '';
  return `Rendered from initscripts/${name}.mustache when the package was built; ${owner}${hint}.`;
}

function withPackageHeader(name: TemplateName, text: string, conffile: boolean): string {
  const generated = generatedHeader(name);
  const at = text.indexOf(generated);
  if (at < 0 || text.indexOf(generated, at + 1) >= 0) throw new Error(`initscripts/${name}.mustache: expected its header line exactly once`);
  return text.replace(generated, packageHeader(name, conffile));
}

/**
 * The rendered files for one package format. The deb also carries the LSB
 * init script, for Debian systems booted without systemd; rpm distributions
 * with glibc >= 2.28 all boot systemd, forbid SysV scripts next to a unit,
 * and lack the start-stop-daemon the script uses.
 */
export function packageFiles(format: PackageFormat): PackageFile[] {
  const layout = hostLayout('system', 'linux', {});
  const spec = buildSpec('system', layout, layout.configFile, [PACKAGE_BIN], [PACKAGE_BIN, 'daemon'], null);
  spec.stopTimeoutSec = PACKAGE_STOP_TIMEOUT_SEC;
  const files: PackageFile[] = [
    { path: `${unitDir(format)}/${SERVICE_NAME}.service`, template: 'tsv.service', content: renderUnit(spec), mode: 0o644, conffile: false },
    { path: `/usr/lib/tmpfiles.d/${SERVICE_NAME}.conf`, template: 'tsv.tmpfiles', content: renderTmpfiles(spec), mode: 0o644, conffile: false },
    { path: layout.configFile, template: 'supervisord.conf', content: defaultConfigText(layout, layout.configFile), mode: 0o644, conffile: true },
  ];
  if (format === 'deb') files.push({ path: `/etc/init.d/${SERVICE_NAME}`, template: 'tsv.init-d', content: renderInitD(spec), mode: 0o755, conffile: true });
  return files.map((f) => ({ ...f, content: withPackageHeader(f.template, f.content, f.conffile) }));
}
