// A Runner that runs commands and collects what they printed, for doctor's
// fixes (whose report is one line each) and uninstall.
import { shJoin } from './quote';
import { describeFailure, ok, run, type RunResult } from './run';
import type { Runner } from './service-spec';
import { HostError } from './types';

export class CollectingRunner implements Runner {
  readonly log: string[] = [];

  run(argv: string[], _why: string): RunResult {
    const r = run(argv);
    this.log.push(`${shJoin(argv)} -> ${r.error ?? `exit ${r.status}`}`);
    return r;
  }

  mustRun(argv: string[], why: string): RunResult {
    const r = this.run(argv, why);
    if (!ok(r)) throw new HostError(`${why} failed`, describeFailure(r));
    return r;
  }
}
