// Which processes on this machine are Supervisor-compatible daemons (tsv's
// or Python's supervisord), and which config each one runs. Read from /proc:
// the daemons doctor must find may have been started by hand, by an init
// script, or by a second `tsv daemon` nobody remembers.
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, normalize, resolve } from 'node:path';
import { configSearchPaths } from '../config/search';
import { scriptIndex } from './tsv-program';
import { procPids, procStat, processRuns } from '../daemon/proc-stat';
import { userName, type Principal } from '../os/accounts';

export interface DaemonProcess {
  pid: number;
  argv: string[];
  kind: 'tsv' | 'supervisord';
  /**
   * the config it runs (resolved), or null when it cannot be told: a relative
   * `-c` (or none) of a process whose working directory this user may not
   * read (another user's daemon, /proc/PID/cwd)
   */
  configFile: string | null;
  /** with configFile null: the relative `-c` path as given, which the config it runs ends with */
  configGiven: string | null;
}

function readArgv(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!raw) return null;
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return null;
  }
}

function isZombie(pid: number): boolean {
  return procStat(pid)?.zombie ?? true;
}

/** The user a process runs as (effective uid and gid) and the groups it really has, from /proc/PID/status. */
export function processCredentials(pid: number): Principal | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const field = (name: string): number[] => (text.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'))?.[1] ?? '').split(/\s+/).filter(Boolean).map(Number);
  const [, uid] = field('Uid');
  const [, gid] = field('Gid');
  if (uid === undefined || gid === undefined) return null;
  return { name: userName(uid), uid, gid, groups: [...new Set([gid, ...field('Groups')])] };
}

/** The daemon's own arguments, if argv is a daemon. */
export function daemonArgs(argv: readonly string[]): string[] | null {
  // the program is argv[0] or, under an interpreter, its script
  for (const i of [0, scriptIndex(argv)]) {
    if (i < 0) continue;
    const name = basename(argv[i]);
    if (name === 'supervisord') return argv.slice(i + 1);
    // tsv, tsv.cjs, and the binaries as make dist names them (tsv-linux-x64)
    if (/^tsv(\.c?js|-[\w.-]+)?$/.test(name) && argv[i + 1] === 'daemon') return argv.slice(i + 2);
  }
  return null;
}

/**
 * Python's supervisord runs in a python interpreter; anything else is tsv (a
 * binary, node, or a supervisord link). Another user's /proc/PID/exe is not
 * ours to read: then its command line says (python3 /usr/bin/supervisord).
 */
function kindOf(pid: number, argv: readonly string[]): 'tsv' | 'supervisord' {
  let exe: string;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    exe = argv[0] ?? '';
  }
  return /python/.test(basename(exe)) ? 'supervisord' : 'tsv';
}

/** supervisord's short options that take a value (getopt's "c:u:m:…"); the rest are flags, which may be clustered (-nc FILE) */
const SHORT_WITH_VALUE = new Set('cumdlyzejiqa'.split(''));

/** -c FILE / -cFILE / -nc FILE / --configuration[=]FILE (and its getopt prefixes). */
export function configArg(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return null;
    if (a.startsWith('-') && !a.startsWith('--') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        if (!SHORT_WITH_VALUE.has(a[j])) continue;
        const value = a.slice(j + 1) || (args[i + 1] ?? null);
        if (a[j] === 'c') return value;
        if (!a.slice(j + 1)) i++; // the value is the next argument
        break;
      }
      continue;
    }
    const long = a.match(/^--([a-z_]+)(=(.*))?$/);
    if (long && long[1].length >= 3 && 'configuration'.startsWith(long[1])) return long[3] ?? args[i + 1] ?? null;
  }
  return null;
}

function canonical(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function cwdOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

export function findDaemons(): DaemonProcess[] {
  const out: DaemonProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const argv = readArgv(pid);
    if (!argv) continue;
    const args = daemonArgs(argv);
    if (!args || isZombie(pid)) continue;
    const cwd = cwdOf(pid);
    const here = (p: string): string | null => (isAbsolute(p) ? p : cwd === null ? null : resolve(cwd, p));
    const given = configArg(args);
    let file = given;
    if (file !== null) file = here(file);
    else {
      // no -c: the first file of the search path, as the daemon saw it (a
      // relative one before an absolute one: unknown without the cwd)
      const script = argv.find((a) => /supervisord$|tsv(\.c?js)?$/.test(a)) ?? argv[0];
      file = null;
      for (const p of configSearchPaths(script)) {
        const at = here(p);
        if (at === null) break;
        if (existsSync(at)) {
          file = at;
          break;
        }
      }
    }
    out.push({ pid, argv, kind: kindOf(pid, argv), configFile: file ? canonical(file) : null, configGiven: file ? null : given });
  }
  return out;
}

