// Tab completion on the shell's command line (`tsv completion bash`): the
// script bash sources, and `tsv __complete`, which it runs at each Tab. The
// script only hands over the line; what a word may be is decided here, from
// the same tables the commands are parsed with, and program names come from
// the running daemon (tsv's or supervisord) with the interactive shell's
// completer, so `tsv stop we<Tab>` offers what `supervisorctl` offers at its
// own prompt. Supervisor ships no completion for its commands.
import { guardOutputStreams } from './output-errors';
import { homedir } from 'node:os';
import { basename } from 'node:path';
import { CTL_VALUE_OPTS, CTL_VERBS, ctlOptionLength } from './route';
import { CTL_OPTION_FLAGS, realizeOptions, OptionsExit } from '../ctl/options';
import { LOG_LEVEL_NAMES } from '../config/datatypes';
import { INIT_SYSTEMS } from '../host/types';
import { Controller } from '../ctl/controller';
import { makeCompleter, takesNames } from '../ctl/shell';
import { findVerb } from '../ctl/verbs/index';
import { EVENT_NAMES } from '../events/types';
import { DAEMON_OPTIONS } from '../daemon/options';
import { FILES_EXIT } from './completion-script';

/** What a word may be: these words, or a path (bash's own file completion). */
export type Completion = { kind: 'words'; words: string[] } | { kind: 'files' };

/** Asks the daemon for names: the interactive shell's answer for a line (verb, arguments, the word so far). */
export type NameSource = (ctlArgs: string[], line: string) => Promise<string[]>;

const words = (list: readonly string[]): Completion => ({ kind: 'words', words: [...list] });
const NOTHING: Completion = words([]);
const FILES: Completion = { kind: 'files' };

/** supervisorctl's options; those taking a value, and which of them take a path. */
const CTL_FLAGS = CTL_OPTION_FLAGS.filter((f) => f !== '-?');
const CTL_VALUE_FLAGS = [...CTL_VALUE_OPTS.keys(), ...CTL_VALUE_OPTS.values()];
const CTL_PATH_FLAGS = ['-c', '--configuration', '-r', '--history_file'];

/** tsv's own commands (beside the ctl's verbs), their options, and which options take a path. */
interface CommandTable {
  options: string[];
  /** options followed by a value (the value is not completed unless a path) */
  valued: string[];
  paths: string[];
  sub?: Record<string, CommandTable>;
}

/**
 * Kept equal to commander's definitions in src/cli/tsv.ts and
 * src/host/cli.ts by test/cli-completion.test.ts; this bundle must not load
 * commander (a Tab runs tsv once).
 */
export const TSV_COMMANDS: Record<string, CommandTable> = {
  completion: { options: [], valued: [], paths: [], sub: { bash: { options: [], valued: [], paths: [] }, zsh: { options: [], valued: [], paths: [] } } },
  config: {
    options: [],
    valued: [],
    paths: [],
    sub: {
      check: { options: ['-c', '--configuration'], valued: ['-c', '--configuration'], paths: ['-c', '--configuration'] },
      show: { options: ['-c', '--configuration', '--json'], valued: ['-c', '--configuration'], paths: ['-c', '--configuration'] },
      sample: { options: [], valued: [], paths: [] },
    },
  },
  crashmail: {
    options: ['-p', '--program', '-a', '--any', '-o', '--optionalheader', '-m', '--email', '-s', '--sendmail_program'],
    valued: ['-p', '--program', '-o', '--optionalheader', '-m', '--email', '-s', '--sendmail_program'],
    paths: [],
  },
  ctl: { options: [], valued: [], paths: [] },
  daemon: { options: [], valued: [], paths: [] },
  doctor: { options: ['--fix', '--json', '-c', '--configuration', '--user'], valued: ['-c', '--configuration'], paths: ['-c', '--configuration'] },
  install: {
    options: ['--boot', '--init', '--user', '--dry-run', '--from-supervisor', '-c', '--configuration', '--tsv-path', '--node', '--daemon-command'],
    valued: ['--init', '--from-supervisor', '-c', '--configuration', '--tsv-path', '--node', '--daemon-command'],
    paths: ['--from-supervisor', '-c', '--configuration', '--tsv-path', '--node'],
  },
  pidproxy: { options: [], valued: [], paths: [] },
  uninstall: { options: ['--purge', '--user', '--dry-run'], valued: [], paths: [] },
};

