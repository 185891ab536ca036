// The file system that holds the logs is mounted read-only: an SD card or
// USB disk the kernel remounted so after I/O errors, or a read-only root
// (an overlay on a Pi) without a writable /var/log. Every log write fails,
// and ownership and mode bits, which log-not-writable looks at, say nothing.
import { accessSync, constants } from 'node:fs';
import { logFilesystems } from '../log-filesystems';
import type { Check } from '../types';
import { ok, skipped } from '../types';

function readOnly(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EROFS';
  }
}

export const logFsReadonly: Check = {
  id: 'log-fs-readonly',
  title: 'the file system holding the logs is read-only',
  run(ctx) {
    if (!ctx.facts) return skipped(this.id, 'no readable config');
    const filesystems = logFilesystems(ctx.facts);
    const ro = filesystems.filter((fs) => readOnly(fs.dirs[0] as string));
    if (ro.length === 0) return ok(this.id, `${filesystems.length} file system(s) with the logs are writable`);
    return {
      id: this.id,
      status: 'problem',
      found: ro.map((fs) => `${fs.mount} is mounted read-only (logs in ${fs.dirs.join(', ')})`).join('; '),
      why: 'no log can be written or rotated there; the kernel remounts a disk or SD card read-only after I/O errors, which often means it is failing',
      fix: `look for I/O errors (dmesg), check the file system (fsck), then ${ro.map((fs) => `mount -o remount,rw ${fs.mount}`).join('; ')}; or put the logs on a writable file system`,
    };
  },
};
