// The nspawn harness for the host tests: a Debian bookworm root made once
// with debootstrap into a cache directory outside the repo, and per test a
// container that boots it with real systemd as PID 1 through an overlay (so
// the cached root stays clean and reboots keep the test's changes).
//
// What works on this machine kind (platform-notes §3): systemd-nspawn with
// --register=no --keep-unit (no machined or dbus on the host), talking to the
// container through nsenter into the leader (the child of systemd-nspawn),
// and a reboot ends nspawn with status 133, after which we start it again.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from './common';

export const CACHE = process.env.TSV_TEST_ROOT_CACHE ?? '/var/cache/tsv-test/roots';
export type RootVariant = 'base' | 'supervisor' | 'openrc' | 'userpam' | 'packages';
/** Debian architecture of a root; arm64 and armhf run under qemu-user through binfmt_misc. */
export type RootArch = 'amd64' | 'arm64' | 'armhf';

const QEMU_BINFMT: Record<Exclude<RootArch, 'amd64'>, string> = { arm64: 'qemu-aarch64', armhf: 'qemu-arm' };

const PATH_IN = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function sh(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 600_000, env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (status ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Why the container tests cannot run here, or null when they can. */
export function containerSupport(): string | null {
  if ((process.getuid?.() ?? 1) !== 0) return 'needs root';
  for (const tool of ['systemd-nspawn', 'debootstrap', 'nsenter']) {
    if (sh('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install systemd-container debootstrap)`;
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'the kernel has no overlayfs';
  return null;
}

function mirror(): string {
  try {
    const m = readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8').match(/^URIs:\s*(\S+)/m);
    if (m) return m[1];
  } catch {
    // fall through
  }
  return 'http://deb.debian.org/debian';
}

/**
 * Why a root of `arch` cannot be used here, or null. A foreign root needs
 * qemu-user registered with binfmt_misc (flag F, so the interpreter works
 * inside the container): this mounts binfmt_misc and enables the handler,
 * which lasts until the host reboots (platform-notes §3).
 */
export function archSupport(arch: RootArch): string | null {
  if (arch === 'amd64') return null;
  const handler = QEMU_BINFMT[arch];
  const entry = `/proc/sys/fs/binfmt_misc/${handler}`;
  const enabled = (): boolean => existsSync(entry) && readFileSync(entry, 'utf8').startsWith('enabled');
  if (enabled()) return null;
  if (sh('sh', ['-c', 'command -v update-binfmts']).status !== 0 || !existsSync(`/usr/share/binfmts/${handler}`)) {
    return `${arch} roots need qemu-user-static and binfmt-support (apt-get install qemu-user-static binfmt-support)`;
  }
  if (!existsSync('/proc/sys/fs/binfmt_misc/status')) sh('mount', ['-t', 'binfmt_misc', 'binfmt_misc', '/proc/sys/fs/binfmt_misc']);
  sh('update-binfmts', ['--enable', handler]);
  return enabled() ? null : `could not enable the ${handler} binfmt handler (update-binfmts --enable ${handler})`;
}

/** Runs a command in a root without booting it (package installs while building a variant). */
function inRoot(root: string, script: string): string {
  return must(sh('systemd-nspawn', ['-q', '-D', root, '--register=no', '--keep-unit', '--pipe', '-E', `PATH=${PATH_IN}`, '-E', 'DEBIAN_FRONTEND=noninteractive', '/bin/sh', '-ec', script], { timeoutMs: 900_000 }), `in ${root}: ${script}`);
}

/**
 * The cached root for a variant, built when missing: `base` is debootstrap
 * minbase + systemd; `supervisor` adds Debian's supervisor package (the oracle
 * daemon, disabled); `openrc` swaps systemd-sysv for sysvinit-core + openrc;
 * `userpam` adds libpam-systemd, which per-user systemd managers need;
 * `packages` adds what tsv's .deb depends on beyond minbase (adduser, and
 * libatomic1 on armhf), so `dpkg -i` works without a network.
 */
export function ensureRoot(variant: RootVariant, arch: RootArch = 'amd64'): string {
  const name = variant === 'base' ? `bookworm-${arch}` : `bookworm-${arch}-${variant}`;
  const root = join(CACHE, name);
  if (existsSync(join(root, 'etc/os-release'))) return root;
  const why = archSupport(arch);
  if (why) throw new Error(why);
  mkdirSync(CACHE, { recursive: true });
  const partial = `${root}.partial`;
  rmSync(partial, { recursive: true, force: true });
  if (variant === 'base') {
    const archArgs = arch === 'amd64' ? [] : [`--arch=${arch}`];
    must(sh('debootstrap', ['--variant=minbase', ...archArgs, '--include=systemd,systemd-sysv,dbus', 'bookworm', partial, mirror()], { timeoutMs: 1_800_000 }), 'debootstrap');
  } else {
    const base = ensureRoot('base', arch);
    must(sh('cp', ['-a', '--reflink=auto', base, partial]), 'copy of the base root');
    copyFileSync('/etc/resolv.conf', join(partial, 'etc/resolv.conf'));
    // No service may start while packages are installed.
    writeFileSync(join(partial, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    if (variant === 'supervisor') {
      inRoot(partial, 'apt-get update -qq && apt-get install -y -qq --no-install-recommends supervisor >/dev/null && rm -f /etc/systemd/system/multi-user.target.wants/supervisor.service && apt-get clean');
    } else if (variant === 'packages') {
      const libs = arch === 'armhf' ? ' libatomic1' : '';
      inRoot(partial, `apt-get update -qq && apt-get install -y -qq --no-install-recommends adduser${libs} >/dev/null && apt-get clean`);
    } else if (variant === 'openrc') {
      inRoot(partial, 'apt-get update -qq && apt-get install -y -qq --no-install-recommends sysvinit-core openrc >/dev/null && apt-get clean');
    } else {
      // pam_systemd: without it user@UID.service gets no XDG_RUNTIME_DIR and per-user managers fail
      inRoot(partial, 'apt-get update -qq && apt-get install -y -qq --no-install-recommends libpam-systemd >/dev/null && apt-get clean');
    }
    rmSync(join(partial, 'usr/sbin/policy-rc.d'));
  }
  renameSync(partial, root);
  return root;
}

let counter = 0;

export interface ExecResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** run as this user (with its groups, as after a login) */
  user?: string;
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What runs as PID 1: systemd, sysvinit running OpenRC, or nothing (sleep). */
export type InitKind = 'systemd' | 'sysvinit' | 'none';

/**
 * One container on an overlay of a cached root. `boot: true` runs systemd
 * as PID 1; `boot: false` runs only `sleep infinity` (a machine where no init
 * system runs, for scripts run directly); `init: 'sysvinit'` boots sysvinit,
 * which runs OpenRC (the openrc root).
 */
export class Container {
  readonly name: string;
  readonly dir: string;
  readonly merged: string;
  private nspawn: ChildProcess | null = null;
  private exitWaiters: ((code: number | null) => void)[] = [];
  private lastExit: number | null = null;
  leader = 0;
  nspawnLog = '';

  private constructor(
    readonly lower: string,
    readonly init: InitKind,
  ) {
    this.name = `tsvt${process.pid}x${++counter}`;
    this.dir = mkdtempSync(join(tmpdir(), 'tsv-host-'));
    this.merged = join(this.dir, 'merged');
    for (const d of ['upper', 'work', 'merged']) mkdirSync(join(this.dir, d));
    must(sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${join(this.dir, 'upper')},workdir=${join(this.dir, 'work')}`, this.merged]), 'overlay mount');
    live.add(this);
  }

  get boot(): boolean {
    return this.init === 'systemd';
  }

  static async create(variant: RootVariant, opts: ({ boot: boolean } | { init: InitKind }) & { arch?: RootArch }): Promise<Container> {
    const init: InitKind = 'init' in opts ? opts.init : opts.boot ? 'systemd' : 'none';
    return new Container(ensureRoot(variant, opts.arch), init);
  }

  /** A path inside the container, as seen from the host. */
  path(p: string): string {
    return join(this.merged, p);
  }

  /** Starts nspawn; resolves when the machine has booted (or the shell runs). Returns ms to ready. */
  async start(): Promise<number> {
    const t0 = Date.now();
    const args = ['-q', '-D', this.merged, '--register=no', '--keep-unit', '-M', this.name];
    if (this.init === 'systemd') args.push('-b', '--console=passive');
    // nspawn -b would prefer systemd's binary, so sysvinit is started by path
    else if (this.init === 'sysvinit') args.push('--console=passive', '/sbin/init');
    else args.push('--as-pid2', '-E', `PATH=${PATH_IN}`, '/bin/sleep', 'infinity');
    const child = spawn('systemd-nspawn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.nspawn = child;
    this.lastExit = null;
    child.stdout?.on('data', (b: Buffer) => (this.nspawnLog += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (this.nspawnLog += b.toString()));
    child.on('exit', (code) => {
      this.lastExit = code;
      this.nspawn = null;
      for (const w of this.exitWaiters.splice(0)) w(code);
    });
    // The leader is nspawn's child; it appears a moment after the fork.
    for (;;) {
      if (this.nspawn === null) throw new Error(`systemd-nspawn exited (${this.lastExit}) before the container started:\n${this.nspawnLog}`);
      // nspawn forks helpers too: the leader is the child that has entered the
      // container's pid namespace and exec'd its init.
      const leader = readChildren(child.pid as number).find(isContainerInit);
      if (leader) {
        this.leader = leader;
        break;
      }
      if (Date.now() - t0 > 30_000) throw new Error(`no container leader after 30 s:\n${this.nspawnLog}`);
      await sleep(10);
    }
    if (this.boot) {
      // systemctl needs the manager's private socket; then --wait blocks until boot has finished.
      while (!existsSync(`/proc/${this.leader}/root/run/systemd/private`)) {
        if (this.nspawn === null || Date.now() - t0 > 60_000) throw new Error(`systemd did not come up:\n${this.nspawnLog}`);
        await sleep(10);
      }
      const r = this.exec(['systemctl', 'is-system-running', '--wait'], { timeoutMs: 120_000 });
      const state = r.stdout.trim();
      if (state !== 'running' && state !== 'degraded') throw new Error(`boot ended in state "${state}": ${r.stderr}\n${this.nspawnLog}`);
    } else if (this.init === 'sysvinit') {
      // booted: OpenRC has entered the default runlevel and finished it
      for (;;) {
        const level = this.sh('cat /run/openrc/softlevel 2>/dev/null').stdout.trim();
        const busy = this.processes().some((p) => /^(\/sbin\/openrc|\/bin\/sh \/etc\/init\.d\/rc)/.test(p.cmdline));
        if (level === 'default' && !busy) break;
        if (this.nspawn === null || Date.now() - t0 > 60_000) throw new Error(`OpenRC did not reach the default runlevel:\n${this.nspawnLog}`);
        await sleep(50);
      }
    } else {
      // wait until the leader has exec'd into the container's init stub
      for (let i = 0; i < 500 && this.exec(['true']).status !== 0; i++) await sleep(10);
    }
    return Date.now() - t0;
  }

  private waitExit(timeoutMs: number): Promise<number | null> {
    if (this.nspawn === null) return Promise.resolve(this.lastExit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`systemd-nspawn did not exit within ${timeoutMs} ms`)), timeoutMs);
      this.exitWaiters.push((code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
  }

  /** `systemctl reboot` inside; nspawn exits 133 and is started again. Returns ms from the reboot request to the booted machine. */
  async reboot(): Promise<{ exitCode: number | null; ms: number }> {
    const t0 = Date.now();
    const exited = this.waitExit(60_000);
    this.exec(this.init === 'systemd' ? ['systemctl', 'reboot'] : ['reboot']);
    const exitCode = await exited;
    await this.start();
    return { exitCode, ms: Date.now() - t0 };
  }

  exec(argv: string[], opts: ExecOptions = {}): ExecResult {
    const env = ['PATH=' + PATH_IN, 'LANG=C.UTF-8', 'TERM=dumb'];
    let cmd = argv;
    if (opts.user) {
      env.push(`HOME=/`, `USER=${opts.user}`, `LOGNAME=${opts.user}`);
      cmd = ['setpriv', `--reuid=${opts.user}`, `--regid=${opts.user}`, '--init-groups', '--', ...argv];
    } else {
      env.push('HOME=/root', 'USER=root');
    }
    // given variables win (env keeps the last of a name)
    env.push(...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`));
    const r = spawnSync('nsenter', ['-t', String(this.leader), '-a', '--', '/usr/bin/env', '-i', ...env, ...cmd], {
      encoding: 'utf8',
      input: opts.input,
      timeout: opts.timeoutMs ?? 120_000,
    });
    return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? `\n[spawn: ${r.error.message}]` : '') };
  }

  /** /bin/sh -c script */
  sh(script: string, opts: ExecOptions = {}): ExecResult {
    return this.exec(['/bin/sh', '-c', script], opts);
  }

  /** As sh(), but throws with the output when it fails. */
  must(script: string, opts: ExecOptions = {}): string {
    const r = this.sh(script, opts);
    if (r.status !== 0) throw new Error(`in container: ${script}\nexit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Command lines of every process in the machine (minbase has no ps). */
  processes(): { pid: number; user: string; cmdline: string }[] {
    const out = this.sh(`for p in /proc/[0-9]*; do [ -r "$p/cmdline" ] || continue; c=$(tr '\\0' ' ' < "$p/cmdline" 2>/dev/null); [ -n "$c" ] && echo "\${p#/proc/} $(stat -c %U "$p") $c"; done`).stdout;
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [pid, user, ...rest] = l.split(' ');
        return { pid: Number(pid), user, cmdline: rest.join(' ').trim() };
      });
  }

  writeFile(p: string, text: string, mode = 0o644): void {
    mkdirSync(dirname(this.path(p)), { recursive: true });
    writeFileSync(this.path(p), text, { mode });
    chmodSync(this.path(p), mode);
  }

  readFile(p: string): string {
    return readFileSync(this.path(p), 'utf8');
  }

  /**
   * Puts tsv in the root as an installed program would be: the host's node
   * and the built bundle (with its native helper and the templates) in
   * /usr/local/lib/tsv, and /usr/local/bin/tsv running them.
   */
  installTsv(): { tsv: string; node: string; script: string } {
    const root = repoRoot();
    const lib = this.path('/usr/local/lib/tsv');
    mkdirSync(lib, { recursive: true });
    copyFileSync(realpathSync(process.execPath), join(lib, 'node'));
    chmodSync(join(lib, 'node'), 0o755);
    copyFileSync(join(root, 'build/tsv.cjs'), join(lib, 'tsv.cjs'));
    if (existsSync(join(root, 'build/native'))) cpSync(join(root, 'build/native'), join(lib, 'native'), { recursive: true });
    cpSync(join(root, 'initscripts'), join(lib, 'initscripts'), { recursive: true });
    this.writeFile('/usr/local/bin/tsv', '#!/bin/sh\nexec /usr/local/lib/tsv/node /usr/local/lib/tsv/tsv.cjs "$@"\n', 0o755);
    return { tsv: '/usr/local/bin/tsv', node: '/usr/local/lib/tsv/node', script: '/usr/local/lib/tsv/tsv.cjs' };
  }

  /** Stops the machine (poweroff, then SIGKILL to nspawn if it hangs). */
  async stop(): Promise<void> {
    if (this.nspawn) {
      const exited = this.waitExit(20_000).catch(() => null);
      if (this.init === 'systemd') this.exec(['systemctl', 'poweroff'], { timeoutMs: 10_000 });
      else if (this.init === 'sysvinit') this.exec(['poweroff'], { timeoutMs: 20_000 });
      else this.nspawn.kill('SIGTERM');
      const code = await exited;
      if (code === null && this.nspawn) {
        this.kill();
        await this.waitExit(10_000).catch(() => null);
      }
    }
  }

  /**
   * SIGKILL to the machine's init, then to nspawn. nspawn's death alone does
   * not take the machine down (measured: its booted systemd, and every daemon
   * in it, ran on after nspawn was killed, and poisoned later tests); the
   * death of a pid namespace's init makes the kernel kill every process in it.
   */
  kill(): void {
    if (!this.nspawn?.pid) return;
    for (const pid of [this.leader, this.nspawn.pid]) {
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // give the kernel and nspawn a moment to tear the machine down before the unmount
    spawnSync('sleep', ['0.5']);
  }

  /** Stops the machine and removes the overlay and its directories. */
  async destroy(): Promise<void> {
    await this.stop();
    cleanupDir(this);
  }
}

const live = new Set<Container>();

function cleanupDir(c: Container): void {
  if (!live.has(c)) return;
  spawnSync('umount', [c.merged]);
  if (spawnSync('mountpoint', ['-q', c.merged]).status === 0) spawnSync('umount', ['-l', c.merged]);
  rmSync(c.dir, { recursive: true, force: true });
  live.delete(c);
}

// A failed or interrupted test must not leave machines or mounts behind.
process.on('exit', () => {
  for (const c of live) {
    c.kill();
    cleanupDir(c);
  }
});

function isContainerInit(pid: number): boolean {
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return comm !== 'systemd-nspawn' && readlinkSync(`/proc/${pid}/ns/pid`) !== readlinkSync('/proc/self/ns/pid') && existsSync(`/proc/${pid}/ns/cgroup`);
  } catch {
    return false;
  }
}

function readChildren(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

// Paths whose contents change by merely running a machine: kernel and
// runtime filesystems, journals and login records, the init systems' own
// state and caches (systemd's, OpenRC's dependency cache in /usr/lib/rc/cache,
// sysvinit's rotated boot logs), and shadow-utils' backup files (/etc/group-).
const VOLATILE = [
  /^\/(proc|sys|dev|run|tmp|var\/tmp)(\/|$)/,
  /^\/var\/log\/journal(\/|$)/,
  /^\/var\/lib\/systemd(\/|$)/,
  /^\/var\/cache(\/|$)/,
  /^\/etc\/[^/]+-$/,
  /^\/var\/log\/(wtmp|btmp|lastlog|dmesg(\.\d+)?(\.gz)?)$/,
  /^\/var\/lib\/dbus(\/|$)/,
  /^\/usr\/lib\/rc\/cache(\/|$)/,
];

/** Every path in the machine (minus volatile ones) with its type, owner and mode. */
export function fileList(c: Container): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(join(c.merged, rel));
    } catch {
      return;
    }
    for (const n of names) {
      const p = rel === '/' ? `/${n}` : `${rel}/${n}`;
      if (VOLATILE.some((v) => v.test(p))) continue;
      const st = lstatSync(join(c.merged, p));
      const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
      out.set(p, `${kind} ${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`);
      if (kind === 'd') walk(p);
    }
  };
  walk('/');
  return out;
}

export function diffLists(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [p, v] of after) if (!before.has(p)) out.push(`+ ${p} (${v})`);
  for (const [p, v] of before) {
    if (!after.has(p)) out.push(`- ${p} (${v})`);
    else if (after.get(p) !== v) out.push(`~ ${p} (${v} -> ${after.get(p)})`);
  }
  return out;
}

/**
 * Which daemon the end-to-end tests run: tsv's own once it serves XML-RPC
 * through its socket, else Debian's supervisord. TSV_HOST_TEST_DAEMON=tsv or
 * supervisord forces one.
 */
let daemonChoice: 'tsv' | 'supervisord' | null = null;
export function testDaemon(): 'tsv' | 'supervisord' {
  if (daemonChoice) return daemonChoice;
  const forced = process.env.TSV_HOST_TEST_DAEMON;
  if (forced === 'tsv' || forced === 'supervisord') return (daemonChoice = forced);
  const dir = mkdtempSync(join(tmpdir(), 'tsv-daemon-probe-'));
  try {
    const conf = join(dir, 'supervisord.conf');
    writeFileSync(
      conf,
      `[unix_http_server]\nfile=${dir}/s.sock\n[supervisord]\nlogfile=${dir}/d.log\npidfile=${dir}/d.pid\nchildlogdir=${dir}\n[supervisorctl]\nserverurl=unix://${dir}/s.sock\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n`,
    );
    const cli = join(repoRoot(), 'build/tsv.cjs');
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: '' };
    const d = spawn(process.execPath, [cli, 'daemon', '-n', '-c', conf], { stdio: 'ignore', env });
    const r = spawnSync(process.execPath, [cli, 'wait-ready', '-c', conf, '--timeout', '5', '--pid', String(d.pid), '--quiet'], { env });
    d.kill('SIGKILL');
    daemonChoice = r.status === 0 ? 'tsv' : 'supervisord';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return daemonChoice;
}

/** The variant and install flags for the chosen daemon. */
export function daemonSetup(): { variant: RootVariant; installFlags: string[]; daemon: 'tsv' | 'supervisord' } {
  const daemon = testDaemon();
  return daemon === 'tsv' ? { variant: 'base', installFlags: [], daemon } : { variant: 'supervisor', installFlags: ['--daemon-command', '/usr/bin/supervisord'], daemon };
}

