// Where a command line goes: to the ctl (`tsv status`, `tsv -c FILE start
// web`, `tsv ctl …`, a link named supervisorctl), to `--version`, or to the
// full CLI. Both entry points decide here: the ctl's small bundle
// (src/cli/ctl-entry.ts), which must route without loading the rest of tsv,
// and the full one (src/cli/main.ts).
import { basename } from 'node:path';

// supervisorctl's verbs (Supervisor 4.2.5's do_* methods, plus exit, plus tsv's events, attach, logs and ps):
// these go to the ctl without building tsv's own command line. A word not
// listed here still reaches the ctl (src/cli/tsv.ts) when it is not one of
// tsv's commands. Every verb of the ctl's registry is here (test/cli.test.ts),
// which this bundle does not load.
export const CTL_VERBS: ReadonlySet<string> = new Set(['add', 'attach', 'avail', 'clear', 'events', 'exit', 'fg', 'help', 'logs', 'maintail', 'open', 'pid', 'ps', 'quit', 'reload', 'remove', 'reread', 'restart', 'shutdown', 'signal', 'start', 'status', 'stop', 'tail', 'update', 'version']);

// tsv's own commands (src/cli/tsv.ts; wait-ready is the units' hidden one; test/cli.test.ts keeps the two lists the same).
export const TSV_COMMANDS: ReadonlySet<string> = new Set(['daemon', 'ctl', 'pidproxy', 'crashmail', 'config', 'completion', 'install', 'uninstall', 'doctor', 'wait-ready']);

// supervisorctl's options that take a value, short and long.
export const CTL_VALUE_OPTS: ReadonlyMap<string, string> = new Map([
  ['-c', '--configuration'],
  ['-s', '--serverurl'],
  ['-u', '--username'],
  ['-p', '--password'],
  ['-r', '--history_file'],
]);
const CTL_LONG_VALUE_OPTS = new Set(CTL_VALUE_OPTS.values());

/** Length of the ctl option at args[i] (with its value), or 0 if it is not one. */
export function ctlOptionLength(args: readonly string[], i: number): number {
  const a = args[i];
  if (a === '-i' || a === '--interactive') return 1;
  if (CTL_VALUE_OPTS.has(a) || CTL_LONG_VALUE_OPTS.has(a)) return i + 1 < args.length ? 2 : 1;
  if (/^-[csupr]./.test(a)) return 1;
  const eq = a.indexOf('=');
  if (eq > 0 && CTL_LONG_VALUE_OPTS.has(a.slice(0, eq))) return 1;
  return 0;
}

/**
 * tsv's own short form of the ctl: `tsv -c FILE status` and also
 * `tsv status -c FILE`. supervisorctl's options are moved in front of the
 * verb (where supervisorctl expects them); `tsv ctl` and supervisorctl keep
 * supervisorctl's exact rules.
 */
export function ctlArgsForBareForm(args: readonly string[]): string[] | null {
  const opts: string[] = [];
  let i = 0;
  for (let n; i < args.length && (n = ctlOptionLength(args, i)) > 0; i += n) opts.push(...args.slice(i, i + n));
  const verb = args[i];
  if (verb === undefined) return opts.length ? opts : null;
  if (!CTL_VERBS.has(verb)) return opts.length ? [...opts, ...args.slice(i)] : null;
  const rest: string[] = [];
  for (let j = i + 1; j < args.length; ) {
    const n = ctlOptionLength(args, j);
    if (n > 0 && args[j] !== '-i') {
      opts.push(...args.slice(j, j + n));
      j += n;
    } else {
      rest.push(args[j]);
      j++;
    }
  }
  return [...opts, verb, ...rest];
}

/** tsv's own commands that take `-c` where supervisorctl's options go (pidproxy and crashmail pass theirs on) */
const TAKE_CTL_OPTIONS: ReadonlySet<string> = new Set(['daemon', 'ctl', 'config', 'install', 'uninstall', 'doctor', 'wait-ready']);

/**
 * `tsv -c FILE config check`: supervisorctl's options written before one of
 * tsv's own commands go after it, as they may before a verb (`tsv -c FILE
 * status`): right after `ctl` and `daemon` (whose getopt stops at the first
 * word that is not an option), at the end for the others (`config check -c
 * FILE`); null when args are not that.
 */
export function optionsAfterCommand(args: readonly string[]): string[] | null {
  let i = 0;
  for (let n; i < args.length && (n = ctlOptionLength(args, i)) > 0; i += n);
  const command = args[i];
  if (i === 0 || command === undefined || !TAKE_CTL_OPTIONS.has(command)) return null;
  const opts = args.slice(0, i);
  const rest = args.slice(i + 1);
  return command === 'ctl' || command === 'daemon' ? [command, ...opts, ...rest] : [command, ...rest, ...opts];
}

/**
 * The name tsv was invoked under, without a script extension. Through a
 * symlink argv[1] keeps the link's name (node does not resolve it); a single
 * executable gets the argv[0] it was started with as argv[1] (Node 20.11 and
 * 24 alike), so the link's name too.
 */
export function invokedName(argv: readonly string[]): string {
  return basename(argv[1] ?? '').replace(/\.(c?js|exe)$/, '');
}

export type Route =
  | { kind: 'ctl'; args: string[]; progname: string }
  | { kind: 'pidproxy'; args: string[]; progname: string }
  | { kind: 'crashmail'; args: string[] }
  | { kind: 'complete'; args: string[] }
  | { kind: 'version' }
  | { kind: 'full'; args: string[] };

/** What to run for `argv` (process.argv): the ctl, pidproxy, crashmail, the version line, or the full CLI for the rest. */
export function route(argv: readonly string[]): Route {
  const name = invokedName(argv);
  const args = argv.slice(2);
  if (name === 'supervisorctl') return { kind: 'ctl', args, progname: 'supervisorctl' };
  // Supervisor's usage line names the program as it was started
  if (name === 'pidproxy') return { kind: 'pidproxy', args, progname: argv[1] ?? name };
  if (name === 'crashmail') return { kind: 'crashmail', args };
  // the shell's Tab (src/cli/completion.ts), whatever name tsv is known by
  if (args[0] === '__complete') return { kind: 'complete', args: args.slice(1) };
  if (name === 'supervisord' || name === 'echo_supervisord_conf') return { kind: 'full', args };
  if (args[0] === 'daemon') return { kind: 'full', args };
  // commander's `tsv help install` is `tsv install -h`; `tsv help status` stays supervisorctl's help
  if (args[0] === 'help' && args[1] !== undefined && TSV_COMMANDS.has(args[1])) return route([argv[0] ?? '', argv[1] ?? '', ...args.slice(1), '-h']);
  if (args[0] === 'ctl') return { kind: 'ctl', args: args.slice(1), progname: 'tsv ctl' };
  if (args[0] === 'pidproxy') return { kind: 'pidproxy', args: args.slice(1), progname: 'tsv pidproxy' };
  if (args[0] === 'crashmail') return { kind: 'crashmail', args: args.slice(1) };
  const moved = optionsAfterCommand(args);
  if (moved) return route([argv[0] ?? '', argv[1] ?? '', ...moved]);
  const bare = ctlArgsForBareForm(args);
  if (bare) return { kind: 'ctl', args: bare, progname: 'tsv' };
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return { kind: 'version' };
  return { kind: 'full', args };
}

/** The last resort for a failure no command reported: one line (a stack with TSV_DEBUG), exit status 70. */
export function internalError(err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`tsv: internal error: ${msg}\n`);
  if (process.env.TSV_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  process.exitCode = 70;
}
