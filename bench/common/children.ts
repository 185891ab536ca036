// The daemons a bench has running, stopped with their process trees when the
// bench itself is stopped (Ctrl-C, kill, a reader of its output that went
// away): its finally blocks do not run then, and the daemons, their
// listeners and their programs would stay behind.
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { killTree } from '../../test/helpers/daemon-cli';

const live = new Set<number>();

function stopAll(): void {
  for (const pid of live) killTree(pid);
  live.clear();
}

let installed = false;
function install(): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      stopAll();
      process.exit(128 + constants.signals[sig]);
    });
  }
  // `| head` closing the pipe: the next write fails with EPIPE
  process.stdout.on('error', () => {
    stopAll();
    process.exit(1);
  });
  process.on('exit', stopAll);
}

/** Remember child until it exits; returns it. */
export function tracked<T extends ChildProcess>(child: T): T {
  install();
  if (child.pid !== undefined) {
    const pid = child.pid;
    live.add(pid);
    child.on('exit', () => live.delete(pid));
  }
  return child;
}
