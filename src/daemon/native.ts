// Loads tsv's native helper (src/daemon/native/tsv_native.c). The node build
// searches next to the bundle (build/native/), next to the transpiled
// sources, or at TSV_NATIVE_ADDON; a single executable loads its embedded copy.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AddonLoadError, loadEmbeddedAddon } from '../native/assets';
import { isSingleExecutable } from '../native/sea';

export interface NativeSpawnOptions {
  file: string;
  argv: string[];
  env: string[];
  cwd: string | null;
  umask: number;
  uid: number;
  gid: number;
  groups: number[] | null;
  setuidError: string | null;
  redirectStderr: boolean;
  minfds: number;
  /** capacity for the output pipes (F_SETPIPE_SZ), 0 = kernel default */
  pipeSize?: number;
  /** a listening FastCGI socket to become the child's fd 0 (no stdin pipe then) */
  stdinFd?: number;
  /** a file to become the child's fd 1 (no stdout pipe then: stdout -1, and stderr has its pipe whatever redirectStderr says) */
  stdoutFd?: number;
  /** > 0: stdio is a new pseudo-terminal of this many columns (and ptyRows rows); stdout is its master, stdin a copy, stderr -1 */
  ptyCols?: number;
  ptyRows?: number;
  /** rlimit_*: set in the child before user=; soft and hard -1 for unlimited, text for its error line */
  limits?: { resource: string; soft: number; hard: number; text: string }[];
}

export type NativeListenOptions =
  | { path: string; mode: number; uid: number; gid: number; backlog: number }
  | { host: string; port: number; backlog: number };

export interface NativeSpawnResult {
  pid: number;
  /** -1 when stdinFd was given */
  stdin: number;
  stdout: number;
  /** -1 with redirect_stderr */
  stderr: number;
  /** the errno name when execve failed in the child (which then exits 127, as Supervisor's does) */
  execError?: string;
}

export interface NativeAddon {
  spawn(opts: NativeSpawnOptions): NativeSpawnResult;
  /**
   * A child as os.spawnv makes it (pidproxy's): our fds, process group and environment,
   * handlers reset, SIGPIPE and SIGXFSZ ignored; execError names execve's errno (the child then exits 127)
   */
  spawnInherit(file: string, argv: string[]): { pid: number; execError?: string };
  /** TIOCSWINSZ on a terminal: 0 or -errno */
  setWindowSize(fd: number, cols: number, rows: number): number;
  /** clears OPOST on the terminal at fd (output passes untouched): 0 or -errno */
  outputAsIs(fd: number): number;
  /** raw wait status, -1 while running, -2 if not our child */
  waitpid(pid: number): number;
  peekExited(): number;
  /** 0 or an errno name */
  kill(pid: number, sig: number): 0 | string;
  groupsOf(uid: number): { groups: number[]; gid: number; name: string } | null;
  syslog(ident: string, msg: string): void;
  getrlimit(res: 'NOFILE' | 'NPROC'): [number, number];
  setrlimit(res: 'NOFILE' | 'NPROC', soft: number, hard: number): void;
  closeInherited(lowfd: number): number;
  /** malloc_trim(0) under glibc: 1 if memory went back to the system, else 0 (always 0 elsewhere) */
  trimMemory(): number;
  /** prctl(PR_SET_CHILD_SUBREAPER): 0 or -errno (-ENOSYS off Linux) */
  becomeSubreaper(): number;
  /** The process's name for ps -C, pgrep and killall (prctl PR_SET_NAME on the main thread; its command line is unchanged): 0 or -errno. */
  setProcessName(name: string): number;
  /** the LC_CTYPE Python's PEP 538 coercion would set in this environment, or null */
  coercedCtype(): string | null;
  /** the C library's words for an errno number */
  strerror(errno: number): string;
  /** point fds 0, 1, 2 at /dev/null */
  devnullStdio(): void;
  /** a bound, listening, close-on-exec socket's fd; throws with Python's error text */
  fcgiListen(opts: NativeListenOptions): number;
  /**
   * splice(2) up to maxBytes from a pipe to the end of a file (not O_APPEND):
   * bytes moved, 0 at EOF, or -errno (-EAGAIN: pipe empty; -EINVAL: not possible here)
   */
  spliceToFile(pipeFd: number, fileFd: number, maxBytes: number): number;
  /** What the file refused in the last spliceToFile (disk full), taken out of the daemon's spare pipe. */
  takeSpare(): Buffer;
  /** fallocate(2) [offset, offset+length) without changing the file's size: 0 or -errno (-EOPNOTSUPP on tmpfs, where it gains nothing, and where the file system cannot) */
  reserveSpace(fd: number, offset: number, length: number): number;
  /** give back the blocks past the end if the file still ends at `end` (truncate to that size): 0 or -errno */
  trimSpace(fd: number, end: number): number;
  /** read(2) into buffer: bytes read, 0 at EOF, or -errno (no exception for EAGAIN) */
  readInto(fd: number, buffer: Buffer): number;
  /** write(2) of buffer from offset on: bytes written or -errno (no exception for EAGAIN or EPIPE) */
  writeFrom(fd: number, buffer: Buffer, offset: number): number;
  /**
   * An event listener's answers, waited for awake (no sleep, at most budgetNs each) on its stdout fd and read
   * into buffer; after each that is exactly `RESULT 2\nOKREADY\n` the next prepared event (nexts[ends[i-1]..ends[i]])
   * is written to stdinFd at once. Returns the bytes read; out[0] = ns until the first bytes (or a hang-up) came (-1: not within
   * budgetNs), out[1] = prepared events written.
   */
  awaitAnswers(fd: number, budgetNs: number, buffer: Buffer, stdinFd: number, nexts: Buffer | null, ends: Uint32Array | null, out: Float64Array): number;
  /** a blocking, close-on-exec socket connected to the unix socket at `path`; throws with code = errno name */
  connectUnix(path: string): number;
  /** accept(2) on a listening socket: the connection's fd (non-blocking, close-on-exec) or -errno */
  acceptOn(listenFd: number): number;
  /** seconds east of UTC at that time by the C library's localtime (it reads POSIX TZ rules Node's ICU does not) */
  localOffset(epochSeconds: number): number;
  /** F_DUPFD_CLOEXEC: a copy of fd, or -errno */
  dupCloexec(fd: number): number;
  /** one datagram of systemd's notify protocol to socketPath (a path, or "@name": abstract); 0 or -errno, never blocks */
  sdNotify(socketPath: string, message: string): number;
  /** a timerfd that turns readable each time the wall clock is set (TFD_TIMER_CANCEL_ON_SET), or -errno (-ENOSYS off Linux) */
  clockSetWatch(): number;
  /** drains clockSetWatch's fd and arms it again: 1 if the clock was set, 0 if not, or -errno */
  clockWasSet(fd: number): number;
  /**
   * callback(status) while fd is readable or hung up, until stop() or close(). Quiet: fd is a pipe whose
   * writer must not pay for our watching it (never polled; inotify, where the kernel allows; see tsv_native.c).
   * Writable: callback while fd has room for a write instead (a plain poll; never quiet).
   */
  watchReadable(fd: number, callback: (status: number) => void, quiet: boolean, writable?: boolean): ReadableWatch;
}

