// restart_when_binary_changed, restart_directory_monitor and
// restart_file_pattern (tsv only; ochinchina's supervisord's options, PM2's
// `watch`): a program is restarted when what it runs changes on disk, so a
// deploy needs no `supervisorctl restart` (Supervisor users ask in issues
// #675 and #1480 and run the superfsmon listener). ochinchina's supervisord
// hashes the files every 10 seconds; tsv asks the kernel (inotify, through
// fs.watch on each directory), so nothing runs while nothing changes.
import { watch, statSync, realpathSync, type Dirent, type FSWatcher, type Stats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fnmatchToRegExp } from '../config/glob';

/**
 * A deploy writes many files, or one file in many writes: the restart waits
 * until nothing has changed for this long (PM2's watch_delay is 1 s too).
 */
export const SETTLE_MS = 1000;
/**
 * ... but no longer than this after the first change: a file that never
 * stops changing (a database the program writes, matched by `*`) restarts
 * the program every 10 s, with its name in the main log, instead of
 * silently keeping a deploy from ever taking effect.
 */
export const SETTLE_AT_MOST_MS = 10_000;

/** Directories a tree watch never enters: they change by the thousand (installs, bytecode) and hold no code to restart for. */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules', '__pycache__']);

/** What went wrong watching a path, for the main log. */
export type WatchTrouble = (path: string, err: NodeJS.ErrnoException) => void;

/** One change, once the writes have settled: the path that changed last. */
export type ChangeHandler = (path: string) => void;

/** Calls `fire` once `SETTLE_MS` have passed with no further `poke`, or `SETTLE_AT_MOST_MS` after the first. */
class Settle {
  private timer: NodeJS.Timeout | null = null;
  private last = '';
  private firstAt = 0;

  constructor(private readonly fire: ChangeHandler) {}

