// supervisorctl's command line and [supervisorctl] section (Supervisor's
// options.py: Options.realize + ClientOptions). Flags are parsed like Python's
// getopt (`-cFILE`, `-c FILE`, `--serverurl=URL`, unique long prefixes, stop
// at the first action word), and every usage problem ends the same way:
// `Error: <msg>` + `For help, use <prog> -h` on stderr, exit 2.
import { getopt, GetoptError } from '../cli/getopt';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { IniDocument, IniSyntaxError, pyStrCompare } from '../config/ini';
import { pyFormat, PyFormatError, pyRepr } from '../config/pyformat';
import { pythonUtf8Error } from '../config/utf8-error';
import type { Expansions } from '../config/pyformat';
import { DatatypeError, normalizePath, url as checkUrl } from '../config/datatypes';
import { configSearchPaths } from '../config/search';
import { importSpecProblem } from '../config/import-spec';

export const DEFAULT_SERVERURL = 'http://localhost:9001';

export interface CtlOptions {
  progname: string;
  configfile: string | null;
  interactive: boolean;
  prompt: string;
  serverurl: string;
  username: string | null;
  password: string | null;
  historyFile: string | null;
  /** The action and its arguments (empty: interactive shell). */
  args: string[];
}

/** Realizing the options ended the program: print `stdout`/`stderr`, exit with `code`. */
export class OptionsExit {
  constructor(
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {}
}

const DOC = `supervisorctl -- control applications run by supervisord from the cmd line.

Usage: %s [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-h/--help -- print usage message and exit
-i/--interactive -- start an interactive shell after executing commands
-s/--serverurl URL -- URL on which supervisord server is listening
     (default "http://localhost:9001").
-u/--username USERNAME -- username to use for authentication with server
-p/--password PASSWORD -- password to use for authentication with server
-r/--history-file -- keep a readline history (if readline is available)

action [arguments] -- see below

Actions are commands like "tail" or "stop".  If -i is specified or no action is
specified on the command line, a "shell" interpreting actions typed
interactively is started.  Use the action "help" to find out about available
actions.
`;

type OptName = 'help' | 'configfile' | 'interactive' | 'serverurl' | 'username' | 'password' | 'history';
const SHORT = 'h?c:is:u:p:r:';
const LONG = ['help', 'configuration=', 'interactive', 'serverurl=', 'username=', 'password=', 'history_file='];
const OPTION_MAP: Record<string, OptName> = {
  '-h': 'help',
  '-?': 'help',
  '--help': 'help',
  '-c': 'configfile',
  '--configuration': 'configfile',
  '-i': 'interactive',
  '--interactive': 'interactive',
  '-s': 'serverurl',
  '--serverurl': 'serverurl',
  '-u': 'username',
  '--username': 'username',
  '-p': 'password',
  '--password': 'password',
  '-r': 'history',
  '--history_file': 'history',
};

/** supervisorctl's flags, short and long (`-?` is a second -h). */
export const CTL_OPTION_FLAGS: readonly string[] = Object.keys(OPTION_MAP);

export interface RealizeContext {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where the binary lives, for Supervisor's `<here>/etc/supervisord.conf` search entries. */
  scriptPath?: string;
}

export function searchPaths(ctx: RealizeContext = {}): string[] {
  return configSearchPaths(ctx.scriptPath ?? process.argv[1] ?? process.execPath);
}

/** Options.realize + ClientOptions.realize: argv and the config file into CtlOptions, or an OptionsExit. */
export function realizeOptions(argv: readonly string[], progname: string, ctx: RealizeContext = {}): CtlOptions | OptionsExit {
  const env = ctx.env ?? process.env;
  const cwd = ctx.cwd ?? process.cwd();
  const usage = (msg: string): OptionsExit => new OptionsExit(2, '', `Error: ${msg}\nFor help, use ${progname} -h\n`);

  let opts: Array<[string, string]>;
  let args: string[];
  try {
    [opts, args] = getopt(argv, SHORT, LONG);
  } catch (err) {
    if (err instanceof GetoptError) return usage(err.message);
    throw err;
  }

  const cli: Partial<Record<Exclude<OptName, 'help'>, string | boolean>> = {};
  for (const [opt, arg] of opts) {
    const name = OPTION_MAP[opt] as OptName;
    if (name === 'help') return new OptionsExit(0, DOC.split('%s').join(progname) + '\n', '');
    let value: string | boolean = arg;
    if (name === 'interactive') value = true;
    if (name === 'serverurl') {
      try {
        checkUrl(arg);
      } catch (err) {
        if (!(err instanceof DatatypeError)) throw err;
        return usage(`invalid value for ${opt} ${pyRepr(arg)}: ${err.message}`);
      }
    }
    if (cli[name] !== undefined) return usage(`conflicting command line option ${pyRepr(opt)}`);
    cli[name] = value;
  }

  let configfile = (cli.configfile as string | undefined) ?? null;
  if (configfile === null) {
    configfile = searchPaths(ctx).find((p) => existsSync(resolve(cwd, p))) ?? null;
  }

  const fromFile: { serverurl?: string; prompt?: string; username?: string; password?: string; historyFile?: string | null } = {};
  // an empty -c names no file: Supervisor reads none then (`if self.configfile:`), and -s or the defaults apply
  if (configfile) {
    const read = readClientSection(configfile, env, cwd);
    if (typeof read === 'string') return usage(read);
    if (read instanceof OptionsExit) return read;
    Object.assign(fromFile, read);
  }

  const serverurl = (cli.serverurl as string | undefined) ?? fromFile.serverurl ?? DEFAULT_SERVERURL;
  // -r/--history_file: Supervisor 4.2 parses it but never uses it; tsv honours it.
  const historyFile =
    cli.history !== undefined ? normalizePath(cli.history as string, cwd) : (fromFile.historyFile ?? null);
  return {
    progname,
    configfile,
    interactive: cli.interactive === true || args.length === 0,
    prompt: fromFile.prompt ?? 'supervisor',
    serverurl,
    username: (cli.username as string | undefined) ?? fromFile.username ?? null,
    password: (cli.password as string | undefined) ?? fromFile.password ?? null,
    historyFile,
    args,
  };
}

/** ClientOptions.read_config: the [supervisorctl] section, or a usage message. */
function readClientSection(
  file: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): string | OptionsExit | { serverurl: string; prompt?: string; username?: string; password?: string; historyFile: string | null } {
  const path = resolve(cwd, file);
  const here = dirname(normalizePath(file, cwd));
  if (!existsSync(path)) return `could not find config file ${file}`;
  let text: string;
  try {
    if (statSync(path).isDirectory()) return `could not read config file ${file}`;
    const bytes = readFileSync(path);
    const bad = pythonUtf8Error(bytes);
    if (bad) return bad;
    text = bytes.toString('utf8');
  } catch {
    return `could not read config file ${file}`;
  }
  const doc = new IniDocument();
  try {
    doc.read(text, path);
  } catch (err) {
    // Supervisor dies with configparser's traceback here; tsv names the line.
    // with the exit status of its traceback (1), not a usage error's
    if (err instanceof IniSyntaxError) return new OptionsExit(1, '', `Error: ${err.file}, line ${err.line}: ${err.message}: ${pyRepr(err.text.replace(/\n$/, ''))}\n`);
    throw err;
  }
  if (!doc.hasSection('supervisorctl')) return '.ini file does not include supervisorctl section';

  const envExpansions: Expansions = new Map();
  for (const [k, v] of Object.entries(env)) if (v !== undefined) envExpansions.set(`ENV_${k}`, v);
  const withHere: Expansions = new Map([...envExpansions, ['here', here]]);
  const get = (option: string, expansions: Expansions): string | undefined => {
    const raw = doc.get('supervisorctl', option)?.value;
    return raw === undefined ? undefined : expand(raw, expansions, `supervisorctl.${option}`);
  };
  try {
    let serverurl = get('serverurl', withHere) ?? DEFAULT_SERVERURL;
    if (serverurl.startsWith('unix://')) serverurl = `unix://${normalizePath(serverurl.slice(7), cwd)}`;
    const prompt = get('prompt', envExpansions);
    const username = get('username', envExpansions);
    const password = get('password', envExpansions);
    const history = get('history_file', withHere);
    const out: { serverurl: string; prompt?: string; username?: string; password?: string; historyFile: string | null } = {
      serverurl,
      historyFile: history ? normalizePath(history, cwd) : null,
    };
    if (prompt !== undefined) out.prompt = prompt;
    if (username !== undefined) out.username = username;
    if (password !== undefined) out.password = password;
    const plugin = ctlPluginProblem(doc, envExpansions);
    return plugin ?? out;
  } catch (err) {
    if (err instanceof ExpansionError) return err.message;
    throw err;
  }
}

/**
 * ClientOptions.get_plugins: each [ctlplugin:x] must name a factory that
 * imports. Python plugins from other packages are not tsv's to load (the
 * section is ignored); a missing factory, a malformed spec or one that
 * Supervisor's own package lacks stop supervisorctl, so they stop tsv's ctl.
 */
function ctlPluginProblem(doc: IniDocument, env: Expansions): string | null {
  const key = 'supervisor.ctl_factory';
  for (const section of doc.sectionNames()) {
    if (!section.startsWith('ctlplugin:')) continue;
    const raw = doc.get(section, key)?.value;
    if (raw === undefined) return `section [${section}] does not specify a ${key}`;
    const spec = expand(raw, env, `${section}.${key}`);
    const problem = importSpecProblem(spec, section, key);
    if (problem) return problem.python;
    // the factory's keyword arguments are expanded too
    for (const k of doc.options(section)) if (k !== key) expand(doc.get(section, k)?.value ?? '', env, `${section}.${k}`);
  }
  return null;
}

class ExpansionError extends Error {}

/** options.expand: `s % expansions`, with Supervisor's wording for failures. */
function expand(s: string, expansions: Expansions, where: string): string {
  try {
    return pyFormat(s, expansions);
  } catch (err) {
    if (!(err instanceof PyFormatError)) throw err;
    if (err.kind === 'KeyError') {
      const available = [...expansions.keys()].sort(pyStrCompare).join(', ');
      throw new ExpansionError(
        `Format string ${pyRepr(s)} for ${pyRepr(where)} contains names (${pyRepr(err.key ?? '')}) which cannot be expanded. Available names: ${available}`,
      );
    }
    throw new ExpansionError(`Format string ${pyRepr(s)} for ${pyRepr(where)} is badly formatted: ${err.message}`);
  }
}