/** Values an option takes from a short list. */
const OPTION_VALUES: Record<string, readonly string[]> = {
  '--init': INIT_SYSTEMS,
  '-e': LOG_LEVEL_NAMES,
  '--loglevel': LOG_LEVEL_NAMES,
};

/** supervisord's flags that name a file or directory. */
const DAEMON_PATH_KEYS = new Set(['configfile', 'directory', 'logfile', 'pidfile', 'childlogdir']);

/** The signals `signal` is most often given (any name or number is taken). */
const SIGNALS = ['HUP', 'INT', 'QUIT', 'KILL', 'USR1', 'USR2', 'TERM', 'CONT', 'STOP', 'TSTP', 'WINCH'];

/** supervisorctl's verbs that mean something on a command line (exit and quit leave its shell). */
const VERBS = [...CTL_VERBS].filter((v) => v !== 'exit' && v !== 'quit');

/** The verbs that take `all` for every process (supervisorctl's, and tsv's logs and ps). */
const ALL_VERBS = new Set(['clear', 'logs', 'pid', 'ps', 'restart', 'signal', 'start', 'status', 'stop', 'update']);

/** supervisord's flags as a command's table (they are parsed by src/daemon/options.ts, not commander). */
function daemonTable(): CommandTable {
  const table: CommandTable = { options: [], valued: [], paths: [] };
  for (const o of DAEMON_OPTIONS) {
    for (const flag of [o.short ? `-${o.short}` : '', o.long ? `--${o.long}` : '']) {
      if (!flag || flag === '-?') continue;
      table.options.push(flag);
      if (o.takesArg) table.valued.push(flag);
      if (DAEMON_PATH_KEYS.has(o.key)) table.paths.push(flag);
    }
  }
  return table;
}

/** `--opt=value`: a long flag and its value in one word (the flag, or null). */
function joinedFlag(word: string, valued: readonly string[]): string | null {
  const eq = word.indexOf('=');
  const flag = word.slice(0, eq);
  return word.startsWith('--') && eq > 0 && valued.includes(flag) ? flag : null;
}

/** The value after an option (`joined`: in the same word, `--flag=`): a path, one of a short list, or nothing to offer. */
function valueOf(flag: string, paths: readonly string[], joined = false): Completion {
  if (paths.includes(flag)) return FILES;
  return words((OPTION_VALUES[flag] ?? []).map((v) => (joined ? `${flag}=${v}` : v)));
}

function commandCompletion(table: CommandTable, before: string[], current: string): Completion {
  if (table.sub) {
    const sub = before.find((w) => !w.startsWith('-'));
    if (sub === undefined) return current.startsWith('-') ? words(['-h', '--help']) : words(Object.keys(table.sub));
    const inner = table.sub[sub];
    return inner ? commandCompletion(inner, before.slice(before.indexOf(sub) + 1), current) : NOTHING;
  }
  const joined = joinedFlag(current, table.valued);
  if (joined) return valueOf(joined, table.paths, true);
  // before the value: `--from-supervisor` may go without one
  if (current.startsWith('-')) return words([...new Set([...table.options, '-h', '--help'])]);
  const prev = before[before.length - 1];
  if (prev !== undefined && table.valued.includes(prev)) return valueOf(prev, table.paths);
  return NOTHING;
}

