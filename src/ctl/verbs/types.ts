// One supervisorctl action: its `do_<name>` and, when it has one, `help_<name>`.
import type { Controller } from '../controller';

export interface Verb {
  readonly name: string;
  /** Resolves true to leave the shell (quit, exit, EOF). */
  run(ctl: Controller, arg: string): Promise<boolean | void>;
  /** Printed by `help <name>`; without it, `*** No help on <name>`. */
  help?(ctl: Controller): void;
  /** Listed by `help` (supervisorctl lists the actions that have help). */
  readonly listed: boolean;
}

/** Python's str.split(): words separated by runs of whitespace. */
export function words(arg: string): string[] {
  return arg.split(/\s+/).filter((w) => w !== '');
}

/** Removes a tsv-only flag (e.g. --json) from an argument string. */
export function takeFlag(arg: string, flag: string): { present: boolean; rest: string } {
  const w = words(arg);
  const rest = w.filter((x) => x !== flag);
  return { present: rest.length !== w.length, rest: rest.join(' ') };
}
