// What the script-based init systems (LSB init.d, OpenRC) share when
// activating: a running service is restarted only if its script changed, a
// stopped one is started.
import type { Runner } from '../service-spec';
import { run } from '../run';

/** `control` is the script's command prefix (`/etc/init.d/tsv`, `rc-service tsv`). */
export function startOrRestart(runner: Runner, control: string[], changed: boolean): void {
  const running = run([...control, 'status']).status === 0;
  if (running) {
    if (changed) runner.mustRun([...control, 'restart'], 'run the changed script');
  } else {
    runner.mustRun([...control, 'start'], 'start tsv now');
  }
}