/** The daemons (of `all`, else every one found) that run `configFile`, and those whose config cannot be told (which may). */
export function daemonsFor(configFile: string, all: readonly DaemonProcess[] = findDaemons()): { on: DaemonProcess[]; unknown: DaemonProcess[] } {
  const want = canonical(configFile);
  return { on: all.filter((d) => d.configFile === want), unknown: all.filter((d) => d.configFile === null && mayRun(d.configGiven, [resolve(configFile), want])) };
}

/**
 * Whether a daemon started with the relative `-c given` from a directory we
 * cannot see may run one of `paths`: only a path that ends with it (`-c
 * R/sv.conf` from somewhere is no daemon of /etc/tsv/supervisord.conf).
 */
function mayRun(given: string | null, paths: string[]): boolean {
  if (given === null) return true;
  const tail = normalize(given);
  if (tail.startsWith('..')) return true;
  return paths.some((p) => p === tail || p.endsWith(`/${tail}`));
}

/** The process runs: a zombie (killed, not yet reaped by its parent) does not. */
export const isAlive = processRuns;

/** The environment a process runs with (PATH for command lookup). */
export function environOf(pid: number): Record<string, string> | null {
  try {
    const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
    const env: Record<string, string> = {};
    for (const kv of raw.split('\0')) {
      const i = kv.indexOf('=');
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return env;
  } catch {
    return null;
  }
}

/** Where each open fd of the process points (/proc/PID/fd); null when it is not ours to read. */
function readFdTargets(pid: number): string[] | null {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

function openFdTargets(pid: number): string[] {
  return readFdTargets(pid) ?? [];
}

/** Files the process has open that were deleted (path without the " (deleted)" mark); null when its files are not ours to see. */
export function deletedOpenFiles(pid: number): string[] | null {
  const targets = readFdTargets(pid);
  if (targets === null) return null;
  return targets.filter((t) => t.endsWith(' (deleted)')).map((t) => t.slice(0, -' (deleted)'.length));
}

/** The kernel's name of a process (/proc/PID/comm): `supervisord` for Supervisor's and tsv's daemons alike; '' when it is gone. */
export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

const ACCEPTING = 0x10000; // __SO_ACCEPTCON in /proc/net/unix's Flags: a listening socket

/**
 * The paths of the unix sockets process `pid` listens on: its fds' socket
 * inodes matched in /proc/net/unix, which keeps the name a socket was bound
 * to after its file is deleted. Supervisor's link-and-probe bind (tsv's too)
 * binds to `FILE.PID` and links FILE to it, so a `.DIGITS` suffix is dropped:
 * not only `.${pid}`, as a daemonizing supervisord binds before it forks.
 * Empty when its fds are not ours to read.
 */
export function listeningUnixPaths(pid: number): string[] {
  const inodes = new Set(
    openFdTargets(pid)
      .map((t) => /^socket:\[(\d+)\]$/.exec(t)?.[1])
      .filter((i): i is string => i !== undefined),
  );
  if (inodes.size === 0) return [];
  let table = '';
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return [];
  }
  const paths: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode [Path]
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !inodes.has(f[6] ?? '') || (parseInt(f[3] ?? '0', 16) & ACCEPTING) === 0) continue;
    const path = f.slice(7).join(' ');
    if (path.startsWith('/')) paths.push(path.replace(/\.\d+$/, ''));
  }
  return paths;
}

/** The processes holding socket `inode` open (every process only for root). */
export function socketHolders(inode: string): { pid: number; name: string }[] {
  const target = `socket:[${inode}]`;
  return procPids()
    .filter((pid) => openFdTargets(pid).includes(target))
    .map((pid) => ({ pid, name: processName(pid) || '?' }));
}
