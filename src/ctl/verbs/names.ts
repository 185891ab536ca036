// Which processes the names given to a tsv verb (logs, ps) pick.
import type { Controller } from '../controller';
import { ExitStatus } from '../exit-status';
import { namedBy, noSuchName, type ProcessInfo } from '../api';

/** Does `info` answer to one of the names (none or `all`: everything)? */
export function selected(info: ProcessInfo, names: readonly string[]): boolean {
  return !names.length || names.includes('all') || names.some((n) => namedBy(info, n));
}

/** Says which names match nothing (as status does); true if any. */
export function reportUnknown(ctl: Controller, infos: readonly ProcessInfo[], names: readonly string[], toStderr = false): boolean {
  let bad = false;
  for (const name of names) {
    if (name === 'all' || infos.some((i) => namedBy(i, name))) continue;
    // --json output keeps stdout for the JSON
    if (toStderr) ctl.io.writeErr(noSuchName(name) + '\n');
    else ctl.output(noSuchName(name));
    ctl.exitstatus = ExitStatus.GENERIC;
    bad = true;
  }
  return bad;
}
