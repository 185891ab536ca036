// Which command lines are supervisorctl's: `tsv status`, `tsv -c FILE start web`.
// Its own module so that the ctl's small entry (src/cli/ctl-entry.ts) can
// route without loading the rest of tsv's command line.

// supervisorctl's verbs (Supervisor 4.2.5's do_* methods, plus exit, plus tsv's events): these go
// to the ctl without building tsv's own command line. A word not listed here
// still reaches the ctl (src/cli/tsv.ts) when it is not one of tsv's commands.
const CTL_VERBS = new Set(['add', 'avail', 'clear', 'events', 'exit', 'fg', 'help', 'maintail', 'open', 'pid', 'quit', 'reload', 'remove', 'reread', 'restart', 'shutdown', 'signal', 'start', 'status', 'stop', 'tail', 'update', 'version']);

// supervisorctl's options that take a value, short and long.
const CTL_VALUE_OPTS = new Map([
  ['-c', '--configuration'],
  ['-s', '--serverurl'],
  ['-u', '--username'],
  ['-p', '--password'],
  ['-r', '--history_file'],
]);
const CTL_LONG_VALUE_OPTS = new Set(CTL_VALUE_OPTS.values());

/** Length of the ctl option at args[i] (with its value), or 0 if it is not one. */
function ctlOptionLength(args: string[], i: number): number {
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
export function ctlArgsForBareForm(args: string[]): string[] | null {
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
