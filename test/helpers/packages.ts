// Building the deb and rpm packages of scripts/packages.mjs in tests: into a
// temporary directory, once per architecture, with the release settings, plus
// a rebuild at a higher version for the upgrade checks.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './common';
import { ensureDistBinary, type DistArch } from './dist';
import type { RootArch } from './host-container';

export interface PackageArch {
  dist: DistArch;
  deb: RootArch;
  rpm: 'x86_64' | 'aarch64' | 'armv7hl';
}

export const PACKAGE_ARCHES: PackageArch[] = [
  { dist: 'x64', deb: 'amd64', rpm: 'x86_64' },
  { dist: 'arm64', deb: 'arm64', rpm: 'aarch64' },
  { dist: 'armv7l', deb: 'armhf', rpm: 'armv7hl' },
];

/** amd64 always; arm64 and armhf (booted under qemu-user) with TSV_PACKAGES_ALL=1. */
export function packageArches(): PackageArch[] {
  return process.env.TSV_PACKAGES_ALL === '1' ? PACKAGE_ARCHES : PACKAGE_ARCHES.slice(0, 1);
}

export function upstreamVersion(): string {
  return (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export interface BuiltPackages {
  dir: string;
  version: string;
  upgradeVersion: string;
  deb: string;
  compatDeb: string;
  rpm: string;
  compatRpm: string;
  /** the same binary packaged at a higher version (zstd, so it takes a second) */
  upgradeDeb: string;
  upgradeCompatDeb: string;
  upgradeRpm: string;
  /** scripts/packages.mjs's report of the release build (sizes, seconds, Depends) */
  log: string;
  buildSeconds: number;
}

function runPackages(args: string[]): { out: string; seconds: number } {
  const t0 = Date.now();
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync(process.execPath, [join(repoRoot(), 'scripts/packages.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot(), env, timeout: 900_000 });
  if (r.status !== 0) throw new Error(`node scripts/packages.mjs ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  return { out: r.stdout + r.stderr, seconds: (Date.now() - t0) / 1000 };
}

/** Why packages cannot be built here (tools missing), or null. */
export function packagesSupport(arch: PackageArch): string | null {
  const check = spawnSync(process.execPath, [join(repoRoot(), 'scripts/packages.mjs'), '--check', '--lint', '--arch', arch.dist], { encoding: 'utf8' });
  if (check.status !== 0) return `cannot build packages here: ${check.stdout.trim() || check.stderr.trim()} (CI installs these in .ci/run)`;
  const dist = ensureDistBinary(arch.dist);
  return 'skip' in dist ? dist.skip : null;
}

/** Builds both formats for `arch` (and the noarch compat packages) into a fresh temporary directory. */
export function buildPackages(arch: PackageArch): BuiltPackages {
  const dir = mkdtempSync(join(tmpdir(), `tsv-packages-${arch.deb}-`));
  const version = upstreamVersion();
  const upgradeVersion = `${version}+test1`;
  try {
    const release = runPackages(['--arch', arch.dist, '--out', dir]);
    runPackages(['--arch', arch.dist, '--out', dir, '--version', upgradeVersion, '--compression', 'zstd']);
    return {
      dir,
      version,
      upgradeVersion,
      deb: join(dir, `tsv_${version}_${arch.deb}.deb`),
      compatDeb: join(dir, `tsv-supervisor-compat_${version}_all.deb`),
      rpm: join(dir, `tsv-${version}-1.${arch.rpm}.rpm`),
      compatRpm: join(dir, `tsv-supervisor-compat-${version}-1.noarch.rpm`),
      upgradeDeb: join(dir, `tsv_${upgradeVersion}_${arch.deb}.deb`),
      upgradeCompatDeb: join(dir, `tsv-supervisor-compat_${upgradeVersion}_all.deb`),
      upgradeRpm: join(dir, `tsv-${upgradeVersion}-1.${arch.rpm}.rpm`),
      log: release.out,
      buildSeconds: release.seconds,
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export function sh(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000, ...opts });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? `\n[spawn: ${r.error.message}]` : '') };
}

/** Fields of a deb's control file. */
export function debControl(deb: string): Record<string, string> {
  const text = sh('dpkg-deb', ['-f', deb]).stdout;
  const out: Record<string, string> = {};
  let key = '';
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z-]+): ?(.*)$/.exec(line);
    if (m) {
      key = m[1];
      out[key] = m[2];
    } else if (line.startsWith(' ') && key) out[key] += `\n${line}`;
  }
  return out;
}

/** A deb's data members as "mode owner path[ -> target]" lines, without dates and sizes. */
export function debContents(deb: string): string[] {
  return sh('dpkg-deb', ['-c', deb])
    .stdout.split('\n')
    .filter(Boolean)
    .map((l) => {
      const [mode, owner, , , , ...rest] = l.split(/\s+/);
      return `${mode} ${owner} ${rest.join(' ').replace(/^\./, '')}`;
    });
}

/** The text of one file inside a deb. */
export function debFile(deb: string, path: string): string {
  const r = spawnSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xOf - ".$2"', 'sh', deb, path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${path} not in ${deb}: ${r.stderr}`);
  return r.stdout;
}

/** A control member of a deb (postinst, conffiles, ...). */
export function debControlFile(deb: string, name: string): string {
  const r = spawnSync('sh', ['-c', 'dpkg-deb --ctrl-tarfile "$1" | tar -xOf - "./$2"', 'sh', deb, name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name} not in ${deb}: ${r.stderr}`);
  return r.stdout;
}

/**
 * The overrides of a lintian overrides file or an rpmlintrc, each with the
 * comment lines just above it (its justification).
 */
export function justifiedEntries(text: string, isEntry: (line: string) => boolean): { entry: string; why: string }[] {
  const out: { entry: string; why: string }[] = [];
  let comment: string[] = [];
  let lastWasEntry = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) {
      if (lastWasEntry) comment = [];
      comment.push(line.replace(/^#\s?/, ''));
      lastWasEntry = false;
    } else if (line === '') {
      // a justification sits directly above its entries
      comment = [];
      lastWasEntry = false;
    } else if (isEntry(line)) {
      out.push({ entry: line, why: comment.join(' ').trim() });
      lastWasEntry = true;
    }
  }
  return out;
}