/** supervisorctl's words: options, then a verb, then what the verb takes. */
async function ctlCompletion(before: string[], current: string, names: NameSource, bare: boolean): Promise<Completion> {
  const opts: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < before.length; i++) {
    const w = before[i] as string;
    // the bare form (`tsv status -c FILE`) takes the ctl's options after the verb too (the verb's own stay its arguments)
    if (w.startsWith('-') && (rest.length === 0 || (bare && ctlOptionLength(before, i) > 0 && w !== '-i'))) {
      opts.push(w);
      if (CTL_VALUE_FLAGS.includes(w) && i + 1 < before.length) opts.push(before[++i] as string);
    } else {
      rest.push(w);
    }
  }
  const prev = before[before.length - 1];
  if (prev !== undefined && CTL_VALUE_FLAGS.includes(prev) && opts[opts.length - 1] === prev) return valueOf(prev, CTL_PATH_FLAGS);
  const joined = joinedFlag(current, CTL_VALUE_FLAGS);
  if (joined) return valueOf(joined, CTL_PATH_FLAGS, true);
  const verb = rest[0];
  const found = verb === undefined ? undefined : findVerb(verb);
  if (current.startsWith('-')) {
    // the bare form (`tsv tail -f web -c FILE`) takes the ctl's options after the verb too
    const own = found?.flags ?? [];
    return words(verb === undefined ? CTL_FLAGS : bare ? [...own, ...CTL_FLAGS] : own);
  }
  if (verb === undefined) return words(VERBS);
  const args = rest.slice(1);
  // `logs -n <Tab>`: a count, nothing to offer
  if (prev !== undefined && args.length > 0 && found?.valuedFlags?.includes(prev)) return NOTHING;
  // any case is taken: offered in the case being typed, which bash matches against
  if (verb === 'events') return words([...EVENT_NAMES].sort().map((n) => (current !== current.toUpperCase() ? n.toLowerCase() : n)));
  if (verb === 'help') return args.length ? NOTHING : words(VERBS);
  if (verb === 'signal' && args.length === 0) return words(SIGNALS);
  if (verb === 'tail' && args.filter((a) => !a.startsWith('-')).length === 1) return words(['stdout', 'stderr']);
  if (!takesNames(verb)) return NOTHING;
  // the shell's completer knows add/remove/update take groups and the rest processes
  // the verb's own options are not names for the shell's completer
  const named = args.filter((a, i) => !a.startsWith('-') && !found?.valuedFlags?.includes(args[i - 1] as string));
  const offered = await names(opts, [verb, ...(verb === 'signal' ? named.slice(1) : named), current].join(' '));
  const extra = ALL_VERBS.has(verb) && 'all'.startsWith(current) ? ['all'] : [];
  return words([...offered, ...extra]);
}

/**
 * A command line up to the cursor as the shell will run it: the words before
 * the one being typed with their quotes and backslashes taken away and a
 * leading `~/` made the home directory (`-c '/srv/my app/s.conf'`,
 * `-c ~/s.conf`), and the word being typed as typed (its opening quote tells
 * how bash replaces it).
 */
export function splitLine(line: string): { before: string[]; current: string } {
  const before: string[] = [];
  let word = '';
  let raw = '';
  let quote: "'" | '"' | null = null;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === null && (c === ' ' || c === '\t')) {
      if (started) before.push(raw.startsWith('~/') || raw === '~' ? homedir() + word.slice(1) : word);
      word = raw = '';
      started = false;
      continue;
    }
    started = true;
    raw += c;
    if (c === '\\' && quote !== "'" && i + 1 < line.length) {
      const next = line[++i] as string;
      raw += next;
      // in double quotes a backslash escapes only these
      word += quote === '"' && !'$`"\\\n'.includes(next) ? c + next : next;
    } else if (quote === null && (c === "'" || c === '"')) quote = c;
    else if (c === quote) quote = null;
    else word += c;
  }
  return { before, current: started ? raw : '' };
}

/**
 * What the word under the cursor may be, for a command line up to the
 * cursor (the last word is the one being typed).
 */