  poke(path: string): void {
    this.last = path;
    const now = performance.now();
    if (this.timer) {
      if (now - this.firstAt + SETTLE_MS > SETTLE_AT_MOST_MS) return; // the timer set keeps the bound
      clearTimeout(this.timer);
    } else {
      this.firstAt = now;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fire(this.last);
    }, SETTLE_MS);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function watchDirectory(dir: string, onEvent: (name: string | null) => void, trouble: WatchTrouble): FSWatcher | null {
  try {
    const w = watch(dir, { persistent: false }, (_event, name) => onEvent(name === null ? null : String(name)));
    // the directory was removed, or the watch broke: the watcher is of no further use
    w.on('error', () => w.close());
    return w;
  } catch (e) {
    trouble(dir, e as NodeJS.ErrnoException);
    return null;
  }
}

/** The identity of a file's content as far as the kernel can tell without reading it. */
function identity(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * restart_when_binary_changed: the file the command runs, as found at the
 * last spawn. Its directory is watched (a deploy replaces the file by a
 * rename, which a watch on the file itself would not survive), and, when the
 * path is a symbolic link, the directory of the file it leads to. A change
 * counts once the file is there again and differs from what was started.
 */
export class BinaryWatch {
  private file = '';
  private started = '';
  private watchers: FSWatcher[] = [];
  private readonly settle: Settle;

  constructor(
    onChange: ChangeHandler,
    private readonly trouble: WatchTrouble,
  ) {
    this.settle = new Settle((path) => {
      const st = statOrNull(this.file);
      // gone (mid-deploy: removed before the new one is copied), or the same file after all
      if (!st || identity(st) === this.started) return;
      this.started = identity(st);
      onChange(path);
    });
  }

  /** A spawn ran `file` (absolute): remember what it was, and watch where it lies. */
  follow(file: string): void {
    const st = statOrNull(file);
    this.started = st ? identity(st) : '';
    if (file === this.file) return;
    this.closeWatchers();
    this.file = file;
    const names = new Map<string, Set<string>>();
    const add = (path: string): void => {
      const dir = dirname(path);
      if (!names.has(dir)) names.set(dir, new Set());
      names.get(dir)?.add(basename(path));
    };
    add(file);
    try {
      const real = realpathSync(file);
      if (real !== file) add(real);
    } catch {
      // not there (yet): its directory is watched for it
    }
    for (const [dir, wanted] of names) {
      const w = watchDirectory(
        dir,
        (name) => {
          if (name === null || wanted.has(name)) this.settle.poke(name === null ? file : join(dir, name));
        },
        this.trouble,
      );
      if (w) this.watchers.push(w);
    }
  }

  private closeWatchers(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  close(): void {
    this.settle.cancel();
    this.closeWatchers();
  }
}

/** A directory the walk has still to read; `announce`: it appeared after the start, so a matching file in it is a change. */
interface Unread {
  dir: string;
  announce: boolean;
}

/**
 * restart_directory_monitor with restart_file_pattern: every directory under
 * the root is watched (directories made later too, but not .git,
 * node_modules or __pycache__), and a file whose name matches one of the
 * patterns being written, created, removed or renamed is a change.
 * `ignored` names files the daemon writes itself (its logs), which would
 * otherwise restart the program for its own output.
 *
 * The tree is read one directory at a time through the thread pool, so a
 * large one (2,000 directories took 72 ms to read at once) never holds up
 * the daemon's loop: each directory is watched before it is read, so what
 * changes in it meanwhile is seen.
 */
export class TreeWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly patterns: RegExp[];
  private readonly settle: Settle;
  private readonly unread: Unread[] = [];
  private walking = false;
  private closed = false;
  /** inotify watches ran out (ENOSPC): said once, and no more are asked for */
  private exhausted = false;
  /** resolved whenever the walk has nothing left to read */
  private idle: (() => void)[] = [];

  constructor(
    readonly root: string,
    patterns: string[],
    private readonly ignored: (path: string) => boolean,
    onChange: ChangeHandler,
    private readonly trouble: WatchTrouble,
  ) {
    this.patterns = patterns.map(fnmatchToRegExp);
    this.settle = new Settle(onChange);
    this.add(root, false);
  }

  /** How many directories are watched now. */
  get watching(): number {
    return this.watchers.size;
  }

  /** Resolves once every directory known so far has been read (and so watched). */
  walked(): Promise<void> {
    if (!this.walking) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private matches(name: string): boolean {
    return this.patterns.some((p) => p.test(name));
  }

  /** Watches `dir` now and reads it (and what is under it) soon. */
  private add(dir: string, announce: boolean): void {
    if (this.closed || this.exhausted || this.watchers.has(dir)) return;
    const w = watchDirectory(dir, (name) => this.event(dir, name), (path, err) => {
      if (err.code === 'ENOSPC') this.exhausted = true;
      this.trouble(path, err);
    });
    if (!w) return;
    w.on('close', () => {
      if (this.watchers.get(dir) === w) this.watchers.delete(dir);
    });
    this.watchers.set(dir, w);
    this.unread.push({ dir, announce });
    if (!this.walking) void this.walk();
  }

  private async walk(): Promise<void> {
    this.walking = true;
    for (let next = this.unread.pop(); next && !this.closed && !this.exhausted; next = this.unread.pop()) {
      let entries: Dirent[];
      try {
        entries = await readdir(next.dir, { withFileTypes: true });
      } catch {
        continue; // gone, or unreadable: its watch (if any) reports what happens there
      }
      let announced = !next.announce;
      for (const e of entries) {
        if (e.isDirectory()) {
          if (!SKIPPED_DIRECTORIES.has(e.name)) this.add(join(next.dir, e.name), next.announce);
        } else if (!announced && this.matches(e.name)) {
          // a directory moved or made in with matching files in it
          announced = true;
          this.settle.poke(join(next.dir, e.name));
        }
      }
    }
    this.unread.length = 0;
    this.walking = false;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }

  private event(dir: string, name: string | null): void {
    if (name === null) return; // the kernel's queue overflowed: no name to judge by
    const path = join(dir, name);
    if (this.ignored(path)) return;
    const st = statOrNull(path);
    if (st?.isDirectory()) {
      if (SKIPPED_DIRECTORIES.has(name)) return;
      // a directory moved or made in: watched from now on, a change if it brought matching files
      this.add(path, true);
      return;
    }
    if (!st) {
      // removed or renamed away: a directory's own watcher closes itself
      const gone = this.watchers.get(path);
      if (gone) {
        gone.close();
        this.watchers.delete(path);
        return;
      }
    }
    if (this.matches(name)) this.settle.poke(path);
  }

  close(): void {
    this.closed = true;
    this.settle.cancel();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
