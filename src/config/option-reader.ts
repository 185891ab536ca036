// What the loader gives the readers of single options: a value as read (with
// where it was written) and the means to convert it, warn about it or refuse
// it with file, line, section and option.
import type { IniDocument, IniEntry } from './ini';

/** A default, before conversion. */
export type Raw = string | number | boolean | null;

/** An option's value, expanded, and the line that set it (none: the default). */
export interface Got {
  value: Raw;
  entry?: IniEntry;
}

/** One option of the section being read, expanded; `def` when it is not set. */
export type GetOption = (opt: string, def: Raw) => Got;

export interface OptionReader {
  readonly doc: IniDocument;
  /** $HOME for ~ in paths */
  readonly home: string | undefined;
  readonly cwd: string;
  /** A datatype or expansion failure as a ConfigError that says where. */
  fail(err: unknown, section: string, option: string | undefined, got?: Got): never;
  /** Convert a value with a datatype, locating any refusal. */
  conv<T>(section: string, option: string, got: Got, fn: (v: never) => T): T;
  str(got: Got): string | null;
  integerAtLeast(S: string, opt: string, got: Got, min: number, message: (n: number) => string, hint: string): number;
  /** A warning at the line that sets the option. */
  warnOption(section: string, option: string, message: string): void;
  /** warnOption, said once for all the processes of a section. */
  warnOptionOnce(section: string, option: string, message: string): void;
}