export async function complete(line: string, names: NameSource): Promise<Completion> {
  const { before: all, current } = splitLine(line);
  const command = basename(all[0] ?? 'tsv');
  const before = all.slice(1);
  if (command === 'supervisorctl') return ctlCompletion(before, current, names, false);
  if (command === 'supervisord') return commandCompletion(daemonTable(), before, current);
  // tsv: its ctl options may come first (`tsv -c FILE status`)
  let i = 0;
  while (i < before.length && (before[i] as string).startsWith('-')) i += CTL_VALUE_FLAGS.includes(before[i] as string) ? 2 : 1;
  const first = before[i];
  if (first === undefined) {
    if (i > before.length) return valueOf(before[before.length - 1] as string, CTL_PATH_FLAGS);
    if (current.startsWith('-')) return i === 0 ? words([...CTL_FLAGS, '-V', '--version']) : words(CTL_FLAGS);
    return words([...(i === 0 ? Object.keys(TSV_COMMANDS) : []), ...VERBS]);
  }
  const rest = before.slice(i + 1);
  if (first === 'ctl') return ctlCompletion(rest, current, names, false);
  if (first === 'daemon') return commandCompletion(daemonTable(), rest, current);
  if (CTL_VERBS.has(first)) return ctlCompletion(before, current, names, true);
  if (i > 0) return NOTHING;
  const table = TSV_COMMANDS[first];
  return table ? commandCompletion(table, rest, current) : NOTHING;
}

/**
 * The lines bash is given: the candidates that begin with the word typed,
 * each cut to the part after the word's last break character (bash splits
 * `web:we` at the colon and replaces only `we`), a `*` escaped so that the
 * shell passes it on. In a word opened with a quote (`'web:`, as Supervisor's
 * docs write `'web:*'`) nothing breaks it, nothing needs escaping, and bash
 * replaces what follows the quote, closing it.
 */
export function forBash(candidates: string[], current: string, wordbreaks: string): string[] {
  const quoted = current.startsWith("'") || current.startsWith('"');
  const typed = quoted ? current.slice(1) : current;
  let cut = 0;
  for (let i = typed.length - 1; i >= 0 && !quoted; i--) {
    if (wordbreaks.includes(typed[i] as string)) {
      cut = i + 1;
      break;
    }
  }
  const out: string[] = [];
  for (const c of candidates) {
    if (!c.startsWith(typed) || out.includes(c)) continue;
    out.push(c);
  }
  return out.map((c) => (quoted ? c.slice(cut) : c.slice(cut).replace(/\*/g, '\\*')));
}

/** Names from the daemon the ctl options point at; none if it does not answer within a second. */
export const daemonNames: NameSource = async (ctlArgs, line) => {
  const options = realizeOptions([...ctlArgs, 'status'], 'supervisorctl');
  if (options instanceof OptionsExit) return [];
  const quiet = { write: (): void => {}, writeErr: (): void => {}, color: false };
  const ctl = new Controller(options, quiet);
  // a blocking call would hold the loop, and the second below with it
  ctl.evented = true;
  let timer: NodeJS.Timeout | undefined;
  try {
    const asked = makeCompleter(ctl)
      .complete(line)
      .then(([matches]) => matches.map((m) => m.trimEnd()));
    const late = new Promise<string[]>((resolve) => (timer = setTimeout(() => resolve([]), 1000)));
    return await Promise.race([asked.catch(() => []), late]);
  } finally {
    clearTimeout(timer);
    ctl.close();
  }
};

/** `tsv __complete WORDBREAKS LINE`: one candidate a line, or (exit FILES_EXIT) what precedes a path in its word, a tab, and the path's start. */
export async function runComplete(args: string[]): Promise<number> {
  const [wordbreaks = ' \t\n"\'><=;|&(:', line = ''] = args;
  const result = await complete(line, daemonNames);
  guardOutputStreams();
  const { current } = splitLine(line);
  if (result.kind === 'files') {
    // the shell's compgen completes the path, which follows the = of --configuration=PATH;
    // a shell that does not split words at the = (zsh) gets the flag back before each path
    const eq = current.startsWith('--') ? current.indexOf('=') : -1;
    const lead = eq < 0 || wordbreaks.includes('=') ? '' : current.slice(0, eq + 1);
    process.stdout.write(`${lead}\t${current.slice(eq + 1)}`);
    return FILES_EXIT;
  }
  const out = forBash(result.words, current, wordbreaks);
  if (out.length) process.stdout.write(out.join('\n') + '\n');
  return 0;
}
