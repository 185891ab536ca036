// Turning a ProcessConfig into a running child the way Supervisor does
// (process.py get_execv_args, options.check_execv_args, _spawn_as_child).
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { pyRepr } from '../config/pyformat';
import type { ProcessConfig } from '../config/model';
import { umaskBits } from '../config/datatypes';
import { rlimitText } from '../config/rlimits';
import type { Principal } from '../os/accounts';
import { shlexSplit, ShlexError } from '../config/shlex';
import { requireNative, type NativeSpawnResult } from './native';

export type CommandErrorKind = 'BadCommand' | 'NotFound' | 'NotExecutable' | 'NoPermission';

/** Supervisor's ProcessException family: the command cannot be run at all. */
export class CommandError extends Error {
  constructor(
    readonly kind: CommandErrorKind,
    message: string,
    /** the file found, when there is one */
    readonly file: string | null = null,
  ) {
    super(message);
  }
  /** the RPC fault startProcess raises for it */
  get fault(): 'NO_FILE' | 'NOT_EXECUTABLE' {
    return this.kind === 'NotFound' ? 'NO_FILE' : 'NOT_EXECUTABLE';
  }
}

function pyJoin(dir: string, name: string): string {
  if (dir === '') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** options.get_path / ProcessConfig.get_path */
export function searchPath(config: ProcessConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const fromProgram = config.environment?.PATH;
  if (fromProgram !== undefined) return fromProgram.split(':');
  const p = env.PATH;
  return p ? p.split(':') : ['/bin', '/usr/bin', '/usr/local/bin'];
}

export interface ExecArgs {
  filename: string;
  argv: string[];
}

/** get_execv_args + check_execv_args: resolve and check the program, or throw CommandError. */
export function execvArgs(config: ProcessConfig, env: NodeJS.ProcessEnv = process.env): ExecArgs {
  let argv: string[];
  try {
    argv = shlexSplit(config.command);
  } catch (e) {
    if (e instanceof ShlexError) throw new CommandError('BadCommand', `can't parse command ${pyRepr(config.command)}: ${e.message}`);
    throw e;
  }
  return resolveCommand(argv, config, env);
}

/** check_execv_args for words already split: the file argv[0] names, found on the program's PATH and checked, or CommandError. */
export function resolveCommand(argv: string[], config: ProcessConfig, env: NodeJS.ProcessEnv = process.env): ExecArgs {
  if (!argv.length) throw new CommandError('BadCommand', 'command is empty');
  const program = argv[0];
  let filename = program;
  let st: Stats | null = null;
  if (program.includes('/')) {
    st = tryStat(program);
  } else {
    for (const dir of searchPath(config, env)) {
      const found = pyJoin(dir, program);
      st = tryStat(found);
      if (st) {
        filename = found;
        break;
      }
    }
  }
  if (!st) throw new CommandError('NotFound', `can't find command ${pyRepr(filename)}`);
  if (st.isDirectory()) throw new CommandError('NotExecutable', `command at ${pyRepr(filename)} is a directory`);
  if (!(st.mode & 0o111)) throw new CommandError('NotExecutable', `command at ${pyRepr(filename)} is not executable`);
  try {
    accessSync(filename, constants.X_OK);
  } catch {
    throw new CommandError('NoPermission', `no permission to run command ${pyRepr(filename)}`, filename);
  }
  return { filename, argv };
}

function tryStat(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

export interface ChildEnvInput {
  config: ProcessConfig;
  group: string;
  /** the daemon's fallback server URL (first unix server, else first inet) */
  serverurl: string | null;
  base?: NodeJS.ProcessEnv;
}

/** os.environ + SUPERVISOR_* + [supervisord] environment + program environment */
export function childEnv({ config, group, serverurl, base = process.env }: ChildEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  env.SUPERVISOR_ENABLED = '1';
  const url = config.serverurl ?? serverurl;
  if (url) env.SUPERVISOR_SERVER_URL = url;
  env.SUPERVISOR_PROCESS_NAME = config.name;
  env.SUPERVISOR_GROUP_NAME = group;
  Object.assign(env, config.environment ?? {});
  return env;
}

// The last KEY=value text made for each key: programs keep their list for
// their next spawn, and most entries (the daemon's own environment) are the
// same for all of them, so they share one string instead of each holding
// its own copy (a few KiB per program).
const entryText = new Map<string, { value: string; text: string }>();

/** The child's environment as execve wants it (KEY=value). */
export function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => {
    let e = entryText.get(k);
    if (e?.value !== v) entryText.set(k, (e = { value: v, text: `${k}=${v}` }));
    return e.text;
  });
}

export interface SpawnRequest {
  exec: ExecArgs;
  /** KEY=value strings (see envList) */
  env: string[];
  config: ProcessConfig;
  minfds: number;
  /** [fcgi-program:x]: the group's listening socket, placed on the child's fd 0 */
  stdinFd?: number;
  /** a file the daemon opened, placed on the child's fd 1 (stderr then has a pipe of its own) */
  stdoutFd?: number;
  /** pty=true: the size of the new terminal that is the child's stdin, stdout and stderr */
  pty?: { cols: number; rows: number };
}

/** The spawn failures Supervisor reports before a child exists. */
export class SpawnFailure extends Error {
  constructor(
    readonly stage: 'pipe' | 'fork',
    readonly code: string,
  ) {
    super(`${stage}: ${code}`);
  }
}

/** 1 MiB: the default /proc/sys/fs/pipe-max-size, so unprivileged daemons get it too. */
const OUTPUT_PIPE_SIZE = 1024 * 1024;

/**
 * The user `user=` switches the program to, when that is not the daemon's own
 * (null: no switch), with its primary and supplementary groups as initgroups
 * sets them; `user` is null for a uid the system does not know.
 */
export function switchedUser(config: ProcessConfig): { uid: number; user: Principal | null } | null {
  const uid = config.uid;
  if (uid === null || uid === undefined || uid === process.getuid?.()) return null;
  const info = requireNative().groupsOf(uid);
  return { uid, user: info ? { uid, gid: info.gid, groups: info.groups, name: info.name } : null };
}

export function spawnChild(req: SpawnRequest): NativeSpawnResult {
  const native = requireNative();
  const { config } = req;
  const uid = config.uid ?? -1;
  let gid = -1;
  let groups: number[] | null = null;
  let setuidError: string | null = null;
  const to = switchedUser(config);
  if (to?.user) {
    gid = to.user.gid;
    groups = to.user.groups;
  } else if (to) setuidError = `Can't find uid ${to.uid}`;
  try {
    return native.spawn({
      file: req.exec.filename,
      argv: req.exec.argv,
      env: req.env,
      cwd: config.directory,
      // -1: not set
      umask: config.umask === null || config.umask === undefined ? -1 : umaskBits(config.umask),
      uid,
      gid,
      groups,
      setuidError,
      redirectStderr: config.redirect_stderr,
      minfds: req.minfds,
      pipeSize: OUTPUT_PIPE_SIZE,
      stdinFd: req.stdinFd ?? -1,
      stdoutFd: req.stdoutFd ?? -1,
      ptyCols: req.pty?.cols ?? 0,
      ptyRows: req.pty?.rows ?? 0,
      limits: config.rlimits.length ? config.rlimits.map((r) => ({ resource: r.name.toUpperCase(), soft: r.soft ?? -1, hard: r.hard ?? -1, text: rlimitText(r) })) : undefined,
    });
  } catch (e) {
    const err = e as Error & { code?: string };
    throw new SpawnFailure(err.message === 'fork' ? 'fork' : 'pipe', err.code ?? 'EUNKNOWN');
  }
}
