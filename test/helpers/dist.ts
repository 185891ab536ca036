// Building and running the single-executable binaries of scripts/dist.mjs in tests.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './common';

export type DistArch = 'x64' | 'arm64' | 'armv7l';

/** How this x64 host runs each architecture: natively, or under qemu-user with Debian's cross sysroot. */
const RUNNERS: Record<DistArch, { qemu: string; sysroot: string } | null> = {
  x64: null,
  arm64: { qemu: 'qemu-aarch64-static', sysroot: '/usr/aarch64-linux-gnu' },
  armv7l: { qemu: 'qemu-arm-static', sysroot: '/usr/arm-linux-gnueabihf' },
};

/** The architectures to test: x64 always, all three with TSV_DIST_ALL=1. */
export function distArches(): DistArch[] {
  return process.env.TSV_DIST_ALL === '1' ? ['x64', 'arm64', 'armv7l'] : ['x64'];
}

export function distBinary(arch: DistArch): string {
  return join(repoRoot(), 'dist', `tsv-linux-${arch}`);
}

/** Where scripts/dist.mjs keeps downloads and intermediate files (same rule as its cacheDir()). */
export function distCacheDir(): string {
  return process.env.TSV_DIST_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tsv-dist');
}

export function pinnedNodeVersion(arch: DistArch): string {
  const v = JSON.parse(readFileSync(join(repoRoot(), 'packaging/node-versions.json'), 'utf8')) as { targets: Record<string, { version: string }> };
  return v.targets[arch].version;
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const name of readdirSync(path)) m = Math.max(m, newestMtime(join(path, name)));
  return m;
}

/** Inputs of the binary: when one is newer than it, it is rebuilt. */
function stale(bin: string): boolean {
  const root = repoRoot();
  const inputs = ['src', 'initscripts', 'scripts/dist.mjs', 'packaging/node-versions.json', 'packaging/node-checksums.txt', 'package-lock.json'];
  const built = statSync(bin).mtimeMs;
  return inputs.some((p) => existsSync(join(root, p)) && newestMtime(join(root, p)) > built);
}

const prepared = new Map<DistArch, { bin: string } | { skip: string }>();

/**
 * The binary for `arch`, built by scripts/dist.mjs when missing or older than
 * its sources; or why the tests must be skipped (build prerequisites missing).
 * A failing build is a test failure, not a skip.
 */
export function ensureDistBinary(arch: DistArch): { bin: string } | { skip: string } {
  const known = prepared.get(arch);
  if (known) return known;
  const root = repoRoot();
  const bin = distBinary(arch);
  let result: { bin: string } | { skip: string };
  const check = spawnSync(process.execPath, [join(root, 'scripts/dist.mjs'), '--check', '--arch', arch], { encoding: 'utf8' });
  if (check.status !== 0) {
    result = { skip: `cannot build dist/tsv-linux-${arch} here: ${check.stdout.trim() || check.stderr.trim()} (CI installs these in .ci/run)` };
  } else {
    if (!existsSync(bin) || stale(bin)) {
      const b = spawnSync(process.execPath, [join(root, 'scripts/dist.mjs'), '--arch', arch], { encoding: 'utf8', cwd: root });
      if (b.status !== 0) throw new Error(`node scripts/dist.mjs --arch ${arch} failed:\n${b.stdout}${b.stderr}`);
    }
    result = { bin };
  }
  prepared.set(arch, result);
  return result;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** argv[0] as a shell would pass it (the name of a link); defaults to the path run */
  argv0?: string;
  input?: string;
  /** run through `setpriv` as this user and group (root tests only) */
  asUser?: { uid: number; gid: number };
}

/** Environment for timing-free runs: no extra CA file (slow Node 20 start), no NODE_OPTIONS from the test runner. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

/** The command line that runs `file` built for `arch` on this host. */
export function distCommand(arch: DistArch, file: string, args: string[]): [string, string[]] {
  const runner = RUNNERS[arch];
  return runner ? [runner.qemu, ['-L', runner.sysroot, file, ...args]] : [file, args];
}

/** Runs `file` (the binary or a link to it) built for `arch`, under qemu-user for foreign architectures. */
export function runDist(arch: DistArch, file: string, args: string[], opts: RunOptions = {}): SpawnSyncReturns<string> {
  const runner = RUNNERS[arch];
  let cmd = file;
  let argv = args;
  const spawnOpts: Parameters<typeof spawnSync>[2] = {
    encoding: 'utf8',
    env: opts.env ?? cleanEnv(),
    cwd: opts.cwd,
    input: opts.input,
    timeout: 120_000,
  };
  if (runner) {
    cmd = runner.qemu;
    argv = ['-L', runner.sysroot, ...(opts.argv0 ? ['-0', opts.argv0] : []), file, ...args];
  } else if (opts.argv0) {
    spawnOpts.argv0 = opts.argv0;
  }
  if (opts.asUser) {
    argv = [`--reuid=${opts.asUser.uid}`, `--regid=${opts.asUser.gid}`, '--clear-groups', '--', cmd, ...argv];
    cmd = 'setpriv';
  }
  return spawnSync(cmd, argv, spawnOpts) as SpawnSyncReturns<string>;
}

let oldest: string | undefined;

/**
 * The oldest Node tsv runs on (packaging/node-versions.json's `oldest`, the
 * armv7l binaries' Node, built for x64), fetched through npm and checked
 * against packaging/node-checksums.txt by scripts/dist.mjs.
 */
export function oldestNode(): string {
  if (oldest) return oldest;
  const r = spawnSync(process.execPath, [join(repoRoot(), 'scripts/dist.mjs'), '--oldest-node'], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`node scripts/dist.mjs --oldest-node failed:\n${r.stdout}${r.stderr}`);
  oldest = r.stdout.trim();
  return oldest;
}
