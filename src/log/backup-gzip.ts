// stdout_logfile_compress / stderr_logfile_compress (tsv only): rotated
// backups of a child log are gzipped, NAME.1.gz … NAME.N.gz, as logrotate's
// `compress` keeps them (Supervisor issue #322, open since 2013; PR #1546 was
// turned down because compressing inside supervisord blocks it for seconds).
// Here gzip runs as a child of the daemon, reading the backup through a
// descriptor the daemon opened, so the daemon never waits and a rename of
// the backup by the next rotation cannot send it the wrong file. One job per
// log path at a time, whichever run of the program rotated it: the daemon
// alone renames backups, and moves the job's index with them.
// The log directory may be the program user's (or /tmp): every name in it is
// opened without following a link, and the compressed file is made anew and
// given its mode through its descriptor, so that nothing planted there can
// turn the daemon's writes or chmod (as root) onto another file.
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, renameSync, unlinkSync } from 'node:fs';

/** Gzips what srcFd reads into dstFd; `done` is null when it worked, else why not. */
export type GzipRunner = (srcFd: number, dstFd: number) => { done: Promise<string | null>; cancel(): void };

/** Told when compressing backups fails (the backups stay as they are) and when it works again. */
export interface GzipReport {
  failed(reason: string): void;
  recovered(): void;
}

interface Job {
  /** the backup being gzipped is NAME.index now */
  index: number;
  /** the file made for it (the name could come to be another's) */
  part: { dev: number; ino: number };
  cancel(): void;
}

/** the job under way for each log path */
const jobs = new Map<string, Job>();

function unlinkQuiet(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // already gone
  }
}

/** Where a job writes until it is done: one per log path, as the job is. */
const partName = (path: string): string => `${path}.compressing`;

export class BackupGzip {
  /** told of failures and recoveries (nobody: they go unreported) */
  report: GzipReport | null = null;
  /** the last job failed (reported) and none has worked since */
  private failing = false;

  constructor(
    private readonly path: string,
    private readonly backups: number,
    private readonly gzip: GzipRunner,
  ) {}

  /** A rotation moved every backup i to i + 1 (and dropped NAME.backups): the job follows its file. */
  shifted(): void {
    const job = jobs.get(this.path);
    if (!job) return;
    job.index++;
    if (job.index <= this.backups) return;
    // its file was the oldest backup, removed by the rotation
    jobs.delete(this.path);
    job.cancel();
    unlinkQuiet(partName(this.path));
  }

  /** Gzips the lowest backup still plain, unless a job for this path is under way; on success, the next. */
  next(): void {
    if (jobs.has(this.path)) return;
    for (let i = 1; i <= this.backups; i++) {
      const plain = `${this.path}.${i}`;
      let fd: number;
      try {
        fd = openSync(plain, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch {
        continue;
      }
      const part = partName(this.path);
      let out = -1;
      let job: Job;
      let run: ReturnType<GzipRunner>;
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) continue; // not a backup the daemon made
        unlinkQuiet(part);
        try {
          out = openSync(part, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
          // the backup's own permissions (an AUTO log is 0600), not the umask's
          fchmodSync(out, st.mode & 0o7777);
        } catch (e) {
          return this.failed(`cannot make ${part}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        const made = fstatSync(out);
        run = this.gzip(fd, out);
        job = { index: i, part: { dev: made.dev, ino: made.ino }, cancel: run.cancel };
      } finally {
        // the child has its own
        closeSync(fd);
        if (out >= 0) closeSync(out);
      }
      jobs.set(this.path, job);
      void run.done.then((why) => this.finished(job, why));
      return;
    }
  }

  private finished(job: Job, why: string | null): void {
    if (jobs.get(this.path) !== job) return; // cancelled: its file is gone
    jobs.delete(this.path);
    const part = partName(this.path);
    const plain = `${this.path}.${job.index}`;
    if (why === null) {
      try {
        const st = lstatSync(part);
        if (st.dev !== job.part.dev || st.ino !== job.part.ino) throw new Error(`${part} was replaced while gzip wrote it`);
        renameSync(part, `${plain}.gz`);
        unlinkSync(plain);
      } catch (e) {
        why = (e as Error).message;
      }
    }
    if (why !== null) {
      unlinkQuiet(part);
      return this.failed(why);
    }
    if (this.failing) this.report?.recovered();
    this.failing = false;
    this.next();
  }

  /** the backup stays plain; the next rotation tries again */
  private failed(why: string): void {
    if (!this.failing) this.report?.failed(why);
    this.failing = true;
  }
}

/** The daemon's run ends (shutdown, reload): jobs under way are dropped, their backups stay plain. */
export function dropGzipJobs(): void {
  for (const [path, job] of jobs) {
    job.cancel();
    unlinkQuiet(partName(path));
  }
  jobs.clear();
}
