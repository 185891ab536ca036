// `make packages`: deb and rpm packages of the single executables of `make dist`.
//
//   dist/tsv_<version>_{amd64,arm64,armhf}.deb    dist/tsv-<version>-<release>.{x86_64,aarch64,armv7hl}.rpm
//   dist/tsv-supervisor-compat_<version>_all.deb  dist/tsv-supervisor-compat-<version>-<release>.noarch.rpm
//
// Built with the standard tools only: dpkg-deb --root-owner-group and
// rpmbuild --target, from trees staged here. The unit, tmpfiles.d file, init
// script and default config are rendered by src/host/package-files.ts, i.e.
// by the functions and templates `tsv install --boot` uses. Maintainer
// scripts, control and spec templates, lintian overrides and the rpmlint
// filters are in packaging/ (see packaging/README.md for the choices).
//
// Usage: node scripts/packages.mjs [--arch x64,arm64,armv7l] [--format deb,rpm]
//          [--version V] [--release N] [--compression xz|zstd|gzip|none] [--level N]
//          [--out DIR] [--lint] [--check]
// Intermediate files go to $TSV_DIST_CACHE/packages (default ~/.cache/tsv-dist), never into the repo.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync, existsSync, lutimesSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { cacheDir, execFor } from './dist.mjs';
import { cleanEnv, CommandError, onPath, run } from './proc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const Mustache = require('mustache');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nodeVersions = JSON.parse(readFileSync(join(root, 'packaging/node-versions.json'), 'utf8')).targets;
const P = (...p) => join(root, 'packaging', ...p);

/** dist architecture → Debian and rpm names, and the binutils that read its ELF files. */
export const ARCHES = {
  x64: { deb: 'amd64', rpm: 'x86_64', triplet: 'x86_64-linux-gnu', lib64: true },
  arm64: { deb: 'arm64', rpm: 'aarch64', triplet: 'aarch64-linux-gnu', lib64: true },
  armv7l: { deb: 'armhf', rpm: 'armv7hl', triplet: 'arm-linux-gnueabihf', lib64: false },
};

const COMPAT_LINKS = ['supervisord', 'supervisorctl', 'echo_supervisord_conf', 'pidproxy'];
/** the links whose Tab completion is tsv's (bash-completion loads a file named for the command) */
const COMPLETED_LINKS = ['supervisord', 'supervisorctl'];
/**
 * Debian's supervisor package names its service supervisor.service (and so do
 * the Ansible handlers and habits made for it): the compat package makes it an
 * alias of tsv.service, a link next to the unit.
 */
const COMPAT_UNIT = 'supervisor.service';

/** The directory the package puts tsv.service in (/lib/systemd/system for the deb, /usr/lib/systemd/system for the rpm), without the leading slash. */
function unitDir(rendered, format) {
  const unit = rendered.packageFiles(format).find((f) => f.path.endsWith('/tsv.service'));
  if (!unit) throw new PackagesError(`no tsv.service among the ${format} package files`);
  return dirname(unit.path).slice(1);
}

class PackagesError extends Error {}

function log(msg) {
  process.stderr.write(`packages: ${msg}\n`);
}

function render(template, view) {
  // Plain text out: no HTML escaping.
  return Mustache.render(readFileSync(template, 'utf8'), view, {}, { escape: (v) => String(v) });
}

// ---- facts about the build ---------------------------------------------------

export function upstreamVersion() {
  return pkg.version;
}

function maintainer() {
  if (process.env.TSV_PACKAGE_MAINTAINER) return process.env.TSV_PACKAGE_MAINTAINER;
  const name = spawnSync('git', ['-C', root, 'config', 'user.name'], { encoding: 'utf8' }).stdout.trim();
  const email = spawnSync('git', ['-C', root, 'config', 'user.email'], { encoding: 'utf8' }).stdout.trim();
  return name && email ? `${name} <${email}>` : 'tsv developers <dev@tsv.invalid>';
}

