// The gzip that *_logfile_compress runs on a rotated backup (src/log/backup-gzip.ts):
// a child of the daemon, reaped as health check commands are, reading the
// backup on its stdin and writing to its stdout, both files the daemon opened
// (a name in the log directory can be swapped by whoever owns it: nothing is
// opened by name here), as the daemon's own user (its log files are the
// daemon's), with its PATH and umask.
import type { ProcessConfig } from '../config/model';
import type { GzipRunner } from '../log/backup-gzip';
import { commandLook, type CommandLookHost } from './health-command';

/** a backup of a few hundred MB on a Pi's SD card takes a minute or two; a gzip past this is stuck */
const GZIP_TIMEOUT_MS = 30 * 60 * 1000;

export function gzipRunner(host: Omit<CommandLookHost, 'config' | 'env' | 'stdinFd'>, program: ProcessConfig): GzipRunner {
  // the program's spawn settings are not the helper's: it runs as the daemon, where the daemon runs
  const config: ProcessConfig = { ...program, uid: null, directory: null, umask: null };
  const env = [`PATH=${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`];
  return (srcFd, dstFd) => {
    const look = commandLook(
      ['/bin/sh', '-c', 'exec gzip -c'],
      { minfds: host.minfds, registerHelper: host.registerHelper, config, env, stdinFd: srcFd, stdoutFd: dstFd },
      GZIP_TIMEOUT_MS,
    );
    return { done: look.answer.then((r) => (r.ok ? null : `gzip: ${r.detail}`)), cancel: look.cancel };
  };
}
