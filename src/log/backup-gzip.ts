// stdout_logfile_compress / stderr_logfile_compress (tsv only): rotated
// backups of a child log are gzipped, NAME.1.gz … NAME.N.gz, as logrotate's
// `compress` keeps them (Supervisor issue #322, open since 2013; PR #1546 was
// turned down because compressing inside supervisord blocks it for seconds).
// Here gzip runs as a child of the daemon, reading the backup through a
// descriptor the daemon opened, so the daemon never waits and a rename of
// the backup by the next rotation cannot send it the wrong file. One job per
// log path at a time, whichever run of the program rotated it: the daemon
// alone renames backups, and moves the job's index with them.
import { chmodSync, closeSync, fstatSync, openSync, renameSync, unlinkSync } from 'node:fs';

/** Gzips what srcFd reads into the file dst (made or emptied); `done` is null when it worked, else why not. */
export type GzipRunner = (srcFd: number, dst: string) => { done: Promise<string | null>; cancel(): void };

/** Told when compressing backups fails (the backups stay as they are) and when it works again. */
export interface GzipReport {
  failed(reason: string): void;
  recovered(): void;
}

interface Job {
  /** the backup being gzipped is NAME.index now */
  index: number;
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
        fd = openSync(plain, 'r');
      } catch {
        continue;
      }
      let mode: number;
      let run: ReturnType<GzipRunner>;
      try {
        mode = fstatSync(fd).mode & 0o7777;
        run = this.gzip(fd, partName(this.path));
      } finally {
        closeSync(fd); // the child has its own
      }
      const job: Job = { index: i, cancel: run.cancel };
      jobs.set(this.path, job);
      void run.done.then((why) => this.finished(job, mode, why));
      return;
    }
  }

  private finished(job: Job, mode: number, why: string | null): void {
    if (jobs.get(this.path) !== job) return; // cancelled: its file is gone
    jobs.delete(this.path);
    const part = partName(this.path);
    const plain = `${this.path}.${job.index}`;
    if (why === null) {
      try {
        // the backup's own permissions (an AUTO log is 0600), not the umask's
        chmodSync(part, mode);
        renameSync(part, `${plain}.gz`);
        unlinkSync(plain);
      } catch (e) {
        why = (e as Error).message;
      }
    }
    if (why !== null) {
      unlinkQuiet(part);
      // the backup stays plain; the next rotation tries again
      if (!this.failing) this.report?.failed(why);
      this.failing = true;
      return;
    }
    if (this.failing) this.report?.recovered();
    this.failing = false;
    this.next();
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
