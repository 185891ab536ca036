// Reading a supervisord.conf into the model with exactly Supervisor's meaning:
// the order in which options are read decides which expansions each one can
// use (options.py ServerOptions.read_config, process_groups_from_parser,
// _processes_from_section, server_configs_from_parser, and ClientOptions for
// [supervisorctl]). The quirks are reproduced on purpose; each is noted where
// it happens.
import { accessSync, constants as fsConstants, existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { IniDocument, IniSyntaxError, pyStrCompare } from './ini';
import { pyFormat, PyFormatError, pyRepr, type Expansions, type PyValue } from './pyformat';
import { resolveDependencies } from './depends';
import { ConfigError } from './errors';
import * as dt from './datatypes';
import { globSorted } from './glob';
import { utf8FaultLine } from './utf8-error';
import {
  EVENT_TYPE_NAMES,
  TSV_EVENT_TYPE_NAMES,
  type Config,
  type ConfigWarning,
  type FcgiSocketConfig,
  type GroupConfig,
  type GroupKind,
  type LogfileTarget,
  type PluginConfig,
  type ProcessConfig,
  type RotatePeriod,
  type ServerConfig,
  type SupervisorctlConfig,
  type SupervisordConfig,
  type ValueSource,
} from './model';
import { KNOWN_OPTIONS, sectionKind } from './schema';
import type { Got, OptionReader, Raw } from './option-reader';
import { readChangeRestart, readHealthCheck, readHook, readLogPrefix, readMemoryLimit, readRlimits, readSchedule, startHookTimeout } from './tsv-options';
import { DEFAULT_RESULT_HANDLER, MAIN_RPC_FACTORY, importSpecProblem, isDefaultResultHandler, isMainRpcFactory, type SpecOption } from './import-spec';

export interface LoadOptions {
  /** The config file (already chosen: see search.ts). */
  file: string;
  /** A running daemon reads it again (reread, update, reload): for the hint when it is gone. */
  rereading?: boolean;
  /** The process environment ENV_ names come from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Relative logfile/pidfile paths are made absolute against this; default process.cwd(). */
  cwd?: string;
  /**
   * Whether `[supervisord] user=` is looked up (default true). Supervisor
   * checks the user in realize(), after the command line has won and only at
   * start-up: not when a running daemon re-reads its file (a user that does
   * not exist fails the next start, not reread/update), nor when -u replaces it.
   */
  lookUpUser?: boolean;
}

export interface LoadResult {
  config: Config;
}

export { MAIN_RPC_FACTORY };
export const MAX_NUMPROCS = 100000;

/** The names of the [rpcinterface:NAME] sections that make Supervisor's main API, served as NAME.* */
export function mainRpcNamespaces(config: Pick<Config, 'plugins'>): string[] {
  return config.plugins.filter((p) => p.kind === 'rpcinterface' && isMainRpcFactory(p.factory)).map((p) => p.name);
}

/** The names Supervisor itself expands (not environment variables), each in some options only. */
const SUPERVISOR_NAMES = new Set(['here', 'program_name', 'process_num', 'group_name', 'host_node_name', 'numprocs']);

/** Where %(ENV_NAME)s is looked for in a section, for the hint when it is not there. */
function envHint(name: string, section: string): string {
  if (section === 'supervisorctl' || section.startsWith('ctlplugin:')) return `${name} is not in the environment supervisorctl runs in (it reads no environment= of the config)`;
  if (section === 'supervisord') return `${name} is not in supervisord's environment ([supervisord] environment= applies to the other sections, not to this one)`;
  if (/^(program|fcgi-program|eventlistener):/.test(section)) return `${name} is not in supervisord's environment, [supervisord] environment= or this program's environment=`;
  return `${name} is not in supervisord's environment or [supervisord] environment=`;
}

/** [supervisorctl] as supervisorctl takes it when the section is not there */
const NO_CTL_SECTION: Readonly<SupervisorctlConfig> = Object.freeze({
  present: false,
  serverurl: 'http://localhost:9001',
  username: null,
  password: null,
  prompt: 'supervisor',
  history_file: null,
});

/**
 * The name of a `%(name)` written without its conversion letter
 * (`%(here)/x`, `%(ENV_HOME)` at the end): Python then complains about the
 * next character, or of an incomplete format, not of what is missing. A
 * number's letter run on into a word (`%(here)config`, `%(ENV_HOME)etc`) is
 * taken for one too: the value failed, and `%(name)s` is what such text means.
 */
function missingConversion(value: string): string | null {
  const v = value.replace(/%%/g, '');
  const m =
    /%\(([^)]*)\)(?![#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%])/.exec(v) ??
    /%\(([^)]*)\)[cdiouxXeEfFgG]\w/.exec(v);
  return m ? (m[1] as string) : null;
}

function merge(...maps: Expansions[]): Expansions {
  const out: Expansions = new Map();
  for (const m of maps) for (const [k, v] of m) out.set(k, v);
  return out;
}

// one object for every defaulted option of every program (~60 each)
const DEFAULT_SOURCE: ValueSource = Object.freeze({ kind: 'default' });

function sourceOf(got: Got): ValueSource {
  return got.entry ? { kind: 'file', file: got.entry.file, line: got.entry.line } : DEFAULT_SOURCE;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** What a path that is no regular file is, for an error's words (null: nothing there, a dangling link). */
function notRegularKind(p: string): string | null {
  try {
    const st = statSync(p);
    if (st.isDirectory()) return 'a directory';
    if (st.isFIFO()) return 'a FIFO';
    if (st.isCharacterDevice()) return 'a character device';
    if (st.isBlockDevice()) return 'a block device';
    if (st.isSocket()) return 'a socket';
  } catch {
    // a dangling symlink, or it went away meanwhile
  }
  return null;
}

/** The hint when the % that failed came from %(here)s: the config's directory has one in its name. */
function hereInValue(value: string, available: Expansions | undefined): string | null {
  const here = available?.get('here');
  if (typeof here !== 'string' || !here.includes('%') || !value.includes(here)) return null;
  return `%(here)s put the config's directory, ${here}, into this value, and Supervisor %-expands it a second time (it fails the same way): keep the config in a directory without % in its name`;
}

function kindWords(kind: string | null): string {
  return kind === 'a FIFO' ? 'a FIFO (a pipe, as `<(…)` gives)' : (kind ?? 'something else');
}

/** Why [include] skips a file it matched, and what Supervisor does there (its read() skips what it cannot open, and waits on a FIFO). */
function includeSkipped(p: string): string | null {
  if (!isFile(p)) {
    const kind = notRegularKind(p);
    if (kind === 'a FIFO') return 'is a FIFO and is ignored (supervisord would wait on it for a writer, starting nothing)';
    return `${kind ? `is not a regular file (${kind})` : 'names nothing (a dangling link?)'} and is ignored, as Supervisor ignores it`;
  }
  return canRead(p) ? null : 'cannot be read (permission denied) and is ignored, as Supervisor ignores it';
}

function canRead(p: string): boolean {
  try {
    accessSync(p, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function readText(file: string): string {
  const buf = readFileSync(file);
  // Python keeps a byte order mark as a character, which breaks the first line; so do we.
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
}

class Loader implements OptionReader {
  readonly doc = new IniDocument();
  /** Supervisor's environ_expansions: ENV_ names, grown by [supervisord] environment=. */
  readonly environ: Expansions = new Map();
  readonly warnings: ConfigWarning[] = [];
  readonly infos: string[] = [];
  readonly included: string[] = [];
  readonly here: string;
  readonly hostNodeName = hostname();
  /** $HOME for ~ in paths, from the environment the config is read in. */
  readonly home: string | undefined;
  /** depends_on as read, by section: where an error about it points */
  readonly dependsGot = new Map<string, Got>();
  /** tsv only: the depends_on of a [group:x], given to each of its processes (reported at the group's line) */
  readonly groupDepends = new Map<ProcessConfig, { section: string; got: Got; names: ReadonlySet<string> }>();

  constructor(
    readonly file: string,
    readonly env: NodeJS.ProcessEnv,
    readonly cwd: string,
    readonly lookUpUser = true,
  ) {
    this.here = dirname(file);
    this.home = env.HOME;
    for (const [k, v] of Object.entries(env)) if (v !== undefined) this.environ.set(`ENV_${k}`, v);
  }

  // ---- errors ---------------------------------------------------------------

  /** Turn a datatype or expansion failure into a ConfigError that says where. */
  fail(err: unknown, section: string, option: string | undefined, got?: Got): never {
    if (err instanceof ConfigError) throw err;
    const origin = got?.entry ?? this.sectionOrigin(section);
    const value = got && typeof got.value === 'string' ? got.value : undefined;
    if (err instanceof PyFormatError) throw this.formatError(err, section, option ?? '', value ?? '', origin);
    const hint = err instanceof dt.DatatypeError ? err.hint : undefined;
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigError(message, { file: origin?.file, line: origin?.line, section, option, value, hint });
  }

  /** A warning about an option, at the line that sets it (or none when only its default applies). */
  warnOption(section: string, option: string, message: string, supervisor = false): void {
    const e = this.doc.get(section, option);
    this.warnings.push({ message, file: e?.file, line: e?.line, section, option, ...(supervisor ? { supervisor } : {}) });
  }

  /**
   * warnOption for tsv's own warnings about options read for each process
   * (numprocs > 1): said once. Supervisor's own repeat per process, as
   * supervisord's do.
   */
  warnOptionOnce(section: string, option: string, message: string): void {
    if (this.warnings.some((w) => w.section === section && w.option === option && w.message === message)) return;
    this.warnOption(section, option, message);
  }

  private sectionOrigin(section: string): { file: string; line: number } | undefined {
    return this.doc.sectionOrigin.get(section) ?? (section ? undefined : { file: this.file, line: 0 });
  }

  private formatError(
    err: PyFormatError,
    section: string,
    option: string,
    value: string,
    origin: { file: string; line: number } | undefined,
    available?: Expansions,
    secondPass = false,
  ): ConfigError {
    let message: string;
    let hint: string | undefined;
    if (err.kind === 'KeyError') {
      message = `%(${err.key})s cannot be expanded here: no name ${pyRepr(err.key ?? '')} is available in ${option || 'this value'}`;
      const key = err.key ?? '';
      const names = available ? [...available.keys()].filter((k) => !k.startsWith('ENV_')).sort() : [];
      const others = names.length ? `the names here: ${names.join(', ')}` : '';
      if (key.startsWith('ENV_')) hint = [envHint(key.slice(4), section), others].filter(Boolean).join('; ');
      else if (SUPERVISOR_NAMES.has(key)) hint = [`Supervisor gives ${key} to some options, not to this one`, others].filter(Boolean).join('; ');
      else if (key === 'process_name') hint = [`Supervisor expands no process_name: a process's name is built of %(program_name)s and %(process_num)s, as process_name= builds it`, others].filter(Boolean).join('; ');
      else hint = [`environment variables are written %(ENV_${key})s`, others].filter(Boolean).join('; ');
      hint = hereInValue(value, available) ?? hint;
    } else {
      message = `the value is badly formatted for %-expansion: ${err.message}`;
      const missing = missingConversion(value);
      const here = hereInValue(value, available);
      if (here) hint = here;
      else if (missing) hint = `a %(name) needs its conversion letter: write %(${missing})s (or %(${missing})d for a number)`;
      else if (secondPass || (section === 'supervisord' && option === 'environment')) hint = `Supervisor %-expands [${section}] ${option} twice, so a literal % is written %%%% here`;
      else hint = 'a literal % must be written %%';
    }
    return new ConfigError(message, { file: origin?.file, line: origin?.line, section, option, value, hint });
  }

  // ---- reading values -------------------------------------------------------

  /** Supervisor's saneget: the value (or default), %-expanded unless told not to. */
  get(section: string, option: string, def: Raw, expansions: Expansions = new Map(), doExpand = true): Got {
    const entry = this.doc.get(section, option);
    const got: Got = entry ? { value: entry.value, entry } : { value: def };
    // Without a '%' the expansion is the identity, so skip building the names.
    if (doExpand && typeof got.value === 'string' && got.value.includes('%')) {
      const combined = merge(this.environ, expansions);
      got.value = this.expand(got.value, combined, section, option, got);
    }
    return got;
  }

  /** Supervisor's expand(): Python `%` with a mapping, errors located at the value. */
  expand(s: string, expansions: Expansions, section: string, option: string, got?: Got, secondPass = false): string {
    try {
      return pyFormat(s, expansions);
    } catch (err) {
      if (err instanceof PyFormatError) {
        const origin = got?.entry ?? this.sectionOrigin(section);
        // the second pass shows the file's text, not what the first pass made of it
        const shown = secondPass ? (got?.entry?.value ?? s) : s;
        throw this.formatError(err, section, option, shown, origin, expansions, secondPass);
      }
      throw err;
    }
  }

  /** Convert a value with a datatype, locating any refusal. */
  conv<T>(section: string, option: string, got: Got, fn: (v: never) => T): T {
    try {
      return fn(got.value as never);
    } catch (err) {
      this.fail(err, section, option, got);
    }
  }

  str(got: Got): string | null {
    return got.value === null ? null : String(got.value);
  }

  // ---- the whole file -------------------------------------------------------

  readFile(file: string): void {
    let text: string;
    try {
      text = readText(file);
    } catch (err) {
      if (err instanceof TypeError) {
        const fault = utf8FaultLine(readFileSync(file));
        const byte = fault ? `0x${fault.byte.toString(16).padStart(2, '0')}` : '';
        throw new ConfigError(fault ? `the file is not valid UTF-8 text: byte ${byte} on this line` : 'the file is not valid UTF-8 text', {
          file,
          line: fault?.line,
          hint: fault?.latin1 ? `save the file as UTF-8 (${byte} is ${fault.latin1} in Latin-1)` : 'save the file as UTF-8',
        });
      }
      const e = err as NodeJS.ErrnoException;
      throw new ConfigError(`could not read config file ${file}: ${e.code ?? e.message}`, { file });
    }
    try {
      this.doc.read(text, file);
    } catch (err) {
      if (err instanceof IniSyntaxError) {
        const bom = err.line === 1 && text.startsWith('\ufeff');
        throw new ConfigError(bom ? 'the file starts with a UTF-8 byte order mark, which Supervisor does not accept' : err.message, {
          file: err.file,
          line: err.line,
          section: err.section,
          value: err.text.replace(/\n$/, ''),
          hint: bom
            ? 'save the file as UTF-8 without BOM'
            : 'options are written `key = value` inside a [section]; comments start with ; or #',
        });
      }
      throw err;
    }
  }

  load(): Config {
    this.readFile(this.file);
    const expansions: Expansions = merge(
      new Map<string, PyValue>([
        ['here', this.here],
        ['host_node_name', this.hostNodeName],
      ]),
      this.environ,
    );

    if (this.doc.hasSection('include')) {
      // Only when there is an [include] does Supervisor substitute %(here)s
      // textually, file by file, so each included file's %(here)s is its own
      // directory (and [DEFAULT] values get the directory of the file whose
      // sections inherit them).
      this.doc.expandHere(this.here);
      const filesGot = this.doc.get('include', 'files');
      if (!filesGot) {
        throw new ConfigError('.ini file has [include] section, but no files setting', {
          ...this.doc.sectionOrigin.get('include'),
          section: 'include',
          option: 'files',
          hint: 'add files = conf.d/*.conf (globs, relative to this file)',
        });
      }
      const got: Got = { value: filesGot.value, entry: filesGot };
      const files = this.expand(filesGot.value, expansions, 'include', 'files', got);
      for (const pattern of files.split(/[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/).filter(Boolean)) {
        const full = pattern.startsWith('/') ? pattern : `${this.here}/${pattern}`;
        if (full.slice(0, full.lastIndexOf('/')).includes('\0')) {
          // Python's directory scan refuses NUL in a path (ValueError).
          this.fail(new dt.DatatypeError('embedded null byte in an [include] path'), 'include', 'files', got);
        }
        const matches = globSorted(full);
        if (matches.length === 0) {
          this.warnings.push({
            supervisor: true,
            message: `No file matches via include "${full}"`,
            file: filesGot.file,
            line: filesGot.line,
            section: 'include',
            option: 'files',
          });
          continue;
        }
        for (const f of matches) {
          this.infos.push(`Included extra file "${f}" during parsing`);
          // configparser.read() silently skips what it cannot open (a directory
          // matched by the glob, a file without read permission); we say so.
          const unread = includeSkipped(f);
          if (unread) {
            this.warnings.push({
              message: `included file ${f} ${unread}`,
              file: filesGot.file,
              line: filesGot.line,
              section: 'include',
              option: 'files',
            });
            continue;
          }
          this.readFile(f);
          this.included.push(f);
          this.doc.expandHere(resolve(dirname(f)));
        }
      }
    }

    if (!this.doc.hasSection('supervisord')) {
      throw new ConfigError('.ini file does not include supervisord section', {
        file: this.file,
        section: 'supervisord',
        hint: 'add a [supervisord] section (it may be empty)',
      });
    }

    this.warnUnknown();
    const supervisord = this.readSupervisord(expansions);
    const rpcPlugins = this.readPlugins('rpcinterface', this.doc, this.environ);
    const groups = this.readGroups();
    resolveDependencies(groups, (p, message, hint, name) => {
      // a name the [group:x] section gave its members is reported at that section's line
      const fromGroup = this.groupDepends.get(p);
      if (name !== null && fromGroup?.names.has(name)) this.fail(new dt.DatatypeError(message, hint), fromGroup.section, 'depends_on', fromGroup.got);
      this.fail(new dt.DatatypeError(message, hint), p.section, 'depends_on', this.dependsGot.get(p.section));
    });
    for (const g of groups) {
      for (const p of g.processes) p.environment = { ...supervisord.environment, ...p.environment };
    }
    const servers = this.readServers();
    if (servers.length) this.checkRpcOptions(rpcPlugins);
    const { supervisorctl, ctlPlugins } = this.readSupervisorctlAsDaemon();
    const plugins = [...rpcPlugins, ...ctlPlugins];

    return {
      file: this.file,
      here: this.here,
      included: this.included,
      supervisord,
      servers,
      supervisorctl,
      groups,
      plugins,
      warnings: this.warnings,
      infos: this.infos,
      serverurl: defaultServerUrl(servers),
    };
  }

  // ---- [supervisord] ---------------------------------------------------------

  readSupervisord(expansions: Expansions): SupervisordConfig {
    const S = 'supervisord';
    const here: Expansions = new Map([['here', this.here]]);
    const sources: Record<string, ValueSource> = {};
    const get = (opt: string, def: Raw): Got => {
      const g = this.get(S, opt, def, here);
      sources[opt] = sourceOf(g);
      return g;
    };
    const minfds = this.conv(S, 'minfds', get('minfds', 1024), dt.integer);
    const minprocs = this.conv(S, 'minprocs', get('minprocs', 200), dt.integer);
    const dirGot = get('directory', null);
    const directory = dirGot.value === null ? null : this.conv(S, 'directory', dirGot, (v: string) => dt.existingDirectory(v, this.home, this.cwd));
    const userGot = get('user', null);
    const user = this.str(userGot);
    const umask = this.conv(S, 'umask', get('umask', '022'), dt.octalType);
    const logfileGot = get('logfile', 'supervisord.log');
    let logfile = this.conv(S, 'logfile', logfileGot, (v: string) => dt.existingDirpath(v, this.home, this.cwd));
    const logfile_maxbytes = this.conv(S, 'logfile_maxbytes', get('logfile_maxbytes', '50MB'), dt.byteSize);
    const logfile_backups = this.conv(S, 'logfile_backups', get('logfile_backups', 10), dt.integer);
    // tsv's own option (Supervisor ignores the key): rotation when an hour, day, week or month begins
    const logfile_rotate = this.conv(S, 'logfile_rotate', get('logfile_rotate', 'none'), dt.rotatePeriod);
    const loglevel = this.conv(S, 'loglevel', get('loglevel', 'info'), dt.loggingLevel);
    const pidfileGot = get('pidfile', 'supervisord.pid');
    let pidfile = this.conv(S, 'pidfile', pidfileGot, (v: string) => dt.existingDirpath(v, this.home, this.cwd));
    const identifier = String(get('identifier', 'supervisor').value);
    const nodaemon = this.conv(S, 'nodaemon', get('nodaemon', 'false'), dt.boolean);
    const silent = this.conv(S, 'silent', get('silent', 'false'), dt.boolean);
    const childlogdir = this.conv(S, 'childlogdir', get('childlogdir', pyTempdir(this.env, this.cwd)), (v: string) => dt.existingDirectory(v, this.home, this.cwd));
    const nocleanup = this.conv(S, 'nocleanup', get('nocleanup', 'false'), dt.boolean);
    const strip_ansi = this.conv(S, 'strip_ansi', get('strip_ansi', 'false'), dt.boolean);
    // environment= is expanded twice: once by the getter (ENV_ and here) and
    // once more with host_node_name too, so a literal % needs %%%%.
    const envGot = get('environment', '');
    const envStr = this.expand(String(envGot.value), expansions, S, 'environment', envGot, true);
    const environment = this.conv(S, 'environment', { ...envGot, value: envStr }, dt.dictOfKeyValuePairs);
    for (const [k, v] of Object.entries(environment)) this.environ.set(`ENV_${k}`, v);

    // ServerOptions.realize: the user must exist, and the log and pid paths
    // are made absolute against the current directory (not the config's).
    let uid: number | null = null;
    if (user !== null && this.lookUpUser) uid = this.conv(S, 'user', userGot, dt.nameToUid);
    if (logfile !== 'syslog') logfile = dt.normalizePath(logfile, this.cwd, this.home);
    pidfile = dt.normalizePath(pidfile, this.cwd, this.home);

    return {
      logfile,
      logfile_maxbytes,
      logfile_backups,
      logfile_rotate,
      loglevel,
      pidfile,
      umask,
      nodaemon,
      silent,
      minfds,
      minprocs,
      nocleanup,
      childlogdir,
      user,
      uid,
      directory,
      strip_ansi,
      environment,
      identifier,
      sources,
    };
  }

  // ---- plugins -----------------------------------------------------------------

  /**
   * [rpcinterface:x] (read by supervisord) or [ctlplugin:x] (read only by
   * supervisorctl, from the main file alone): `doc` and `environ` are the
   * document and ENV_ names of the program that reads the section.
   */
  readPlugins(kind: 'rpcinterface' | 'ctlplugin', doc: IniDocument, environ: Expansions): PluginConfig[] {
    const factoryKey = kind === 'rpcinterface' ? 'supervisor.rpcinterface_factory' : 'supervisor.ctl_factory';
    const out: PluginConfig[] = [];
    const get = (section: string, key: string): Got => {
      const entry = doc.get(section, key);
      if (!entry) return { value: null };
      const got: Got = { value: entry.value, entry };
      got.value = entry.value.includes('%') ? this.expand(entry.value, environ, section, key, got) : entry.value;
      return got;
    };
    for (const section of doc.sectionNames()) {
      if (!section.startsWith(`${kind}:`)) continue;
      const name = section.slice(kind.length + 1);
      const got = get(section, factoryKey);
      if (got.value === null) {
        throw new ConfigError(`section [${section}] does not specify a ${factoryKey}`, {
          ...doc.sectionOrigin.get(section),
          section,
          option: factoryKey,
          hint: kind === 'rpcinterface' ? `add ${factoryKey} = ${MAIN_RPC_FACTORY}` : undefined,
        });
      }
      const spec = String(got.value);
      this.checkImportSpec(spec, section, factoryKey, got);
      const extras: Record<string, string> = {};
      for (const k of doc.options(section)) {
        if (k !== factoryKey) extras[k] = String(get(section, k).value);
      }
      if (kind === 'ctlplugin' || !isMainRpcFactory(spec)) {
        this.warnings.push({
          message: `[${section}] names the Python plugin ${spec}; tsv cannot load Python plugins and ignores it`,
          file: got.entry?.file,
          line: got.entry?.line,
          section,
          option: factoryKey,
        });
      }
      out.push({ kind, name, factory: spec, extras });
    }
    return out;
  }

  /**
   * supervisord calls each [rpcinterface:x] factory with the section's other
   * options as keyword arguments (and configparser gives every section the
   * [DEFAULT] ones), once per HTTP server it serves. Supervisor's own factory
   * takes none, so with a socket or port configured it refuses to start:
   * "Could not make NAME rpc interface". Refused the same way here, naming the
   * option, so that `tsv config check` catches what supervisord would not run.
   */
  private checkRpcOptions(plugins: PluginConfig[]): void {
    for (const p of plugins) {
      if (!isMainRpcFactory(p.factory)) continue;
      const section = `rpcinterface:${p.name}`;
      const option = Object.keys(p.extras)[0];
      if (option === undefined) continue;
      const entry = this.doc.get(section, option);
      const inherited = !this.doc.sections.get(section)?.has(option);
      throw new ConfigError(`Could not make ${p.name} rpc interface: ${MAIN_RPC_FACTORY} takes no option ${option}`, {
        file: entry?.file,
        line: entry?.line,
        section: inherited ? 'DEFAULT' : section,
        option,
        hint: inherited
          ? `[DEFAULT] gives every section its options, [${section}] too, which supervisord passes to the factory; set ${option}= in the sections that use it instead`
          : `remove it: supervisord passes every option of [${section}] to the factory`,
      });
    }
  }

  /**
   * pkg_resources.EntryPoint.parse's syntax, and whether the spec can be
   * imported: within Supervisor's own package we know what exists, so a
   * misspelt `supervisor.rpcinter` is refused as Supervisor refuses it; other
   * packages are Python code tsv cannot load (a warning, by the caller).
   */
  checkImportSpec(spec: string, section: string, option: SpecOption, got: Got): void {
    const problem = importSpecProblem(spec, section, option);
    if (problem) this.fail(new dt.DatatypeError(problem.message, problem.hint), section, option, got);
  }

  // ---- groups -------------------------------------------------------------------

  readGroups(): GroupConfig[] {
    const groups: GroupConfig[] = [];
    const all = this.doc.sectionNames();
    const allSet = new Set(all);
    const here: Expansions = new Map([['here', this.here]]);
    const homogeneousExclude = new Set<string>();
    const nameOf = (section: string): string => {
      const raw = section.slice(section.indexOf(':') + 1);
      try {
        return dt.processOrGroupName(raw);
      } catch (err) {
        this.fail(err, section, undefined, { value: raw });
      }
    };

    for (const gsection of all) {
      if (!gsection.startsWith('group:')) continue;
      const groupName = nameOf(gsection);
      const programsGot = this.get(gsection, 'programs', null, here);
      const programs = dt.listOfStrings(this.str(programsGot));
      const priority = this.conv(gsection, 'priority', this.get(gsection, 'priority', 999, here), dt.integer);
      const processes: ProcessConfig[] = [];
      for (const program of programs) {
        const ps = `program:${program}`;
        const fs = `fcgi-program:${program}`;
        if (!allSet.has(ps) && !allSet.has(fs)) {
          throw new ConfigError(`[${gsection}] names unknown program or fcgi-program ${program}`, {
            file: programsGot.entry?.file,
            line: programsGot.entry?.line,
            section: gsection,
            option: 'programs',
            value: String(programsGot.value),
            hint: `there is no [program:${program}] section`,
          });
        }
        if (allSet.has(ps) && allSet.has(fs)) {
          throw new ConfigError(`[${gsection}] name ${program} is ambiguous (exists as program and fcgi-program)`, {
            file: programsGot.entry?.file,
            line: programsGot.entry?.line,
            section: gsection,
            option: 'programs',
          });
        }
        const section = allSet.has(ps) ? ps : fs;
        homogeneousExclude.add(section);
        processes.push(...this.processesFromSection(section, groupName));
      }
      // tsv's own option (Supervisor ignores the key): what every program of the group waits for
      const dependsGot = this.get(gsection, 'depends_on', '', here);
      const depends = dt.listOfStrings(this.str(dependsGot)).filter((n) => n !== '');
      if (depends.length) {
        const names = new Set(depends);
        for (const p of processes) {
          if (!p.depends_on.length) p.sources.depends_on = sourceOf(dependsGot);
          p.depends_on = [...p.depends_on, ...depends.filter((n) => !p.depends_on.includes(n))];
          this.groupDepends.set(p, { section: gsection, got: dependsGot, names });
        }
      }
      groups.push({ name: groupName, kind: 'group', priority, processes, section: gsection });
    }

    for (const section of all) {
      if (!section.startsWith('program:') || homogeneousExclude.has(section)) continue;
      const name = nameOf(section);
      const priority = this.conv(section, 'priority', this.get(section, 'priority', 999, here), dt.integer);
      groups.push({ name, kind: 'program', priority, processes: this.processesFromSection(section, name), section });
    }

    for (const section of all) {
      if (!section.startsWith('eventlistener:')) continue;
      // The pool name is not checked here; the per-process read below checks it.
      const poolName = section.slice(section.indexOf(':') + 1);
      const priority = this.conv(section, 'priority', this.get(section, 'priority', -1, here), dt.integer);
      const bufGot = this.get(section, 'buffer_size', 10, here);
      const buffer_size = this.conv(section, 'buffer_size', bufGot, dt.integer);
      if (buffer_size < 1) {
        this.fail(
          new dt.DatatypeError(`[${section}] section sets invalid buffer_size (${buffer_size})`, 'buffer_size must be 1 or more'),
          section,
          'buffer_size',
          bufGot,
        );
      }
      const rhGot = this.get(section, 'result_handler', DEFAULT_RESULT_HANDLER, here);
      const result_handler = String(rhGot.value);
      this.checkImportSpec(result_handler, section, 'result_handler', rhGot);
      if (!isDefaultResultHandler(result_handler)) {
        // Ignoring it would silently change which events count as handled.
        this.fail(
          new dt.DatatypeError(
            `${result_handler} cannot be resolved within [${section}]: tsv cannot run Python result handlers`,
            `remove result_handler to use the standard one (${DEFAULT_RESULT_HANDLER}: OK acknowledges, anything else rejects)`,
          ),
          section,
          'result_handler',
          rhGot,
        );
      }
      const eventsGot = this.get(section, 'events', '', here);
      const names = [...new Set(dt.listOfStrings(String(eventsGot.value)).map((x) => x.toUpperCase()))];
      if (names.length === 0) {
        throw new ConfigError(`[${section}] section requires an "events" line`, {
          file: eventsGot.entry?.file ?? this.doc.sectionOrigin.get(section)?.file,
          line: eventsGot.entry?.line ?? this.doc.sectionOrigin.get(section)?.line,
          section,
          option: 'events',
          hint: 'e.g. events = PROCESS_STATE',
        });
      }
      for (const n of names) {
        // tsv's own types too: such a config is refused by supervisord, as it asks for what supervisord lacks
        if (!(EVENT_TYPE_NAMES as readonly string[]).includes(n) && !(TSV_EVENT_TYPE_NAMES as readonly string[]).includes(n)) {
          this.fail(
            new dt.DatatypeError(
              `Unknown event type ${n} in [${section}] events`,
              `known types: ${EVENT_TYPE_NAMES.join(', ')}; tsv only (healthcheck=, max_memory_restart=): ${TSV_EVENT_TYPE_NAMES.join(', ')}`,
            ),
            section,
            'events',
            eventsGot,
          );
        }
      }
      const rsGot = this.get(section, 'redirect_stderr', 'false', here);
      if (this.conv(section, 'redirect_stderr', rsGot, dt.boolean)) {
        this.fail(
          new dt.DatatypeError(
            `[${section}] section sets redirect_stderr=true but this is not allowed because it will interfere with the eventlistener protocol`,
            'remove redirect_stderr from event listeners',
          ),
          section,
          'redirect_stderr',
          rsGot,
        );
      }
      const processes = this.processesFromSection(section, poolName);
      groups.push({
        name: poolName,
        kind: 'eventlistener',
        priority,
        processes,
        buffer_size,
        events: names.sort(),
        result_handler,
        section,
      });
    }

    for (const section of all) {
      if (!section.startsWith('fcgi-program:') || homogeneousExclude.has(section)) continue;
      const name = nameOf(section);
      const priority = this.conv(section, 'priority', this.get(section, 'priority', 999, here), dt.integer);
      const socket = this.readFcgiSocket(section, name, here);
      groups.push({ name, kind: 'fcgi-program', priority, processes: this.processesFromSection(section, name), socket, section });
    }

    return stableSortByPriorityThenName(groups);
  }

  readFcgiSocket(section: string, programName: string, here: Expansions): FcgiSocketConfig {
    const userGot = this.get(section, 'user', null, here);
    const procUid = userGot.value === null ? null : this.conv(section, 'user', userGot, dt.nameToUid);
    const backlogGot = this.get(section, 'socket_backlog', null, here);
    let backlog: number | null = null;
    if (backlogGot.value !== null) {
      backlog = this.conv(section, 'socket_backlog', backlogGot, dt.integer);
      if (backlog < 1 || backlog > 65535) {
        this.fail(new dt.DatatypeError(`Invalid socket_backlog value ${backlog}`, 'between 1 and 65535'), section, 'socket_backlog', backlogGot);
      }
    }
    const ownerGot = this.get(section, 'socket_owner', null, here);
    let owner: [number, number] | null = null;
    if (ownerGot.value !== null) {
      try {
        owner = dt.colonSeparatedUserGroup(String(ownerGot.value));
      } catch {
        this.fail(new dt.DatatypeError(`Invalid socket_owner value ${ownerGot.value}`, 'write user or user:group'), section, 'socket_owner', ownerGot);
      }
    }
    const modeGot = this.get(section, 'socket_mode', null, here);
    let mode: number | null = null;
    if (modeGot.value !== null) {
      try {
        mode = dt.octalType(String(modeGot.value));
      } catch (e) {
        this.fail(new dt.DatatypeError(`Invalid socket_mode value ${modeGot.value}`, modeHint(e, 'an octal mode such as 0700')), section, 'socket_mode', modeGot);
      }
    }
    const sockGot = this.get(section, 'socket', null, merge(new Map([['program_name', programName]]), here));
    const sock = this.str(sockGot);
    if (!sock) {
      throw new ConfigError(`[${section}] section requires a "socket" line`, {
        ...this.doc.sectionOrigin.get(section),
        section,
        option: 'socket',
        hint: 'e.g. socket = unix:///run/app.sock or socket = tcp://127.0.0.1:9000',
      });
    }
    const bad = (msg: string, hint?: string): never =>
      this.fail(new dt.DatatypeError(`${msg} in [${section}] socket`, hint), section, 'socket', sockGot);
    if (sock.startsWith('unix://')) {
      const path = sock.slice(7);
      if (!path.startsWith('/')) bad(`Unix socket path ${path} is not an absolute path`, 'write unix:///absolute/path');
      const norm = dt.normalizePath(path, this.cwd, this.home);
      if (owner === null) {
        const myUid = process.getuid ? process.getuid() : 0;
        if (procUid !== null && procUid !== myUid) owner = [procUid, dt.gidForUid(procUid)];
      }
      return { family: 'unix', url: `unix://${norm}`, path: norm, owner, mode: mode ?? 0o700, backlog };
    }
    if (ownerGot.value !== null || modeGot.value !== null) {
      bad('socket_owner and socket_mode params should only be used with a Unix domain socket');
    }
    const m = /^tcp:\/\/([^\s:]+):(\d+)$/.exec(sock);
    if (m) {
      const host = m[1].toLowerCase();
      let port: number;
      try {
        port = dt.portNumber(m[2]);
      } catch (err) {
        return bad((err as Error).message);
      }
      return { family: 'inet', url: `tcp://${host}:${port}`, host, port, backlog };
    }
    return bad(`Bad socket format ${sock}`, 'use unix:///absolute/path or tcp://host:port');
  }

  // ---- [program:x] and friends: one config per process ------------------------------

  processesFromSection(section: string, groupName: string): ProcessConfig[] {
    const programName = (() => {
      const raw = section.slice(section.indexOf(':') + 1);
      try {
        return dt.processOrGroupName(raw);
      } catch (err) {
        this.fail(err, section, undefined, { value: raw });
      }
    })();
    // Supervisor mutates this one dict as it goes: after the first process it
    // also holds process_num, numprocs, the daemon's ENV_ names and the
    // program's environment= names, which every later read sees.
    const common: Expansions = new Map<string, PyValue>([
      ['here', this.here],
      ['program_name', programName],
      ['host_node_name', this.hostNodeName],
      ['group_name', groupName],
    ]);
    const sources: Record<string, ValueSource> = {};
    const get = (opt: string, def: Raw, extra?: Expansions, doExpand = true): Got => {
      const g = this.get(section, opt, def, extra ? merge(extra, common) : common, doExpand);
      sources[opt] = sourceOf(g);
      return g;
    };
    const S = section;
    const priority = this.conv(S, 'priority', get('priority', 999), dt.integer);
    const autostart = this.conv(S, 'autostart', get('autostart', 'true'), dt.boolean);
    const autorestart = this.conv(S, 'autorestart', get('autorestart', 'unexpected'), dt.autoRestart);
    const startsecs = this.conv(S, 'startsecs', get('startsecs', 1), dt.integer);
    const startretries = this.conv(S, 'startretries', get('startretries', 3), dt.integer);
    const stopsignalNum = this.conv(S, 'stopsignal', get('stopsignal', 'TERM'), dt.signalNumber);
    const stopwaitsecs = this.conv(S, 'stopwaitsecs', get('stopwaitsecs', 10), dt.integer);
    const stopasgroup = this.conv(S, 'stopasgroup', get('stopasgroup', 'false'), dt.boolean);
    const killasgroup = this.conv(S, 'killasgroup', get('killasgroup', stopasgroup), dt.boolean);
    // tsv's own option (Supervisor ignores the key): stop the whole process tree
    const stopastree = this.conv(S, 'stopastree', get('stopastree', 'false'), dt.boolean);
    // tsv's own option (Supervisor ignores the key): start once these are
    // RUNNING, stop before them; names resolved once every group is read (./depends.ts)
    const dependsGot = get('depends_on', '');
    const depends_on = dt.listOfStrings(this.str(dependsGot)).filter((n) => n !== '');
    if (depends_on.length) this.dependsGot.set(S, dependsGot);
    // tsv's own option (Supervisor ignores the key): a program that gave up
    // (FATAL) is started again this many seconds later, for ever; 0: never
    const fatalretrysecs = this.integerAtLeast(
      S,
      'fatalretrysecs',
      get('fatalretrysecs', 0),
      0,
      (n) => `fatalretrysecs=${n} is not a number of seconds`,
      'use 0 to leave a FATAL program alone (as Supervisor does), or the seconds to wait before starting it again',
    );
    // tsv's own option (Supervisor ignores the key): an automatic restart after an exit waits this long
    const restartpause = this.integerAtLeast(
      S,
      'restartpause',
      get('restartpause', 0),
      0,
      (n) => `restartpause=${n} is not a number of seconds`,
      'use 0 to restart an exited program at once (as Supervisor does), or the seconds to wait before each automatic restart',
    );
    const max_memory_restart = readMemoryLimit(this, S, get);
    const rlimits = readRlimits(this, S, get, sources);
    const changes = readChangeRestart(this, S, get);
    // tsv's own options (Supervisor ignores the keys): start (ochinchina's cron=) or restart (PM2's cron_restart=) on a schedule
    const cron = readSchedule(this, S, 'cron', get);
    const cron_restart = readSchedule(this, S, 'cron_restart', get);
    if (cron && startsecs > 0 && this.doc.get(S, 'startsecs') === undefined)
      this.warnOption(
        S,
        'cron',
        `For [${S}], cron= starts a job, and startsecs=${startsecs} (the default) counts a job that ends within ${startsecs} s as a failed start, retried startretries times; set startsecs=0 for a job that ends by itself`,
      );
    const exitcodes = this.conv(S, 'exitcodes', get('exitcodes', '0'), dt.listOfExitcodes);
    const redirect_stderr = this.conv(S, 'redirect_stderr', get('redirect_stderr', 'false'), dt.boolean);
    // tsv's own option (Supervisor ignores the key): the program's stdin, stdout
    // and stderr are one pseudo-terminal, for `tsv attach`
    const ptyGot = get('pty', 'false');
    const pty = this.conv(S, 'pty', ptyGot, dt.boolean);
    if (pty && !S.startsWith('program:')) {
      this.fail(
        new dt.DatatypeError(
          `[${S}] sets pty=true, which only a [program:x] section may: ${
            S.startsWith('eventlistener:') ? "an event listener's stdin and stdout carry the listener protocol" : "a FastCGI program's stdin is its socket"
          }`,
          'remove pty from this section',
        ),
        S,
        'pty',
        ptyGot,
      );
    }
    const numprocsGot = get('numprocs', 1);
    const numprocs = this.conv(S, 'numprocs', numprocsGot, dt.integer);
    const numprocsStart = this.conv(S, 'numprocs_start', get('numprocs_start', 0), dt.pyIntExact);
    const envGot = get('environment', '', undefined, false);
    const stdout_capture_maxbytes = this.conv(S, 'stdout_capture_maxbytes', get('stdout_capture_maxbytes', '0'), dt.byteSize);
    const stdout_events_enabled = this.conv(S, 'stdout_events_enabled', get('stdout_events_enabled', 'false'), dt.boolean);
    const stderr_capture_maxbytes = this.conv(S, 'stderr_capture_maxbytes', get('stderr_capture_maxbytes', '0'), dt.byteSize);
    const stderr_events_enabled = this.conv(S, 'stderr_events_enabled', get('stderr_events_enabled', 'false'), dt.boolean);
    const serverurlGot = get('serverurl', null);
    let serverurl = this.str(serverurlGot);
    if (serverurl && serverurl.trim().toUpperCase() === 'AUTO') serverurl = null;
    const userGot = get('user', null);
    const user = this.str(userGot);
    const uid = user === null ? null : this.conv(S, 'user', userGot, dt.nameToUid);
    const umaskGot = get('umask', null);
    const umask = umaskGot.value === null ? null : this.conv(S, 'umask', umaskGot, dt.octalType);
    const pnGot = get('process_name', '%(program_name)s', undefined, false);
    const processName = this.conv(S, 'process_name', pnGot, dt.processOrGroupName);

    if (numprocs > MAX_NUMPROCS) {
      // Supervisor would try to build them all and never finish; say so instead.
      this.fail(
        new dt.DatatypeError(`numprocs=${numprocs} is more processes than tsv will create (at most ${MAX_NUMPROCS})`, 'use a smaller numprocs'),
        S,
        'numprocs',
        numprocsGot,
      );
    }
    if (numprocs > 1 && !processName.includes('%(process_num)')) {
      this.fail(
        new dt.DatatypeError(
          '%(process_num) must be present within process_name when numprocs > 1',
          pnGot.entry ? 'e.g. process_name=%(program_name)s_%(process_num)02d' : 'add process_name=%(program_name)s_%(process_num)02d (the default, %(program_name)s, names one process)',
        ),
        S,
        // with no process_name in the file, the line to point at is numprocs'
        pnGot.entry ? 'process_name' : 'numprocs',
        pnGot.entry ? pnGot : numprocsGot,
      );
    }
    if (stopasgroup && !killasgroup) {
      const kg = this.doc.get(S, 'killasgroup');
      this.fail(
        new dt.DatatypeError('Cannot set stopasgroup=true and killasgroup=false', 'stopasgroup implies killasgroup; remove killasgroup=false'),
        S,
        'killasgroup',
        kg ? { value: kg.value, entry: kg } : undefined,
      );
    }

    const out: ProcessConfig[] = [];
    const stopsignal = dt.signalName(stopsignalNum);
    for (let k = 0; k < numprocs; k++) {
      const processNum = typeof numprocsStart === 'bigint' ? numprocsStart + BigInt(k) : numprocsStart + k;
      common.set('process_num', processNum);
      common.set('numprocs', numprocs);
      for (const [k, v] of this.environ) common.set(k, v);
      const envStr = this.expand(String(envGot.value), common, S, 'environment', envGot);
      const environment = this.conv(S, 'environment', { ...envGot, value: envStr }, dt.dictOfKeyValuePairs);
      for (const [k, v] of Object.entries(environment)) common.set(`ENV_${k}`, v);
      // tsv's own option (Supervisor ignores the key): variables read from
      // these files at each spawn, over environment= (src/daemon/env-file.ts)
      const environment_file = this.conv(S, 'environment_file', get('environment_file', ''), dt.environmentFiles);

      const dirGot = get('directory', null);
      const directory = this.str(dirGot);

      const logs: Record<string, LogfileTarget | number | boolean | RotatePeriod | null> = {};
      for (const ch of ['stdout', 'stderr'] as const) {
        const lfKey = `${ch}_logfile`;
        const lfGot = get(lfKey, 'AUTO_SENTINEL');
        let lf: LogfileTarget | 'SYSLOG';
        if (lfGot.entry) {
          // The getter already expanded it; Supervisor expands it once more.
          const twice = this.expand(String(lfGot.value), common, S, lfKey, lfGot);
          lf = this.conv(S, lfKey, { ...lfGot, value: twice }, (v: string) => dt.logfileName(v, this.home, this.cwd));
        } else {
          lf = 'AUTO';
        }
        const backups = this.conv(S, `${ch}_logfile_backups`, get(`${ch}_logfile_backups`, 10), dt.integer);
        const maxbytes = this.conv(S, `${ch}_logfile_maxbytes`, get(`${ch}_logfile_maxbytes`, '50MB'), dt.byteSize);
        // tsv's own option (Supervisor ignores the key): rotation when an hour, day, week or month begins
        const rotate = this.conv(S, `${ch}_logfile_rotate`, get(`${ch}_logfile_rotate`, 'none'), dt.rotatePeriod);
        let syslog = this.conv(S, `${ch}_syslog`, get(`${ch}_syslog`, false), dt.boolean);
        if (lf === 'SYSLOG') {
          this.warnings.push({
            supervisor: true,
            message: `For [${S}], ${lfKey}=syslog but this is deprecated and will be removed.  Use ${ch}_syslog=true to enable syslog instead.`,
            file: lfGot.entry?.file,
            line: lfGot.entry?.line,
            section: S,
            option: lfKey,
          });
          lf = null;
          syslog = true;
        }
        if (lf === 'AUTO' && !maxbytes && !rotate) {
          this.warnings.push({
            supervisor: true,
            message: `For [${S}], AUTO logging used for ${lfKey} without rollover, set maxbytes > 0 to avoid filling up filesystem unintentionally`,
            ...this.doc.sectionOrigin.get(S),
            section: S,
            option: `${ch}_logfile_maxbytes`,
          });
        }
        logs[lfKey] = lf;
        logs[`${ch}_logfile_backups`] = backups;
        logs[`${ch}_logfile_maxbytes`] = maxbytes;
        logs[`${ch}_syslog`] = syslog;
        // tsv's own option (Supervisor ignores the key): each line of the log file begins with the time it was read
        logs[`${ch}_logfile_timestamps`] = this.conv(S, `${ch}_logfile_timestamps`, get(`${ch}_logfile_timestamps`, false), dt.boolean);
        // tsv's own option (Supervisor ignores the key): rotated backups are gzipped
        logs[`${ch}_logfile_compress`] = this.conv(S, `${ch}_logfile_compress`, get(`${ch}_logfile_compress`, false), dt.boolean);
        logs[`${ch}_logfile_rotate`] = rotate;
      }
      if (redirect_stderr || pty) {
        const se = logs.stderr_logfile;
        if (se !== 'AUTO' && se !== null) {
          this.warnOption(
            S,
            'stderr_logfile',
            redirect_stderr
              ? `For [${S}], redirect_stderr=true but stderr_logfile has also been set to a filename, the filename has been ignored`
              : `For [${S}], pty=true sends stderr to the terminal with stdout, so stderr_logfile has been ignored`,
            redirect_stderr,
          );
        }
        logs.stderr_logfile = null;
      }
      // tsv's own log options set where they do nothing: why, or null
      const noEffect = (ch: 'stdout' | 'stderr', what: string): string | null => {
        if (ch === 'stderr' && (redirect_stderr || pty))
          return `stderr goes to the stdout log (${redirect_stderr ? 'redirect_stderr' : 'pty'}=true), for which stdout_logfile_${what} decides`;
        if (logs[`${ch}_logfile`] === null) return `there is no ${ch} log file (${ch}_logfile=NONE)`;
        if (what === 'compress' && !((logs[`${ch}_logfile_maxbytes`] || logs[`${ch}_logfile_rotate`]) && logs[`${ch}_logfile_backups`]))
          return `the log is not rotated into backups (${ch}_logfile_backups must be more than 0, and ${ch}_logfile_maxbytes more than 0 or ${ch}_logfile_rotate set)`;
        return null;
      };
      for (const ch of ['stdout', 'stderr'] as const) {
        for (const what of ['timestamps', 'compress', 'rotate'] as const) {
          const key = `${ch}_logfile_${what}`;
          const why = logs[key] ? noEffect(ch, what) : null;
          if (why) this.warnOptionOnce(S, key, `For [${S}], ${key}=${String(logs[key])} has no effect: ${why}`);
        }
      }

      // tsv's own commands, read per process as command= is: %(process_num)s names each one's port or file
      const healthcheck = readHealthCheck(this, S, get);
      const pre_start_hook = readHook(this, S, 'pre_start_hook', get, startHookTimeout(this, S, get));
      const pre_stop_hook = readHook(this, S, 'pre_stop_hook', get, stopwaitsecs);

      const cmdGot = get('command', null, common);
      if (cmdGot.value === null) {
        throw new ConfigError(`program section ${S} does not specify a command`, {
          ...this.doc.sectionOrigin.get(S),
          section: S,
          option: 'command',
          hint: 'add command = /path/to/program --args',
        });
      }
      const name = this.expand(processName, common, S, 'process_name', pnGot);
      const [stdout_logfile_prefix, stderr_logfile_prefix] = (['stdout', 'stderr'] as const).map((ch) =>
        readLogPrefix(this, S, ch, get, name, noEffect(ch, 'prefix')),
      );

      out.push({
        name,
        group: groupName,
        section: S,
        program: programName,
        process_num: Number(processNum),
        numprocs,
        command: String(cmdGot.value),
        directory,
        umask,
        priority,
        autostart,
        autorestart,
        startsecs,
        startretries,
        uid,
        user,
        stdout_logfile: logs.stdout_logfile as LogfileTarget,
        stdout_logfile_maxbytes: logs.stdout_logfile_maxbytes as number,
        stdout_logfile_backups: logs.stdout_logfile_backups as number,
        stdout_capture_maxbytes,
        stdout_events_enabled,
        stdout_syslog: logs.stdout_syslog as boolean,
        stdout_logfile_timestamps: logs.stdout_logfile_timestamps as boolean,
        stdout_logfile_prefix,
        stdout_logfile_compress: logs.stdout_logfile_compress as boolean,
        stdout_logfile_rotate: logs.stdout_logfile_rotate as RotatePeriod | null,
        stderr_logfile: logs.stderr_logfile as LogfileTarget,
        stderr_logfile_maxbytes: logs.stderr_logfile_maxbytes as number,
        stderr_logfile_backups: logs.stderr_logfile_backups as number,
        stderr_capture_maxbytes,
        stderr_events_enabled,
        stderr_syslog: logs.stderr_syslog as boolean,
        stderr_logfile_timestamps: logs.stderr_logfile_timestamps as boolean,
        stderr_logfile_prefix,
        stderr_logfile_compress: logs.stderr_logfile_compress as boolean,
        stderr_logfile_rotate: logs.stderr_logfile_rotate as RotatePeriod | null,
        stopsignal,
        stopwaitsecs,
        stopasgroup,
        killasgroup,
        exitcodes,
        redirect_stderr,
        pty,
        stopastree,
        fatalretrysecs,
        restartpause,
        depends_on,
        healthcheck,
        max_memory_restart,
        rlimits,
        ...changes,
        cron,
        cron_restart,
        pre_start_hook,
        pre_stop_hook,
        environment,
        environment_file,
        serverurl,
        sources: { ...sources },
      });
    }
    return stableSortByPriorityThenName(out);
  }

  /** An integer option of tsv's own, refused below `min` with `message` and `hint`. */
  integerAtLeast(S: string, opt: string, got: Got, min: number, message: (n: number) => string, hint: string): number {
    const n = this.conv(S, opt, got, dt.integer);
    if (n < min) this.fail(new dt.DatatypeError(message(n), hint), S, opt, got);
    return n;
  }

  // ---- servers -------------------------------------------------------------------

  readServers(): ServerConfig[] {
    const out: ServerConfig[] = [];
    const names = (prefix: string): { name: string | null; section: string }[] =>
      this.doc
        .sectionNames()
        .filter((s) => s.startsWith(prefix))
        .map((s) => {
          const i = s.indexOf(':');
          return { name: i === -1 ? null : s.slice(i + 1), section: s };
        });
    for (const { name, section } of names('inet_http_server')) {
      const auth = this.readAuth(section);
      const portGot = this.get(section, 'port', null);
      if (portGot.value === null) {
        throw new ConfigError(`section [${section}] has no port value`, {
          ...this.doc.sectionOrigin.get(section),
          section,
          option: 'port',
          hint: 'add port = 127.0.0.1:9001 (and a username and password if it is reachable from other hosts)',
        });
      }
      const { host, port } = this.conv(section, 'port', portGot, dt.inetAddress);
      out.push({ family: 'inet', name, section, host, port, ...auth });
    }
    for (const { name, section } of names('unix_http_server')) {
      const fileGot = this.get(section, 'file', null, new Map([['here', this.here]]));
      if (fileGot.value === null) {
        throw new ConfigError(`section [${section}] has no file value`, {
          ...this.doc.sectionOrigin.get(section),
          section,
          option: 'file',
          hint: 'add file = /run/tsv/tsv.sock (or a path under %(here)s)',
        });
      }
      const file = dt.normalizePath(String(fileGot.value).trim(), this.cwd, this.home);
      const auth = this.readAuth(section);
      const chownGot = this.get(section, 'chown', null);
      let chown: [number, number] = [-1, -1];
      if (chownGot.value !== null) {
        try {
          chown = dt.colonSeparatedUserGroup(String(chownGot.value));
        } catch {
          this.fail(new dt.DatatypeError(`Invalid sockchown value ${chownGot.value}`, 'write user or user:group with names that exist'), section, 'chown', chownGot);
        }
      }
      const chmodGot = this.get(section, 'chmod', null);
      let chmod = 0o700;
      if (chmodGot.value !== null) {
        try {
          chmod = dt.octalType(String(chmodGot.value));
        } catch (e) {
          this.fail(new dt.DatatypeError(`Invalid chmod value ${chmodGot.value}`, modeHint(e, 'an octal mode such as 0700 or 0770')), section, 'chmod', chmodGot);
        }
      }
      out.push({ family: 'unix', name, section, file, chmod, chown, ...auth });
    }
    return out;
  }

  readAuth(section: string): { username: string | null; password: string | null } {
    const u = this.get(section, 'username', null);
    const p = this.get(section, 'password', null);
    const username = this.str(u);
    const password = this.str(p);
    if ((username === null) !== (password === null)) {
      const present = username !== null ? u : p;
      throw new ConfigError(
        `Section [${section}] contains incomplete authentication: If a username or a password is specified, both the username and password must be specified`,
        {
          file: present.entry?.file,
          line: present.entry?.line,
          section,
          option: username === null ? 'username' : 'password',
          hint: `add the missing ${username === null ? 'username' : 'password'}`,
        },
      );
    }
    return { username, password };
  }

  // ---- [supervisorctl]: read as supervisorctl reads it ---------------------------------

  /**
   * supervisord never reads [supervisorctl] or [ctlplugin:x]: what would stop
   * supervisorctl there (a password from a variable only the admin's shell
   * has) must not stop the daemon, so it is a warning here, and the section
   * counts as absent.
   */
  private readSupervisorctlAsDaemon(): { supervisorctl: SupervisorctlConfig; ctlPlugins: PluginConfig[] } {
    const { doc, env } = this.ctlView();
    const warned = <T>(read: () => T, instead: T): T => {
      try {
        return read();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const { file, line, section, option, hint } = err;
        const message = `${err.message}; supervisorctl refuses this config (supervisord does not read [${section}])`;
        this.warnings.push({ message, file, line, section, option, hint, refusedBy: 'supervisorctl' });
        return instead;
      }
    };
    return {
      supervisorctl: warned(() => this.readCtlSection(doc, env), { ...NO_CTL_SECTION }),
      ctlPlugins: warned(() => this.readPlugins('ctlplugin', doc, env), []),
    };
  }

  /** What supervisorctl parses: the main file alone (no [include]), with only the process environment as ENV_ names. */
  private ctlView(): { doc: IniDocument; env: Expansions } {
    const doc = new IniDocument();
    doc.read(readText(this.file), this.file);
    const env: Expansions = new Map();
    for (const [k, v] of Object.entries(this.env)) if (v !== undefined) env.set(`ENV_${k}`, v);
    return { doc, env };
  }

  private readCtlSection(doc: IniDocument, env: Expansions): SupervisorctlConfig {
    if (!doc.hasSection('supervisorctl')) return { ...NO_CTL_SECTION };
    const out: SupervisorctlConfig = { ...NO_CTL_SECTION, present: true };
    const S = 'supervisorctl';
    const get = (opt: string, def: string | null, here: boolean): string | null => {
      const entry = doc.get(S, opt);
      if (!entry) return def;
      const m = here ? merge(env, new Map([['here', this.here]])) : env;
      return this.expand(entry.value, m, S, opt, { value: entry.value, entry });
    };
    let serverurl = get('serverurl', 'http://localhost:9001', true) as string;
    const unusable = serverUrlProblem(serverurl);
    if (unusable) this.warnOption(S, 'serverurl', `"${serverurl}" ${unusable}: every supervisorctl and tsv ctl command with this file will fail; expected unix:///path/to/socket or http://host:port`);
    if (serverurl.startsWith('unix://')) serverurl = `unix://${dt.normalizePath(serverurl.slice(7), this.cwd, this.home)}`;
    out.serverurl = serverurl;
    out.prompt = get('prompt', 'supervisor', false) as string;
    out.username = get('username', null, false);
    out.password = get('password', null, false);
    const hf = get('history_file', null, true);
    out.history_file = hf ? dt.normalizePath(hf, this.cwd, this.home) : null;
    return out;
  }

  // ---- our own warnings: what Supervisor silently ignores -------------------------------

  warnUnknown(): void {
    for (const section of this.doc.sectionNames()) {
      const kind = sectionKind(section);
      const origin = this.doc.sectionOrigin.get(section);
      if (kind === null) {
        const lower = section.toLowerCase();
        const looksLike = sectionKind(lower) !== null && lower !== section;
        this.warnings.push({
          message: looksLike
            ? `section [${section}] is ignored: section names are case-sensitive (did you mean [${lower}]?)`
            : `section [${section}] is not one Supervisor reads; it is ignored`,
          ...origin,
          section,
        });
        continue;
      }
      const known = KNOWN_OPTIONS[kind];
      if (known === null) continue;
      const own = this.doc.sections.get(section);
      if (!own) continue;
      for (const [key, entry] of own) {
        if (known.has(key)) continue;
        this.warnings.push({
          message: `unknown option ${key} in [${section}] is ignored`,
          file: entry.file,
          line: entry.line,
          section,
          option: key,
        });
      }
    }
    // [DEFAULT] hands its keys to every section: one no section reads is a typo
    const read = new Set(Object.values(KNOWN_OPTIONS).flatMap((k) => (k ? [...k] : [])));
    for (const [key, entry] of this.doc.defaults) {
      if (read.has(key)) continue;
      this.warnings.push({ message: `unknown option ${key} in [DEFAULT] is ignored: no section reads it`, file: entry.file, line: entry.line, section: 'DEFAULT', option: key });
    }
  }
}

/** Python's list.sort() with Config.__lt__: priority, then name; stable. */
function stableSortByPriorityThenName<T extends { priority: number; name: string }>(items: T[]): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => a.item.priority - b.item.priority || pyStrCompare(a.item.name, b.item.name) || a.i - b.i)
    .map((x) => x.item);
}

/**
 * tempfile.gettempdir(): the first of TMPDIR, TEMP, TMP, /tmp, /var/tmp,
 * /usr/tmp and the current directory where a file can be made. Python makes
 * and removes one to find out; access(2) answers without leaving anything (a
 * read-only file system is EROFS to it too), which matters as ctl and doctor
 * read the config as well. A container with a read-only root (/tmp too) or an
 * arbitrary uid that cannot write TMPDIR gets its AUTO logs where supervisord
 * puts them, instead of a start that fails.
 */
function pyTempdir(env: NodeJS.ProcessEnv, cwd: string): string {
  const candidates = [env.TMPDIR, env.TEMP, env.TMP, '/tmp', '/var/tmp', '/usr/tmp'].filter((v): v is string => !!v).map((v) => resolve(cwd, v));
  for (const dir of [...candidates, cwd]) {
    try {
      if (statSync(dir).isDirectory()) {
        accessSync(dir, fsConstants.W_OK | fsConstants.X_OK);
        return dir;
      }
    } catch {
      // Python tries the next candidate when one is unusable
    }
  }
  return '/tmp';
}

/**
 * Why supervisorctl cannot use `url` as its serverurl (its transport takes
 * http:// with Python's urlparse port rules, or unix://), or null. A
 * half-rendered template (`http://localhost:__PORT__`) or a URL without its
 * scheme passes supervisorctl's config reading and fails every command.
 */
function serverUrlProblem(url: string): string | null {
  if (url.startsWith('unix://')) return null;
  if (!url.startsWith('http://')) return 'is not a unix:// or http:// URL (supervisorctl: "Unknown protocol for serverurl")';
  const netloc = url.slice(7).split(/[/?#]/)[0] ?? '';
  // urlsplit: one bracket without the other anywhere in the host part
  if (netloc.includes('[') !== netloc.includes(']')) return 'has an unbalanced [ or ] (supervisorctl: "Invalid IPv6 URL")';
  const hostPort = netloc.split('@').pop() ?? '';
  const m = /:([^\]:]*)$/.exec(hostPort);
  const port = m ? (m[1] as string) : '';
  if (port === '') return null;
  if (!/^\d+$/.test(port)) return `has a port that is not a number (supervisorctl: "Port could not be cast to integer value as '${port}'")`;
  if (Number(port) > 65535) return 'has a port past 65535 (supervisorctl: "Port out of range 0-65535")';
  return null;
}

/** The URL children get when serverurl is AUTO: the first unix server, else the first inet one. */
export function defaultServerUrl(servers: ServerConfig[]): string | null {
  const unix = servers.find((s) => s.family === 'unix');
  if (unix && unix.family === 'unix') return `unix://${unix.file}`;
  const inet = servers.find((s) => s.family === 'inet');
  if (inet && inet.family === 'inet') return `http://${inet.host || 'localhost'}:${inet.port}`;
  return null;
}

/** Read and interpret a config file. Throws ConfigError for anything Supervisor would refuse. */
export function loadConfig(opts: LoadOptions): LoadResult {
  const cwd = opts.cwd ?? process.cwd();
  const file = resolve(cwd, opts.file);
  const env = opts.env ?? process.env;
  if (!isFile(file)) {
    const there = existsSync(file);
    // a running daemon rereads the file it started with: -c of a ctl cannot point it elsewhere
    throw new ConfigError(`could ${there ? 'not read' : 'not find'} config file ${opts.file}`, {
      file,
      fileInMessage: true,
      hint: there
        ? `it is not a regular file but ${kindWords(notRegularKind(file))}; the config is read from a file (a daemonizing start reads it twice)`
        : opts.rereading
          ? 'the daemon rereads the file it was started with (-c); put it back there, or restart the daemon with the new path'
          : 'pass the right path with -c, or run `tsv config sample > supervisord.conf` to start one',
    });
  }
  const loader = new Loader(file, env, cwd, opts.lookUpUser);
  return { config: loader.load() };
}

export type { GroupKind };

/** The hint for a mode Supervisor's words refuse: why, when the number is too large for a C int. */
function modeHint(e: unknown, usual: string): string {
  return e instanceof dt.RangeDatatypeError ? `${e.message}; ${usual}` : usual;
}