export interface ReadableWatch {
  start(): void;
  stop(): void;
  /** for good; the fd stays open */
  close(): void;
}

let cached: NativeAddon | null | undefined;
let loadError = '';

/** Where the node build looks: next to the bundle, next to the transpiled sources, or TSV_NATIVE_ADDON. */
export function nativeCandidates(): string[] {
  const list: string[] = [];
  if (process.env.TSV_NATIVE_ADDON) list.push(process.env.TSV_NATIVE_ADDON);
  list.push(join(__dirname, 'native', 'tsv_native.node'));
  list.push(join(__dirname, '..', '..', '..', 'native', 'tsv_native.node'));
  if (process.env.TSV_ROOT) list.push(join(process.env.TSV_ROOT, 'build', 'native', 'tsv_native.node'));
  return list;
}

export function loadNative(): NativeAddon | null {
  if (cached !== undefined) return cached;
  cached = null;
  // A single executable loads its own copy (extracted and verified by src/native/assets.ts) and
  // nothing else: the node build's places beside the binary would be another version, unchecked.
  if (isSingleExecutable()) {
    try {
      cached = loadEmbeddedAddon<NativeAddon>('tsv_native').exports;
    } catch (e) {
      loadError = `the embedded copy: ${e instanceof AddonLoadError ? e.reason : (e as Error).message}`;
    }
    return cached;
  }
  for (const p of nativeCandidates()) {
    if (!existsSync(p)) continue;
    try {
      const mod = { exports: {} as NativeAddon };
      process.dlopen(mod, p);
      cached = mod.exports;
      return cached;
    } catch (e) {
      loadError = `${p}: ${(e as Error).message}`;
    }
  }
  if (!loadError) loadError = `not found (looked in ${nativeCandidates().join(', ')})`;
  return cached;
}

export function nativeLoadError(): string {
  return loadError;
}

export function requireNative(): NativeAddon {
  const n = loadNative();
  if (!n) throw new Error(`tsv's native helper could not be loaded: ${loadError}`);
  return n;
}

/**
 * Python coerces a C locale to a UTF-8 one at start-up (PEP 538) in its own
 * environment, so supervisord's children (and pidproxy's) inherit
 * LC_CTYPE=C.UTF-8 and %(ENV_LC_CTYPE)s sees it; this does the same here.
 */
export function coerceCLocale(): void {
  const ctype = requireNative().coercedCtype();
  if (ctype) process.env.LC_CTYPE = ctype;
}

/**
 * coerceCLocale for the commands that read a config without spawning
 * (`tsv config`, the ctl: supervisorctl is Python too, so its %(ENV_…)s see
 * the coerced LC_CTYPE): without the native helper they go on as they are.
 */
export function coerceCLocaleIfLoaded(): void {
  if (loadNative()) coerceCLocale();
}