/** The commit and its time (the changelog date, SOURCE_DATE_EPOCH for the archives), and the years for the copyright line. */
function commitFacts() {
  const r = spawnSync('git', ['-C', root, 'log', '-1', '--format=%H %ct'], { encoding: 'utf8' });
  const [hash, ct] = r.status === 0 ? r.stdout.trim().split(' ') : ['unknown', String(Math.floor(Date.now() / 1000))];
  const first = spawnSync('git', ['-C', root, 'log', '--reverse', '--format=%ct'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const y0 = new Date(Number(first || ct) * 1000).getUTCFullYear();
  const y1 = new Date(Number(ct) * 1000).getUTCFullYear();
  return { commit: hash.slice(0, 12), epoch: Number(ct), years: y0 === y1 ? String(y1) : `${y0}-${y1}` };
}

/** What is missing to build `formats`; empty when ready. */
export function missingPrerequisites(arches, formats, { lint = false } = {}) {
  const missing = new Set();
  for (const a of arches.map((n) => ARCHES[n])) if (!onPath(`${a.triplet}-objdump`)) missing.add(a.triplet === 'x86_64-linux-gnu' ? 'binutils' : `binutils-${a.triplet}`);
  // foreign binaries run under qemu-user to report their version and addons
  if (arches.some((n) => n !== 'x64') && !onPath('qemu-aarch64-static')) missing.add('qemu-user-static');
  if (formats.includes('deb')) {
    if (!onPath('dpkg-deb')) missing.add('dpkg');
    if (!onPath('fakeroot') && process.getuid?.() !== 0) missing.add('fakeroot');
    for (const lib of ['libc6', 'libstdc++6', 'libgcc-s1', 'libatomic1']) if (!symbolsFile(lib)) missing.add(`${lib} (its dpkg symbols file)`);
    if (lint && !onPath('lintian')) missing.add('lintian');
  }
  if (formats.includes('rpm')) {
    if (!onPath('rpmbuild')) missing.add('rpm');
    if (lint && !onPath('rpmlint')) missing.add('rpmlint');
  }
  return [...missing];
}

// ---- dependencies from the ELF files -------------------------------------------

/** Library soname → the Debian package that has it. */
const DEB_LIBS = {
  'libc.so.6': 'libc6', 'libm.so.6': 'libc6', 'libdl.so.2': 'libc6', 'libpthread.so.0': 'libc6', 'librt.so.1': 'libc6', 'libutil.so.1': 'libc6',
  'ld-linux-x86-64.so.2': 'libc6', 'ld-linux-aarch64.so.1': 'libc6', 'ld-linux-armhf.so.3': 'libc6',
  'libstdc++.so.6': 'libstdc++6', 'libgcc_s.so.1': 'libgcc-s1', 'libatomic.so.1': 'libatomic1',
};

/** NEEDED libraries and the symbol versions the file requires from each. */
function elfNeeds(arch, file) {
  const out = run(`${ARCHES[arch].triplet}-objdump`, ['-p', file]);
  const needs = new Map();
  for (const m of out.matchAll(/^\s+NEEDED\s+(\S+)$/gm)) needs.set(m[1], new Set());
  let lib = null;
  for (const line of out.split('\n')) {
    const from = /^\s+required from (\S+):$/.exec(line);
    if (from) {
      lib = from[1];
      if (!needs.has(lib)) needs.set(lib, new Set());
      continue;
    }
    const v = /^\s+0x[0-9a-f]+ 0x[0-9a-f]+ \d+ (\S+)$/.exec(line);
    if (v && lib) needs.get(lib).add(v[1]);
    else if (!/^\s/.test(line)) lib = null;
  }
  return needs;
}

function symbolsFile(debPackage) {
  const r = spawnSync('dpkg-query', ['--control-path', debPackage, 'symbols'], { encoding: 'utf8' });
  const file = r.status === 0 ? r.stdout.trim().split('\n')[0] : '';
  return file && existsSync(file) ? file : null;
}

const versionNodeCache = new Map();

/**
 * The GCC release that introduced each newer libstdc++ symbol version (the
 * libstdc++ manual, "ABI Policy and Guidelines"); Debian's libstdc++6
 * versions are GCC's. Debian's symbols file records some of them later than
 * that (CXXABI_1.3.11 and GLIBCXX_3.4.23 as 10.2, though GCC 7 has them), which
 * would shut out systems that can run the binary, such as Debian 10.
 */
const LIBSTDCXX_NODES = {
  'GLIBCXX_3.4.20': '4.9', 'GLIBCXX_3.4.21': '5', 'GLIBCXX_3.4.22': '6', 'GLIBCXX_3.4.23': '7', 'GLIBCXX_3.4.24': '7.2',
  'GLIBCXX_3.4.25': '8', 'GLIBCXX_3.4.26': '9', 'GLIBCXX_3.4.27': '9.2', 'GLIBCXX_3.4.28': '9.3', 'GLIBCXX_3.4.29': '11',
  'GLIBCXX_3.4.30': '12', 'GLIBCXX_3.4.31': '13', 'GLIBCXX_3.4.32': '13.2', 'GLIBCXX_3.4.33': '14',
  'CXXABI_1.3.8': '4.9', 'CXXABI_1.3.9': '5', 'CXXABI_1.3.10': '6', 'CXXABI_1.3.11': '7', 'CXXABI_1.3.12': '9',
  'CXXABI_1.3.13': '11', 'CXXABI_1.3.14': '13', 'CXXABI_1.3.15': '14',
  // armhf only, so absent from an amd64 host's symbols file
  'CXXABI_ARM_1.3.3': '4.4',
};

/**
 * The version of `debPackage` that introduced symbol version `node`, from the
 * host's dpkg symbols file (its `NODE@NODE <version>` lines, which do not
 * depend on the architecture), or from LIBSTDCXX_NODES. Baselines missing
 * there (GLIBC_2.4 on armhf) fall back to the number in the name.
 */
function minVersionFor(debPackage, node) {
  if (debPackage === 'libstdc++6' && LIBSTDCXX_NODES[node]) return LIBSTDCXX_NODES[node];
  if (!versionNodeCache.has(debPackage)) {
    const file = symbolsFile(debPackage);
    if (!file) throw new PackagesError(`no dpkg symbols file for ${debPackage} on this host (apt-get install ${debPackage})`);
    const map = new Map();
    for (const m of readFileSync(file, 'utf8').matchAll(/^ (\S+)@(\S+) (\S+)/gm)) if (m[1] === m[2]) map.set(m[1], m[3]);
    versionNodeCache.set(debPackage, map);
  }
  const known = versionNodeCache.get(debPackage).get(node);
  if (known) return known;
  const m = /^(?:GLIBC|GCC)_(\d+(?:\.\d+)*)$/.exec(node);
  if (m) return m[1];
  throw new PackagesError(`${debPackage}: no version known for the symbol version ${node}`);
}

function debVersionGreater(a, b) {
  return spawnSync('dpkg', ['--compare-versions', a, 'gt', b]).status === 0;
}

/** Union of the needs of several ELF files. */
function mergedNeeds(arch, files) {
  const all = new Map();
  for (const f of files) {
    for (const [lib, nodes] of elfNeeds(arch, f)) {
      if (!all.has(lib)) all.set(lib, new Set());
      for (const n of nodes) all.get(lib).add(n);
    }
  }
  return all;
}

/**
 * Depends for the binary and the addons it extracts at run time: each
 * library's package at the version that introduced the newest symbol
 * version used. dpkg-shlibdeps, which looks at each symbol, asks for more
 * on a bookworm host: libc6 (>= 2.34), because the pthread functions moved
 * from libpthread into libc there, and libstdc++6 (>= 10.2) (see
 * LIBSTDCXX_NODES); Node's own floor is glibc 2.28. libgcc-s1 was libgcc1
 * before bullseye.
 */
export function debDepends(arch, files) {
  const min = new Map();
  for (const [lib, nodes] of mergedNeeds(arch, files)) {
    const p = DEB_LIBS[lib];
    if (!p) throw new PackagesError(`${arch}: the binary needs ${lib}, which packaging/scripts do not map to a Debian package`);
    let v = min.get(p) ?? null;
    for (const n of nodes) {
      const nv = minVersionFor(p, n);
      if (v === null || debVersionGreater(nv, v)) v = nv;
    }
    min.set(p, v);
  }
  const order = ['libc6', 'libstdc++6', 'libgcc-s1', 'libatomic1'];
  const deps = [...min.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b)).map((p) => {
    const v = min.get(p);
    const dep = v ? `${p} (>= ${v})` : p;
    return p === 'libgcc-s1' ? `${dep} | libgcc1${v ? ` (>= 1:${v})` : ''}` : dep;
  });
  // the postinst creates the tsv group with addgroup
  return [...deps, 'adduser'];
}

/**
 * rpm generates Requires from the binary itself; these are the symbol
 * versions only the embedded addons need, in rpm's own spelling.
 */
function rpmExtraRequires(arch, bin, addons) {
  const mine = mergedNeeds(arch, [bin]);
  const extra = [];
  const suffix = ARCHES[arch].lib64 ? '(64bit)' : '';
  for (const [lib, nodes] of mergedNeeds(arch, addons)) {
    if (!mine.has(lib)) extra.push(`${lib}()${suffix}`);
    for (const n of nodes) if (!mine.get(lib)?.has(n)) extra.push(`${lib}(${n})${suffix}`);
  }
  return extra.sort();
}

// ---- the binary ------------------------------------------------------------------

/**
 * The dist binary, checked (version line, architecture), and the native
 * addons it carries, extracted by the binary itself so their library needs
 * count too.
 */
function inspectBinary(arch, work) {
  const bin = join(root, 'dist', `tsv-linux-${arch}`);
  if (!existsSync(bin)) throw new PackagesError(`${bin} is missing: run \`make dist\` (or node scripts/dist.mjs --arch ${arch}) first`);
  const line = execFor(arch, bin, ['--version'], { env: cleanEnv() }).trim();
  const want = `tsv ${upstreamVersion()} (node v${nodeVersions[arch].version}, ${arch})`;
  if (line !== want) throw new PackagesError(`${bin} --version printed ${JSON.stringify(line)}, expected ${JSON.stringify(want)}: rebuild it with make dist`);
  const cache = join(work, 'native');
  rmSync(cache, { recursive: true, force: true });
  const out = execFor(arch, bin, ['selftest', 'native'], { env: cleanEnv({ TSV_NATIVE_CACHE: cache }) });
  const addons = [...out.matchAll(/^(?:pty|tsv_native): (\/\S+\.node)$/gm)].map((m) => m[1]);
  if (addons.length === 0) throw new PackagesError(`${bin} selftest native extracted no addons:\n${out}`);
  return { bin, addons };
}

// ---- rendered files --------------------------------------------------------------

let packageFilesModule = null;

/** src/host/package-files.ts, bundled as dist bundles the CLI, reading the templates from initscripts/. */
async function renderer(work) {
  if (packageFilesModule) return packageFilesModule;
  const out = join(work, 'package-files.cjs');
  await build({
    entryPoints: [join(root, 'src/host/package-files.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: out,
    define: { TSV_VERSION: JSON.stringify(pkg.version) },
    logLevel: 'warning',
  });
  process.env.TSV_INITSCRIPTS = join(root, 'initscripts');
  packageFilesModule = require(out);
  return packageFilesModule;
}

// ---- licences ----------------------------------------------------------------------

/** The npm packages bundled into the binary: the production dependency tree. */
function bundledNpmPackages() {
  const seen = new Map();
  const visit = (name, from) => {
    let dir = from;
    let found = null;
    for (;;) {
      const cand = join(dir, 'node_modules', name);
      if (existsSync(join(cand, 'package.json'))) {
        found = cand;
        break;
      }
      if (dir === root || dir === dirname(dir)) break;
      dir = dirname(dir);
    }
    if (!found) throw new PackagesError(`the dependency ${name} is not installed (npm ci)`);
    if (seen.has(found)) return;
    const p = JSON.parse(readFileSync(join(found, 'package.json'), 'utf8'));
    const lic = readdirSync(found).find((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f));
    seen.set(found, { name: p.name, version: p.version, license: p.license, text: lic ? readFileSync(join(found, lic), 'utf8').trim() : null });
    for (const d of Object.keys(p.dependencies ?? {})) visit(d, found);
  };
  for (const d of Object.keys(pkg.dependencies ?? {})) visit(d, root);
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function nodeLicense(arch) {
  const { package: name, version } = nodeVersions[arch];
  const tgz = join(cacheDir(), `${name}-${version}.tgz`);
  if (!existsSync(tgz)) throw new PackagesError(`${tgz} is missing: run make dist first`);
  return run('tar', ['-xzOf', tgz, 'package/LICENSE']).trim();
}

const MIT = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.`;

function copyrightText(arch, years) {
  const head = `tsv: a process control system compatible with Supervisor

Copyright (c) ${years} tsv developers
License: MIT (Expat)

${MIT}`;
  if (!arch) return `${head}\n`;
  const { package: name, version } = nodeVersions[arch];
  const npm = bundledNpmPackages();
  const parts = [
    head,
    `/usr/bin/tsv is a Node.js single-executable application. Besides tsv's own
code it contains:

 - Node.js ${version} (the npm package ${name}): MIT, together with the
   licenses of the libraries Node.js bundles (V8, libuv, OpenSSL, ICU,
   zlib, ...); its LICENSE file is reproduced in full at the end.
${npm.map((p) => ` - ${p.name} ${p.version} (npm): ${p.license}`).join('\n')}

They were written by others; their notices follow.`,
    ...npm.map((p) => `----- ${p.name} ${p.version} -----\n\n${p.text ?? `(no license file; package.json says ${p.license})`}`),
    `----- Node.js ${version} (LICENSE) -----\n\n${nodeLicense(arch)}`,
  ];
  return `${parts.join('\n\n')}\n`;
}

// ---- staging helpers --------------------------------------------------------------

function writeIn(stage, path, content, mode = 0o644) {
  const file = join(stage, path);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

function dirIn(stage, path, mode = 0o755) {
  mkdirSync(join(stage, path), { recursive: true, mode: 0o755 });
  chmodSync(join(stage, path), mode);
}

function linkIn(stage, path, target) {
  mkdirSync(dirname(join(stage, path)), { recursive: true, mode: 0o755 });
  symlinkSync(target, join(stage, path));
}

function gz(text) {
  // -9n: no name or time in the header, as dh_compress does
  return gzipSync(Buffer.from(text), { level: 9 });
}

/** Every directory 0755 (mkdir honours the umask), so the packages do not depend on who built them. */
function normaliseDirs(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    chmodSync(join(dir, e.name), 0o755);
    normaliseDirs(join(dir, e.name));
  }
}

/** Every file, link and directory dated at the commit, so a rebuild of the same commit gives the same archive contents. */
function dateTree(dir, epoch) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) dateTree(p, epoch);
    lutimesSync(p, epoch, epoch);
  }
  lutimesSync(dir, epoch, epoch);
}

function filesUnder(dir, base = dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, base));
    else out.push({ rel: relative(base, p), path: p, file: e.isFile() });
  }
  return out;
}

/** Installed-Size in KiB, as dpkg-gencontrol counts it (1 per file or link, size rounded up per file). */
function installedSizeKiB(stage) {
  let kib = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'DEBIAN' && d === stage) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) {
        kib += 1;
        walk(p);
      } else if (e.isFile()) kib += Math.ceil(statSync(p).size / 1024) || 1;
      else kib += 1;
    }
  };
  walk(stage);
  return kib;
}

// ---- .deb -----------------------------------------------------------------------------

function dpkgDeb(stage, out, { compression, level, epoch }) {
  const args = ['--root-owner-group', `-Z${compression}`];
  if (compression !== 'none' && level !== undefined) args.push(`-z${level}`);
  if (compression === 'xz' || compression === 'zstd') args.push(`--threads-max=${cpus().length}`);
  const env = { ...process.env, SOURCE_DATE_EPOCH: String(epoch) };
  // --root-owner-group makes every file root:root without fakeroot; non-root builds still need fakeroot for the modes.
  if (process.getuid?.() === 0) run('dpkg-deb', [...args, '--build', stage, out], { env });
  else run('fakeroot', ['dpkg-deb', ...args, '--build', stage, out], { env });
}

function debMaintainerFiles(stage, conffiles) {
  dirIn(stage, 'DEBIAN');
  for (const s of ['preinst', 'postinst', 'prerm', 'postrm']) writeIn(stage, `DEBIAN/${s}`, readFileSync(P('deb', `tsv.${s}`), 'utf8'), 0o755);
  writeIn(stage, 'DEBIAN/conffiles', conffiles.map((c) => `${c}\n`).join(''));
}

function md5sums(stage) {
  const lines = filesUnder(stage)
    .filter((f) => f.file && !f.rel.startsWith('DEBIAN/'))
    .sort((a, b) => a.rel.localeCompare(b.rel))
    .map((f) => `${createHash('md5').update(readFileSync(f.path)).digest('hex')}  ${f.rel}\n`);
  writeIn(stage, 'DEBIAN/md5sums', lines.join(''));
}

function debChangelog(name, version, facts, who) {
  const date = new Date(facts.epoch * 1000).toUTCString().replace(/GMT$/, '+0000');
  return `${name} (${version}) unstable; urgency=medium\n\n  * Package of tsv ${version}, built from git ${facts.commit}.\n\n -- ${who}  ${date}\n`;
}

async function buildDeb(arch, opts, ctx) {
  const a = ARCHES[arch];
  const work = join(ctx.work, `deb-${a.deb}`);
  const stage = join(work, 'root');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const { bin, addons } = inspectBinary(arch, work);
  const rendered = await renderer(ctx.work);
  const files = rendered.packageFiles('deb');

  writeIn(stage, 'usr/bin/tsv', readFileSync(bin), 0o755);
  for (const f of files) writeIn(stage, f.path.slice(1), f.content, f.mode);
  dirIn(stage, 'etc/tsv/conf.d');
  dirIn(stage, 'var/log/tsv');
  writeIn(stage, 'usr/share/doc/tsv/copyright', copyrightText(arch, ctx.facts.years));
  writeIn(stage, 'usr/share/doc/tsv/changelog.gz', gz(debChangelog('tsv', opts.version, ctx.facts, ctx.maintainer)));
  writeIn(stage, 'usr/share/man/man1/tsv.1.gz', gz(readFileSync(P('tsv.1'), 'utf8')));
  writeIn(stage, `${rendered.BASH_COMPLETION_DIR}/tsv`, rendered.BASH_SCRIPT);
  writeIn(stage, 'usr/share/lintian/overrides/tsv', readFileSync(P('deb', 'tsv.lintian-overrides'), 'utf8'));
  normaliseDirs(stage);

  debMaintainerFiles(stage, files.filter((f) => f.conffile).map((f) => f.path));
  const depends = debDepends(arch, [bin, ...addons]);
  writeIn(stage, 'DEBIAN/control', render(P('deb', 'tsv.control.mustache'), {
    version: opts.version, arch: a.deb, maintainer: ctx.maintainer, installedSize: installedSizeKiB(stage), depends: depends.join(', '), node: nodeVersions[arch].version,
  }));
  md5sums(stage);
  dateTree(stage, ctx.facts.epoch);
  const out = join(opts.out, `tsv_${opts.version}_${a.deb}.deb`);
  const t0 = Date.now();
  dpkgDeb(stage, out, { compression: opts.compression, level: opts.level, epoch: ctx.facts.epoch });
  // the staged tree is another copy of the 75-110 MB binary
  rmSync(work, { recursive: true, force: true });
  return { arch, format: 'deb', file: out, size: statSync(out).size, seconds: (Date.now() - t0) / 1000, depends };
}

async function buildCompatDeb(opts, ctx) {
  const work = join(ctx.work, 'deb-all');
  const stage = join(work, 'root');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const rendered = await renderer(ctx.work);
  for (const l of COMPAT_LINKS) {
    linkIn(stage, `usr/bin/${l}`, 'tsv');
    linkIn(stage, `usr/share/man/man1/${l}.1.gz`, 'tsv.1.gz');
  }
  for (const l of COMPLETED_LINKS) linkIn(stage, `${rendered.BASH_COMPLETION_DIR}/${l}`, 'tsv');
  linkIn(stage, `${unitDir(rendered, 'deb')}/${COMPAT_UNIT}`, 'tsv.service');
  writeIn(stage, 'usr/share/doc/tsv-supervisor-compat/copyright', copyrightText(null, ctx.facts.years));
  writeIn(stage, 'usr/share/doc/tsv-supervisor-compat/changelog.gz', gz(debChangelog('tsv-supervisor-compat', opts.version, ctx.facts, ctx.maintainer)));
  writeIn(stage, 'usr/share/lintian/overrides/tsv-supervisor-compat', readFileSync(P('deb', 'tsv-supervisor-compat.lintian-overrides'), 'utf8'));
  normaliseDirs(stage);
  dirIn(stage, 'DEBIAN');
  for (const s of ['postinst', 'postrm']) writeIn(stage, `DEBIAN/${s}`, readFileSync(P('deb', `tsv-supervisor-compat.${s}`), 'utf8'), 0o755);
  writeIn(stage, 'DEBIAN/control', render(P('deb', 'tsv-supervisor-compat.control.mustache'), { version: opts.version, maintainer: ctx.maintainer, installedSize: installedSizeKiB(stage) }));
  md5sums(stage);
  dateTree(stage, ctx.facts.epoch);
  const out = join(opts.out, `tsv-supervisor-compat_${opts.version}_all.deb`);
  const t0 = Date.now();
  dpkgDeb(stage, out, { compression: opts.compression, level: opts.level, epoch: ctx.facts.epoch });
  return { arch: 'all', format: 'deb', file: out, size: statSync(out).size, seconds: (Date.now() - t0) / 1000 };
}

// ---- .rpm -----------------------------------------------------------------------------

function rpmChangelogDate(epoch) {
  const d = new Date(epoch * 1000);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, '0')} ${d.getUTCFullYear()}`;
}

async function buildRpm(arch, opts, ctx) {
  const a = ARCHES[arch];
  const work = join(ctx.work, `rpm-${a.rpm}`);
  const stage = join(work, 'root');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const { bin, addons } = inspectBinary(arch, work);
  const rendered = await renderer(ctx.work);
  const files = rendered.packageFiles('rpm');

  writeIn(stage, 'usr/bin/tsv', readFileSync(bin), 0o755);
  for (const f of files) writeIn(stage, f.path.slice(1), f.content, f.mode);
  dirIn(stage, 'etc/tsv/conf.d');
  dirIn(stage, 'var/log/tsv');
  dirIn(stage, 'run/tsv');
  writeIn(stage, 'usr/share/licenses/tsv/copyright', copyrightText(arch, ctx.facts.years));
  writeIn(stage, 'usr/share/man/man1/tsv.1.gz', gz(readFileSync(P('tsv.1'), 'utf8')));
  writeIn(stage, `${rendered.BASH_COMPLETION_DIR}/tsv`, rendered.BASH_SCRIPT);
  for (const l of COMPAT_LINKS) {
    linkIn(stage, `usr/bin/${l}`, 'tsv');
    linkIn(stage, `usr/share/man/man1/${l}.1.gz`, 'tsv.1.gz');
  }
  for (const l of COMPLETED_LINKS) linkIn(stage, `${rendered.BASH_COMPLETION_DIR}/${l}`, 'tsv');
  linkIn(stage, `${unitDir(rendered, 'rpm')}/${COMPAT_UNIT}`, 'tsv.service');
  normaliseDirs(stage);
  dateTree(stage, ctx.facts.epoch);

  const spec = join(work, 'tsv.spec');
  const extraRequires = rpmExtraRequires(arch, bin, addons);
  writeFileSync(spec, render(P('rpm', 'tsv.spec.mustache'), {
    version: opts.version, release: opts.release, maintainer: ctx.maintainer, node: nodeVersions[arch].version, commit: ctx.facts.commit,
    changelogDate: rpmChangelogDate(ctx.facts.epoch), extraRequires,
  }));
  const top = join(work, 'rpmbuild');
  const t0 = Date.now();
  const payload = { xz: `w${opts.level ?? 6}T.xzdio`, zstd: `w${opts.level ?? 3}T.zstdio`, gzip: `w${opts.level ?? 9}.gzdio`, none: 'w0.ufdio' }[opts.compression];
  run('rpmbuild', ['--define', `_topdir ${top}`, '--define', `tsv_stage ${stage}`, '--define', `tsv_payload ${payload}`, '--define', '_buildhost tsv-build', '--target', a.rpm, '-bb', spec], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(ctx.facts.epoch) },
  });
  const seconds = (Date.now() - t0) / 1000;
  const results = [];
  for (const sub of readdirSync(join(top, 'RPMS'))) {
    for (const f of readdirSync(join(top, 'RPMS', sub))) {
      const out = join(opts.out, f);
      // the noarch compat package comes out of every architecture's build; keep one
      if (sub === 'noarch' && ctx.compatRpmDone) continue;
      renameSync(join(top, 'RPMS', sub, f), out);
      results.push({ arch: sub === 'noarch' ? 'noarch' : arch, format: 'rpm', file: out, size: statSync(out).size, seconds });
      if (sub === 'noarch') ctx.compatRpmDone = true;
    }
  }
  // the staged tree and rpmbuild's buildroot are two more copies of the binary
  rmSync(work, { recursive: true, force: true });
  return results;
}

// ---- lint -------------------------------------------------------------------------------

/** lintian on a .deb: its output, and whether it found errors (overrides come from the package). */
export function lintDeb(file) {
  // --show-overrides makes lintian exit 2 for overridden errors as well, so the verdict is read from the output
  const r = spawnSync('lintian', ['--allow-root', '--display-info', '--show-overrides', file], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return { ok: (r.status === 0 || r.status === 2) && !/^E: /m.test(r.stdout), output: `${r.stdout}${r.stderr}`.trim() };
}

export function lintRpm(file) {
  const r = spawnSync('rpmlint', ['-r', P('rpm', 'tsv.rpmlintrc'), file], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

// ---- main -----------------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = {
    arches: Object.keys(ARCHES), formats: ['deb', 'rpm'], version: upstreamVersion(), release: '1', compression: 'xz', level: undefined,
    out: join(root, 'dist'), lint: false, check: false,
  };
  const value = (i, a) => {
    const v = argv[i + 1];
    if (v === undefined) throw new PackagesError(`${a} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--arch') opts.arches = value(i++, a).split(',').filter(Boolean);
    else if (a === '--format') opts.formats = value(i++, a).split(',').filter(Boolean);
    else if (a === '--version') opts.version = value(i++, a);
    else if (a === '--release') opts.release = value(i++, a);
    else if (a === '--compression') opts.compression = value(i++, a);
    else if (a === '--level') opts.level = Number(value(i++, a));
    else if (a === '--out') opts.out = value(i++, a);
    else if (a === '--lint') opts.lint = true;
    else if (a === '--check') opts.check = true;
    else throw new PackagesError(`unknown option ${a}\nusage: node scripts/packages.mjs [--arch x64,arm64,armv7l] [--format deb,rpm] [--version V] [--release N] [--compression xz|zstd|gzip|none] [--level N] [--out DIR] [--lint] [--check]`);
  }
  for (const a of opts.arches) if (!ARCHES[a]) throw new PackagesError(`unknown architecture ${a} (known: ${Object.keys(ARCHES).join(', ')})`);
  for (const f of opts.formats) if (f !== 'deb' && f !== 'rpm') throw new PackagesError(`unknown format ${f} (deb, rpm)`);
  if (!['xz', 'zstd', 'gzip', 'none'].includes(opts.compression)) throw new PackagesError(`unknown compression ${opts.compression} (xz, zstd, gzip, none)`);
  if (opts.level === undefined && opts.compression === 'xz') opts.level = 6;
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(opts.version)) throw new PackagesError(`--version ${opts.version}: a Debian upstream version (digits first; letters, digits, . + ~)`);
  return opts;
}

export async function buildPackages(opts) {
  const missing = missingPrerequisites(opts.arches, opts.formats, { lint: opts.lint });
  if (missing.length) throw new PackagesError(`cannot build packages; missing: ${missing.join(', ')}`);
  mkdirSync(opts.out, { recursive: true });
  const ctx = { work: join(cacheDir(), 'packages'), facts: commitFacts(), maintainer: maintainer(), compatRpmDone: false };
  mkdirSync(ctx.work, { recursive: true });
  const results = [];
  for (const arch of opts.arches) {
    if (opts.formats.includes('deb')) results.push(await buildDeb(arch, opts, ctx));
    if (opts.formats.includes('rpm')) results.push(...(await buildRpm(arch, opts, ctx)));
  }
  if (opts.formats.includes('deb')) results.push(await buildCompatDeb(opts, ctx));
  for (const r of results) log(`${relative(process.cwd(), r.file) || r.file}: ${(r.size / 1e6).toFixed(1)} MB (${r.size} B), ${r.seconds.toFixed(1)} s${r.depends ? `; Depends: ${r.depends.join(', ')}` : ''}`);
  if (opts.lint) {
    let bad = 0;
    for (const r of results) {
      const l = r.format === 'deb' ? lintDeb(r.file) : lintRpm(r.file);
      log(`${r.format === 'deb' ? 'lintian' : 'rpmlint'} ${relative(process.cwd(), r.file)}: ${l.ok ? 'no errors' : 'ERRORS'}\n${l.output.replace(/^/gm, '  ')}`);
      if (!l.ok) bad++;
    }
    if (bad) throw new PackagesError(`${bad} package(s) have lint errors`);
  }
  return results;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.check) {
    const m = missingPrerequisites(opts.arches, opts.formats, { lint: opts.lint });
    if (m.length) process.stdout.write(`missing: ${m.join(', ')}\n`);
    process.exitCode = m.length ? 1 : 0;
    return;
  }
  await buildPackages(opts);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    process.stderr.write(`packages: ${e instanceof PackagesError || e instanceof CommandError ? e.message : e.stack}\n`);
    process.exitCode = 1;
  });
}
