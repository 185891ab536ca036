// Where a single executable extracts its native addons, and which directories
// it refuses (src/native/cache.ts), checked on real directories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDirCandidates, preparePrivateDir } from '../src/native/cache';
import { mountOf } from '../src/os/mounts';
import { nativeAddonStatus } from '../src/native/assets';

const isRoot = process.geteuid?.() === 0;

function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-cache-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('candidates: TSV_NATIVE_CACHE alone when set; root uses /run then /var/cache; others XDG_RUNTIME_DIR; then a per-uid temp dir; others last their own cache', () => {
  assert.deepEqual(cacheDirCandidates({ TSV_NATIVE_CACHE: '/srv/x' }, 0), ['/srv/x']);
  assert.deepEqual(cacheDirCandidates({ XDG_RUNTIME_DIR: '/run/user/0' }, 0), ['/run/tsv/native', '/var/cache/tsv/native', join(tmpdir(), 'tsv-native-0')]);
  assert.deepEqual(cacheDirCandidates({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), ['/run/user/1000/tsv/native', join(tmpdir(), 'tsv-native-1000')]);
  // a service systemd starts as a user: its RuntimeDirectory= first (root has /run/tsv/native already)
  assert.deepEqual(cacheDirCandidates({ RUNTIME_DIRECTORY: '/run/tsv:/run/other' }, 999), ['/run/tsv/native', join(tmpdir(), 'tsv-native-999')]);
  assert.deepEqual(cacheDirCandidates({ RUNTIME_DIRECTORY: '/run/tsv' }, 0), ['/run/tsv/native', '/var/cache/tsv/native', join(tmpdir(), 'tsv-native-0')]);
  // relative values are ignored, as the XDG spec says
  assert.deepEqual(cacheDirCandidates({ XDG_RUNTIME_DIR: 'rel', RUNTIME_DIRECTORY: 'rel2' }, 1000), [join(tmpdir(), 'tsv-native-1000')]);
  // Other users' own cache comes last, for when the temp dir fails them (noexec, or another user made the name
  // first); a daemon user's home that does not exist is refused there (preparePrivateDir). Root has /var/cache.
  assert.deepEqual(cacheDirCandidates({ HOME: '/nonexistent' }, 999), [join(tmpdir(), 'tsv-native-999'), '/nonexistent/.cache/tsv/native']);
  assert.deepEqual(cacheDirCandidates({ HOME: '/home/u', XDG_CACHE_HOME: '/srv/c' }, 1000), [join(tmpdir(), 'tsv-native-1000'), '/srv/c/tsv/native']);
  assert.deepEqual(cacheDirCandidates({ HOME: 'rel', XDG_CACHE_HOME: 'rel2' }, 1000), [join(tmpdir(), 'tsv-native-1000')]);
  assert.deepEqual(cacheDirCandidates({ HOME: '/root' }, 0), ['/run/tsv/native', '/var/cache/tsv/native', join(tmpdir(), 'tsv-native-0')]);
});

test('a new directory is made 0700; an existing one is never chmodded: used if only we may write to it, refused with its mode if others may or it has a special bit (TSV_NATIVE_CACHE=/tmp)', () => {
  withTmp((dir) => {
    const d = join(dir, 'a', 'native');
    assert.equal(preparePrivateDir(d), null);
    assert.equal(statSync(d).mode & 0o7777, 0o700);
    // a home, say
    chmodSync(d, 0o755);
    assert.equal(preparePrivateDir(d), null);
    assert.equal(statSync(d).mode & 0o7777, 0o755);
    for (const mode of [0o775, 0o757, 0o1777, 0o2700]) {
      chmodSync(d, mode);
      const why = preparePrivateDir(d);
      assert.equal(why, `${d} is not private (mode ${mode.toString(8).padStart(4, '0')}, as a shared directory has); name a directory of its own`);
      assert.equal(statSync(d).mode & 0o7777, mode, 'the directory was changed');
    }
  });
});

test('refused: a symbolic link, a file, a directory under a parent others can write to without the sticky bit', () => {
  withTmp((dir) => {
    const target = join(dir, 'target');
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, join(dir, 'link'));
    assert.match(preparePrivateDir(join(dir, 'link')) ?? '', /link is a symbolic link/);
    writeFileSync(join(dir, 'file'), '');
    assert.match(preparePrivateDir(join(dir, 'file')) ?? '', /file is not a directory/);

    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.match(preparePrivateDir(join(open, 'native')) ?? '', /open is writable by others and not sticky/);
    chmodSync(open, 0o1777);
    assert.equal(preparePrivateDir(join(open, 'native2')), null, 'a sticky shared parent (like /tmp) is fine');
  });
});

test("refused: a directory that belongs to another user, and one under another user's directory", { skip: isRoot ? false : 'needs root to chown' }, () => {
  withTmp((dir) => {
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    assert.match(preparePrivateDir(theirs, 0) ?? '', /theirs belongs to uid 65534, not to us \(uid 0\)/);

    const parent = join(dir, 'parent');
    mkdirSync(parent, { mode: 0o755 });
    chownSync(parent, 65534, 65534);
    assert.match(preparePrivateDir(join(parent, 'native'), 0) ?? '', /parent belongs to uid 65534/);
  });
});

test('mount options come from /proc/self/mountinfo for the deepest mount holding the path', () => {
  const rootOpts = mountOf('/')?.options ?? null;
  assert.ok(rootOpts && rootOpts.length > 0);
  assert.equal(mountOf('/proc/self')?.point, '/proc');
  const procOpts = mountOf('/proc/self')?.options ?? null;
  assert.ok(procOpts, 'no options for /proc');
  assert.ok(procOpts.includes('nosuid') || procOpts.includes('noexec') || procOpts.includes('rw'), procOpts.join(','));
});

test('outside a single executable nothing is embedded, and the reason says so', () => {
  assert.deepEqual(nativeAddonStatus('pty'), { path: null, error: 'not a single-executable tsv binary' });
});
