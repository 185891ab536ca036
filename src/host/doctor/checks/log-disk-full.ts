// The file system that holds the logs is (nearly) full: a classic on a
// Raspberry Pi, whose SD card holds everything, and on servers whose
// Supervisor logs were never rotated into a bounded size. Writes fail with
// ENOSPC: tsv says so in its main log and drops the output until a write
// works again, but other services on the same file system fail as well.
import { binaryBytes } from '../../../daemon/program-usage';
import { largestFiles, logFilesystems } from '../log-filesystems';
import type { Check } from '../types';
import { ok, skipped } from '../types';

/** Less than this free, and less than FULL_SHARE of the whole, is nearly full (a 1 TB disk is not "nearly full" with 40 GB left). */
const FULL_BYTES = 1024 ** 3;
const FULL_SHARE = 0.05;
/** Inodes: a file system of many small files runs out of these first. */
const FULL_INODE_SHARE = 0.01;

export const logDiskFull: Check = {
  id: 'log-disk-full',
  title: 'the file system holding the logs is (nearly) full',
  run(ctx) {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const filesystems = logFilesystems(ctx.facts);
    const full: string[] = [];
    const dirs: string[] = [];
    for (const fs of filesystems) {
      const { bsize, blocks, bavail, files, ffree } = fs.space;
      const free = bavail * bsize;
      const lowSpace = blocks > 0 && free < FULL_BYTES && free < blocks * bsize * FULL_SHARE;
      const lowInodes = files > 0 && ffree < files * FULL_INODE_SHARE;
      if (!lowSpace && !lowInodes) continue;
      const what = lowSpace ? `${binaryBytes(free)} free of ${binaryBytes(blocks * bsize)}` : `${ffree} of ${files} inodes free`;
      full.push(`${fs.mount} (logs in ${fs.dirs.join(', ')}): ${what}`);
      dirs.push(...fs.dirs);
    }
    if (full.length === 0) return ok(this.id, `${filesystems.length} file system(s) with the logs have room`);
    const biggest = largestFiles(dirs).map((f) => `${f.path} (${binaryBytes(f.size)})`);
    return {
      id: this.id,
      status: 'problem',
      found: full.join('; '),
      why: "when it is full, log writes fail (tsv drops the output and says so in its main log) and so does everything else that writes there; on a Raspberry Pi that is the whole system's SD card",
      fix:
        (biggest.length ? `the largest files there: ${biggest.join(', ')}; ` : '') +
        'free space, then bound the logs: *_logfile_maxbytes and *_logfile_backups (Supervisor keeps 10 backups of 50 MB per log by default), *_logfile_compress=true, or logs on a larger file system',
    };
  },
};
