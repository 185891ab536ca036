// One supervisorctl action: its `do_<name>` and, when it has one, `help_<name>`.
import type { Controller } from '../controller';
import { ExitStatus } from '../exit-status';
import { pySplit } from '../../config/ini';

export interface Verb {
  readonly name: string;
  /** Resolves true to leave the shell (quit, exit, EOF). */
  run(ctl: Controller, arg: string): Promise<boolean | void>;
  /** Printed by `help <name>`; without it, `*** No help on <name>`. */
  help?(ctl: Controller): void;
  /** Listed by `help` (supervisorctl lists the actions that have help). */
  readonly listed: boolean;
  /** Its own options (tsv's, and tail's -f), offered by Tab completion. */
  readonly flags?: readonly string[];
  /** Those of them followed by a value in the next word. */
  readonly valuedFlags?: readonly string[];
}

/** Python's str.split(): words separated by runs of whitespace. */
export function words(arg: string): string[] {
  // supervisorctl's arg.split(): Python's whitespace, not JS's \s
  return pySplit(arg);
}

/** Removes a tsv-only flag (e.g. --json) from an argument string. */
export function takeFlag(arg: string, flag: string): { present: boolean; rest: string } {
  const w = words(arg);
  const rest = w.filter((x) => x !== flag);
  return { present: rest.length !== w.length, rest: rest.join(' ') };
}

/**
 * The option at w[i] of a tsv verb whose only valued option is a count:
 * `-n N`, `-nN`, `--LONG N` or `--LONG=N`. The value and the index of the
 * last word it used, or the error for any other option or a bad value.
 */
export function countOption(w: readonly string[], i: number, long: string): { value: number; last: number } | string {
  const a = w[i] as string;
  let v: string | undefined;
  let last = i;
  if (a === '-n' || a === `--${long}`) v = w[(last = i + 1)];
  else if (/^-n\d+$/.test(a)) v = a.slice(2);
  else if (a.startsWith(`--${long}=`)) v = a.slice(long.length + 3);
  else return `bad argument ${a}`;
  if (v === undefined || !/^\d+$/.test(v)) return `bad argument ${a}${v === undefined ? '' : ' ' + v}`;
  // the history is read in one answer: a million lines is far beyond what it can hold anyway
  if (v.length > 6) return `bad argument ${last > i ? `${a} ${v}` : a} (999999 at most)`;
  return { value: Number(v), last };
}

/** A tsv verb's answer to bad arguments: the error, exit status 2, its help. */
export function refuseArgs(ctl: Controller, verb: Verb, error: string): void {
  ctl.output(`Error: ${error}`);
  ctl.exitstatus = ExitStatus.INVALID_ARGS;
  verb.help?.(ctl);
}
