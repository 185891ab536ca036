// The private directory a single executable extracts its native addons to.
// It must be one that no other user can write to (a shared object loaded from
// a directory someone else controls runs their code as us), that exists for a
// daemon user without a home directory, and that is not mounted noexec.
import { lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { mountOf } from '../os/mounts';

export function effectiveUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : -1;
}

/**
 * Where to extract, best first: TSV_NATIVE_CACHE when set; for root
 * /run/tsv/native (tmpfs, gone at reboot) then /var/cache/tsv/native; for
 * other users systemd's $RUNTIME_DIRECTORY/native, then
 * $XDG_RUNTIME_DIR/tsv/native; then a per-uid directory in the temp dir;
 * last, for other users, their own cache ($XDG_CACHE_HOME or ~/.cache), used
 * only when the temp dir fails them (mounted noexec, not writable, or
 * another user made tsv-native-<uid> first). assets.ts has one more place
 * when all of these fail: a one-shot directory.
 */
export function cacheDirCandidates(env: NodeJS.ProcessEnv = process.env, euid: number = effectiveUid()): string[] {
  if (env.TSV_NATIVE_CACHE) return [env.TSV_NATIVE_CACHE];
  const list: string[] = [];
  if (euid === 0) list.push('/run/tsv/native', '/var/cache/tsv/native');
  else {
    // a service systemd starts as a user (User=, with RuntimeDirectory=: tsv's unit for [supervisord] user=) has
    // no XDG_RUNTIME_DIR, but a directory of its own, where a /tmp mounted noexec or another user's
    // /tmp/tsv-native-<uid> cannot stop it
    const runtime = env.RUNTIME_DIRECTORY?.split(':')[0];
    if (runtime && isAbsolute(runtime)) list.push(join(runtime, 'native'));
    // the XDG spec: a relative value is to be ignored
    if (env.XDG_RUNTIME_DIR && isAbsolute(env.XDG_RUNTIME_DIR)) list.push(join(env.XDG_RUNTIME_DIR, 'tsv', 'native'));
  }
  list.push(join(tmpdir(), `tsv-native-${euid}`));
  if (euid !== 0) {
    // the XDG spec again: a relative XDG_CACHE_HOME is ignored, and so is a relative HOME
    const cache = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : env.HOME && isAbsolute(env.HOME) ? join(env.HOME, '.cache') : null;
    if (cache) list.push(join(cache, 'tsv', 'native'));
  }
  return list;
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/**
 * Every directory above `dir` must belong to root or to us, and one others
 * can write to must be sticky (like /tmp), so nobody can swap our directory.
 */
function unsafeAncestor(dir: string, euid: number): string | null {
  let p = realpathSync(dir);
  for (;;) {
    const st = statSync(p);
    if (st.uid !== 0 && st.uid !== euid) return `${p} belongs to uid ${st.uid}`;
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return `${p} is writable by others and not sticky`;
    const up = dirname(p);
    if (up === p) return null;
    p = up;
  }
}

/**
 * Creates `dir` (0700, ours) if needed and checks it is private; returns null
 * when usable, else why not.
 */
export function preparePrivateDir(dir: string, euid: number = effectiveUid()): string | null {
  try {
    mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
    let made = false;
    try {
      mkdirSync(dir, { mode: 0o700 });
      made = true;
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) return `${dir} is a symbolic link`;
    if (!st.isDirectory()) return `${dir} is not a directory`;
    if (st.uid !== euid) return `${dir} belongs to uid ${st.uid}, not to us (uid ${euid})`;
    const bad = unsafeAncestor(dirname(dir), euid);
    if (bad) return `${dir} is not private: ${bad}`;
    if (mountOf(dir)?.options.includes('noexec')) return `${dir} is on a file system mounted noexec`;
    // An existing directory is never chmodded: TSV_NATIVE_CACHE may name /tmp or a home. One that others may
    // write to, or with a special bit (a sticky /tmp), is refused as it is.
    if (!made && (st.mode & 0o7022) !== 0) {
      return `${dir} is not private (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, as a shared directory has); name a directory of its own`;
    }
    return null;
  } catch (e) {
    return `${dir}: ${(e as Error).message}`;
  }
}
