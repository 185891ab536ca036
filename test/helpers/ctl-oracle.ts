// Differential conformance for the ctl: one daemon (the real supervisord by
// default; any command line that takes `-n -c FILE`, e.g. tsv's daemon,
// later), a table of scenarios, and a runner that executes each scenario's
// command line with two clients (Supervisor's supervisorctl and `tsv ctl`)
// against the same daemon state and compares stdout, stderr and exit code
// after normalizing what legitimately differs (pids, uptimes, dates, the
// program name, the Python file/line in `error:` lines).
//
// Reuse: `startCtlFixture({ daemon: [...] })`, then for each entry of
// `CTL_SCENARIOS`: `runScenarioWith(fixture, scenario, client)` for two
// clients and `assert.deepEqual` the results (see test/ctl-conformance.test.ts).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RpcClient } from '../../src/rpc/client';
import { closedPort as closedPortFor, freePort } from './common';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc';

export const ROOT = process.env.TSV_ROOT ?? resolve(__dirname, '../../../..');

export interface CtlClient {
  /** argv[0..] before the ctl's own arguments. */
  argv: string[];
  /** How the client names itself in usage messages (normalized away). */
  progname: string;
  label: string;
}

export const PYTHON_CTL: CtlClient = { argv: ['/usr/bin/supervisorctl'], progname: '/usr/bin/supervisorctl', label: 'supervisorctl' };
export const TSV_CTL: CtlClient = { argv: [process.execPath, join(ROOT, 'build/tsv.cjs'), 'ctl'], progname: 'tsv ctl', label: 'tsv ctl' };

/** Child environment: no NODE_EXTRA_CA_CERTS (it slows node by ~55 ms), stable locale and no colour. */
export function clientEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NO_COLOR;
  return { ...env, ...extra };
}

export interface CtlFixture {
  dir: string;
  /** Main config: unix socket without auth, [supervisorctl] pointing at it. */
  conf: string;
  sock: string;
  /** inet_http_server port, with username "user" / password "secret". */
  port: number;
  /** Config whose [supervisorctl] uses the TCP port with a wrong password. */
  badAuthConf: string;
  /** Config whose [supervisorctl] uses the TCP port with the right credentials. */
  authConf: string;
  /** A port nothing listens on, and a unix socket file nobody accepts on. */
  closedPort: number;
  staleSock: string;
  daemon: ChildProcess;
  rpc: RpcClient;
  /** Starts the daemon again (after shutdown) and waits until it has settled. */
  restartDaemon(): Promise<void>;
  /** Drop-in directory included by conf ([include] files = conf.d/*.conf). */
  confd: string;
  stop(): Promise<void>;
}

const PROGRAMS = `
[program:sleeper]
command=/bin/sleep 100000
startsecs=0

[program:noisy]
command=/bin/sh -c "echo out-line-1 && echo out-line-2 && echo err-line-1 >&2 && exec /bin/sleep 100000"
startsecs=0

[program:multi]
command=/bin/sleep 100000
process_name=%(program_name)s_%(process_num)02d
numprocs=3
startsecs=0

[program:a1]
command=/bin/sleep 100000
startsecs=0

[program:a2]
command=/bin/sleep 100000
startsecs=0

[group:grp]
programs=a1,a2

[program:crash]
command=/bin/sh -c "echo crashing && echo crash-err >&2 && exit 3"
startsecs=1
startretries=0

[program:quick]
command=/bin/sh -c "exec /bin/sleep 0.3"
startsecs=0
autorestart=false

[program:missing]
command=/nonexistent/bin/cmd
autostart=false

[program:manual]
command=/bin/sleep 100000
autostart=false
startsecs=0

[program:colors]
command=/bin/sh -c "printf '\\033[31mred\\033[0m plain\\n' && exec /bin/sleep 100000"
startsecs=0

[program:echo]
command=/bin/cat
startsecs=0

[program:nolog]
command=/bin/sleep 100000
autostart=false
startsecs=0
stdout_logfile=NONE
`;

const TRANSITIONAL = new Set([10, 30, 40]); // STARTING, BACKOFF, STOPPING

/** Polls the daemon until no process is mid-transition and quick has exited. */
export async function settle(rpc: RpcClient, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const infos = (await rpc.call('supervisor.getAllProcessInfo')) as Array<Record<string, XmlRpcValue>>;
      const busy = infos.filter((i) => TRANSITIONAL.has(i.state as number) || (i.name === 'quick' && i.state === 20));
      if (!busy.length) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('daemon did not settle');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface FixtureOptions {
  /** Daemon command line; `-n -c <conf>` is appended. Default: /usr/bin/supervisord. */
  daemon?: string[];
}

export async function startCtlFixture(opts: FixtureOptions = {}): Promise<CtlFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-ctl-'));
  chmodSync(dir, 0o755);
  const sock = join(dir, 'supervisor.sock');
  const confd = join(dir, 'conf.d');
  mkdirSync(confd);
  const port = await freePort();
  const closedPort = await closedPortFor();
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    `[unix_http_server]
file=%(here)s/supervisor.sock

[inet_http_server]
port=127.0.0.1:${port}
username=user
password=secret

[supervisord]
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/supervisor.sock

[include]
files = conf.d/*.conf
${PROGRAMS}`,
    { mode: 0o644 },
  );
  const badAuthConf = join(dir, 'badauth.conf');
  writeFileSync(badAuthConf, `[supervisorctl]\nserverurl=http://127.0.0.1:${port}\nusername=user\npassword=wrong\n`, { mode: 0o644 });
  const authConf = join(dir, 'auth.conf');
  writeFileSync(authConf, `[supervisorctl]\nserverurl=http://127.0.0.1:${port}\nusername=user\npassword=secret\nprompt=authed\n`, {
    mode: 0o644,
  });
  // A unix socket file that is bound but never listened on: connect() is refused.
  const staleSock = join(dir, 'stale.sock');
  spawnSync('/usr/bin/python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', staleSock]);

  const cmd = opts.daemon ?? ['/usr/bin/supervisord'];
  let daemonErr = '';
  const launch = (): ChildProcess => {
    const child = spawn(cmd[0] as string, [...cmd.slice(1), '-n', '-c', conf], {
      cwd: dir,
      env: clientEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => (daemonErr += d.toString()));
    return child;
  };
  const stopDaemon = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  };
  const rpc = new RpcClient({ serverurl: `unix://${sock}` });
  const fixture: CtlFixture = {
    dir,
    conf,
    sock,
    port,
    badAuthConf,
    authConf,
    closedPort,
    staleSock,
    daemon: launch(),
    rpc,
    confd,
    async restartDaemon() {
      await stopDaemon(fixture.daemon);
      fixture.daemon = launch();
      await settle(rpc, 20000);
    },
    async stop() {
      rpc.close();
      await stopDaemon(fixture.daemon);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await settle(rpc, 20000);
  } catch (err) {
    await fixture.stop();
    throw new Error(`daemon did not come up: ${String(err)}\n${daemonErr}`);
  }
  return fixture;
}

/** RunResult.code of a run whose exit status is what its own last result line sets (CtlScenario.exitFromLines). */
export const CODE_FOLLOWS_LINES = 'the status its last result line sets';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null | typeof CODE_FOLLOWS_LINES;
}

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  /** Send SIGINT once stdout matches (tail -f, maintail -f)... */
  interruptWhen?: RegExp;
  /**
   * ...this long after the match. supervisorctl reports a Ctrl-C that lands
   * while it is still writing the data just received as a connect error on
   * stderr; a person's Ctrl-C lands while it waits for more, so wait too.
   */
  interruptDelayMs?: number;
  /** Run as this user (runuser -u). */
  user?: string;
  timeoutMs?: number;
}

export function runClient(client: CtlClient, args: string[], opts: RunOptions = {}, cwd?: string): Promise<RunResult> {
  let argv = [...client.argv, ...args];
  if (opts.user) argv = ['/usr/sbin/runuser', '-u', opts.user, '--', ...argv];
  return new Promise((resolveRun, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env: clientEnv(opts.env), cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (opts.interruptWhen && !interrupted && opts.interruptWhen.test(stdout)) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), opts.interruptDelayMs ?? 300);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ stdout, stderr, code: code ?? (signal ? -1 : null) });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** What may differ between two correct clients (or two runs). */
export function normalize(text: string, fx: CtlFixture | null, client: CtlClient): string {
  let t = text;
  t = t.split(client.progname).join('PROG');
  t = t.replace(/file: \S+ line: \d+/g, 'file: FILE line: N');
  t = t.replace(/pid \d+, uptime (\d+ days?, )?\d+:\d\d:\d\d/g, 'pid PID, uptime UPTIME');
  t = t.replace(/[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M/g, 'DATE');
  if (fx) t = t.split(fx.dir).join('DIR');
  return t;
}

/** tsv's stderr hint when nobody may not open the fixture's socket (its directory, or the socket's 0700 mode, is in the way). */
const NOBODY_DENIED =
  /^hint: (nobody \(uid 65534\) may not reach DIR\/\S+: a directory on the way \(DIR or above\) is closed to it; run as a user that may, e\.g\. with sudo|DIR\/\S+ is srwx------ root:root, which nobody \(uid 65534\) may not open; the daemon sets these with \[unix_http_server\] chmod= and chown= .*, or run supervisorctl as a user it lets in, e\.g\. with sudo)\n/m;

export interface CtlScenario {
  name: string;
  /** Arguments after the program; `{conf}`, `{dir}`, `{sock}`, `{port}`, `{closedPort}`, `{staleSock}`, `{authConf}`, `{badAuthConf}` are filled in. */
  args: string[];
  /** ctl command lines run with the setup client before each client's run (output ignored). */
  setup?: string[];
  /** Files (relative to the fixture dir) to write (string) or delete (null) before setup. */
  files?: Record<string, string | null>;
  /** Run after both clients (same form as setup). */
  teardown?: string[];
  teardownFiles?: Record<string, string | null>;
  run?: RunOptions;
  /** Compare sorted lines (results that come back in completion order). */
  sortLines?: boolean;
  /**
   * With sortLines, where each result line sets the exit status in turn and
   * supervisorctl exits with the last one set: the status a line sets (null:
   * it leaves it). The code is then checked against the run's own line order
   * (supervisord's completion order varies from run to run), not compared raw:
   * a run whose code matches becomes CODE_FOLLOWS_LINES, one that does not
   * keeps its number and shows up as a difference.
   */
  exitFromLines?: (line: string) => number | null;
  /** Skip unless the run environment supports it (runuser, a readable build). */
  needs?: 'nobody';
  /**
   * A line tsv's ctl adds on stderr (a hint of its own, docs/differences.md):
   * it must be in tsv's stderr, which is compared without it.
   */
  tsvHint?: RegExp;
  /** The command changes the daemon for good (reload, shutdown): each client gets a freshly started daemon. */
  fresh?: boolean;
}

function fill(s: string, fx: CtlFixture): string {
  return s
    .replace(/\{conf\}/g, fx.conf)
    .replace(/\{dir\}/g, fx.dir)
    .replace(/\{sock\}/g, fx.sock)
    .replace(/\{port\}/g, String(fx.port))
    .replace(/\{closedPort\}/g, String(fx.closedPort))
    .replace(/\{staleSock\}/g, fx.staleSock)
    .replace(/\{authConf\}/g, fx.authConf)
    .replace(/\{badAuthConf\}/g, fx.badAuthConf);
}

function applyFiles(fx: CtlFixture, files: Record<string, string | null> | undefined): void {
  for (const [rel, content] of Object.entries(files ?? {})) {
    const p = join(fx.dir, rel);
    if (content === null) {
      if (existsSync(p)) unlinkSync(p);
    } else {
      writeFileSync(p, fill(content, fx), { mode: 0o644 });
    }
  }
}

// Setup/teardown steps are ctl command lines, plus two config edits that must
// happen between commands (WRITE_V2, DELETE_EXTRA).
async function runSteps(fx: CtlFixture, steps: string[] | undefined, setupClient: CtlClient): Promise<void> {
  for (const step of steps ?? []) {
    if (step === 'WRITE_V2') writeFileSync(join(fx.confd, 'extra.conf'), EXTRA_V2);
    else if (step === 'DELETE_EXTRA') rmSync(join(fx.confd, 'extra.conf'), { force: true });
    else await runClient(setupClient, ['-c', fx.conf, ...step.split(' ')], {}, fx.dir);
  }
}

/** Setup (files, commands, settle), then the scenario's command line with `client`; normalized result. */
export async function runScenarioWith(
  fx: CtlFixture,
  s: CtlScenario,
  client: CtlClient,
  setupClient: CtlClient = PYTHON_CTL,
): Promise<RunResult> {
  if (s.fresh) await fx.restartDaemon();
  applyFiles(fx, s.files);
  await runSteps(fx, s.setup, setupClient);
  if (fx.daemon.exitCode === null && fx.daemon.signalCode === null) await settle(fx.rpc);
  const r = await runClient(client, s.args.map((a) => fill(a, fx)), s.run, fx.dir);
  const norm = (t: string): string => {
    const n = normalize(t, fx, client);
    return s.sortLines ? n.split('\n').sort().join('\n') : n;
  };
  let code: RunResult['code'] = r.code;
  const setBy = s.exitFromLines;
  if (setBy && r.code === r.stdout.split('\n').reduce((status, line) => setBy(line) ?? status, 0)) code = CODE_FOLLOWS_LINES;
  return { stdout: norm(r.stdout), stderr: norm(r.stderr), code };
}

/**
 * tsv's ctl's result without the scenario's tsvHint, which must be in its
 * stderr; any other client's result as it is.
 */
export function withoutTsvHint(s: CtlScenario, client: CtlClient, r: RunResult): RunResult {
  if (!s.tsvHint || client !== TSV_CTL) return r;
  assert.match(r.stderr, s.tsvHint);
  return { ...r, stderr: r.stderr.replace(s.tsvHint, '') };
}

export async function teardownScenario(fx: CtlFixture, s: CtlScenario, setupClient: CtlClient = PYTHON_CTL): Promise<void> {
  applyFiles(fx, s.teardownFiles);
  await runSteps(fx, s.teardown, setupClient);
}

const C = (...args: string[]): string[] => ['-c', '{conf}', ...args];
const EXTRA_V1 = '[program:extra]\ncommand=/bin/sleep 100000\nautostart=false\nstartsecs=0\n';
const EXTRA_V2 = '[program:extra]\ncommand=/bin/sleep 200000\nautostart=false\nstartsecs=0\n';
const VERBS = [
  'add', 'avail', 'clear', 'exit', 'fg', 'maintail', 'open', 'pid', 'quit', 'reload', 'remove', 'reread',
  'restart', 'shutdown', 'signal', 'start', 'status', 'stop', 'tail', 'update', 'version',
];

/** The scenario table; `shutdown` comes last because it ends the daemon. */
export const CTL_SCENARIOS: CtlScenario[] = [
  // status
  { name: 'status (all processes, exit 3: some stopped)', args: C('status') },
  { name: 'status one running process', args: C('status', 'sleeper') },
  { name: 'status group:*', args: C('status', 'multi:*') },
  { name: 'status group: (empty process name)', args: C('status', 'grp:') },
  { name: 'status unknown process', args: C('status', 'nosuch') },
  { name: 'status unknown group', args: C('status', 'nosuch:*') },
  { name: 'status mixed names', args: C('status', 'sleeper', 'grp:a1', 'nosuch', 'multi:multi_01') },
  { name: 'status all', args: C('status', 'all') },
  { name: 'status as one quoted argument', args: C('status sleeper noisy') },
  // Python's whitespace is not JS's \s: \x1c-\x1f and \x85 separate words, a BOM does not
  { name: 'status names split by Python whitespace', args: C('status', 'sleeper\x1cnoisy\x85manual\x1f') },
  { name: 'status name with a BOM in it', args: C('status', 'sleeper\ufeffnoisy') },
  // help
  { name: 'help', args: C('help') },
  ...VERBS.map((v): CtlScenario => ({ name: `help ${v}`, args: C('help', v) })),
  { name: 'help help', args: C('help', 'help') },
  { name: 'help unknown topic', args: C('help', 'nosuch') },
  { name: 'help EOF', args: C('help', 'EOF') },
  { name: '? as help', args: C('?status') },
  // syntax
  { name: 'unknown verb', args: C('frobnicate', 'x') },
  { name: 'shell escape is unknown syntax', args: C('!ls') },
  { name: 'verb with trailing punctuation', args: C('status-x') },
  { name: 'quit as an action prints an empty line', args: C('quit') },
  { name: 'EOF as an action', args: C('EOF') },
  // avail, pid, version
  { name: 'avail', args: C('avail') },
  { name: 'avail with argument', args: C('avail', 'x') },
  { name: 'pid of supervisord', args: C('pid') },
  { name: 'pid of a process', args: C('pid', 'sleeper') },
  { name: 'pid all', args: C('pid', 'all') },
  { name: 'pid of a stopped process (exit 7)', args: C('pid', 'manual') },
  { name: 'pid unknown', args: C('pid', 'nosuch', 'sleeper') },
  { name: 'version', args: C('version') },
  { name: 'version with argument', args: C('version', 'x') },
  // start
  { name: 'start without names (exit 2)', args: C('start') },
  { name: 'start unknown process', args: C('start', 'nosuch') },
  { name: 'start unknown group (exit 2)', args: C('start', 'nosuch:*') },
  { name: 'start running process: already started', args: C('start', 'sleeper') },
  { name: 'start a stopped process', args: C('start', 'manual'), setup: ['stop manual'], teardown: ['stop manual'] },
  { name: 'start missing command: no such file', args: C('start', 'missing') },
  { name: 'start crasher: spawn error (exit 7)', args: C('start', 'crash') },
  { name: 'start group', args: C('start', 'multi:*'), setup: ['stop multi:*'], sortLines: true },
  { name: 'start group with everything running', args: C('start', 'grp:*') },
  {
    name: 'start all',
    args: C('start', 'all'),
    setup: ['stop manual nolog'],
    teardown: ['stop manual nolog quick'],
    sortLines: true,
    // supervisorctl's set_exitstatus_from_xmlrpc_fault per result: 7 for a dead program, 1 for other faults, ALREADY_STARTED ignored
    exitFromLines: (line) => (/: ERROR \((spawn error|abnormal termination)\)$/.test(line) ? 7 : /: ERROR \((?!already started\))/.test(line) ? 1 : null),
  },
  // stop
  { name: 'stop without names', args: C('stop') },
  { name: 'stop a running process', args: C('stop', 'manual'), setup: ['start manual'] },
  { name: 'stop a stopped process: not running (exit 0)', args: C('stop', 'manual') },
  { name: 'stop unknown process', args: C('stop', 'nosuch') },
  { name: 'stop unknown group', args: C('stop', 'nosuch:*') },
  { name: 'stop group', args: C('stop', 'grp:*'), setup: ['start grp:*'], teardown: ['start grp:*'], sortLines: true },
  // restart
  { name: 'restart without names', args: C('restart') },
  { name: 'restart a process', args: C('restart', 'sleeper') },
  { name: 'restart unknown', args: C('restart', 'nosuch') },
  // signal
  { name: 'signal without enough arguments', args: C('signal', 'HUP') },
  { name: 'signal a process', args: C('signal', 'USR1', 'noisy') },
  { name: 'signal bad signal name', args: C('signal', 'NOPE', 'sleeper') },
  { name: 'signal a stopped process (exit 7)', args: C('signal', 'HUP', 'manual') },
  { name: 'signal unknown group', args: C('signal', 'HUP', 'nosuch:*') },
  { name: 'signal group', args: C('signal', 'CONT', 'multi:*'), sortLines: true },
  // tail / maintail
  { name: 'tail without arguments', args: C('tail') },
  { name: 'tail stdout', args: C('tail', 'noisy') },
  { name: 'tail stderr', args: C('tail', 'noisy', 'stderr') },
  { name: 'tail -N', args: C('tail', '-11', 'noisy') },
  { name: 'tail -N in another script\'s digits (Python int())', args: C('tail', '-\u0661\u0661', 'noisy') },
  { name: 'tail -N past int32 (OverflowError)', args: C('tail', '-2147483649', 'noisy') },
  { name: 'tail -N stderr, channel upper case', args: C('tail', '-5', 'noisy', 'STDERR') },
  { name: 'tail bad channel', args: C('tail', 'noisy', 'stdin') },
  { name: 'tail bad modifier', args: C('tail', '-x', 'noisy') },
  { name: 'tail too many arguments', args: C('tail', '-1', 'a', 'b', 'c') },
  { name: 'tail -f without name', args: C('tail', '-f') },
  { name: 'tail unknown process', args: C('tail', 'nosuch') },
  { name: 'tail process without log file', args: C('tail', 'nolog') },
  { name: 'tail group member', args: C('tail', 'crash', 'stderr') },
  { name: 'tail -f until Ctrl-C', args: C('tail', '-f', 'noisy'), run: { interruptWhen: /out-line-2\n/ } },
  { name: 'tail -f stderr until Ctrl-C', args: C('tail', '-f', 'noisy', 'stderr'), run: { interruptWhen: /err-line-1\n/ } },
  { name: 'tail -f unknown process (404 on stderr)', args: C('tail', '-f', 'nosuch') },
  { name: 'maintail -N', args: C('maintail', '-1') },
  { name: 'maintail -N past int32 (OverflowError)', args: C('maintail', '-2147483649') },
  { name: 'maintail bad argument', args: C('maintail', 'x') },
  { name: 'maintail too many arguments', args: C('maintail', '-f', '-1') },
  { name: 'maintail -f until Ctrl-C', args: C('maintail', '-f'), run: { interruptWhen: /<==\n[^]*\n/ } },
  // clear
  { name: 'clear without names', args: C('clear') },
  { name: 'clear a process', args: C('clear', 'quick') },
  { name: 'clear unknown', args: C('clear', 'nosuch', 'grp:*') },
  // fg (error paths; the stream itself is racy by design in supervisorctl)
  { name: 'fg without name', args: C('fg') },
  { name: 'fg too many names', args: C('fg', 'a', 'b') },
  { name: 'fg unknown process', args: C('fg', 'nosuch') },
  { name: 'fg stopped process', args: C('fg', 'manual') },
  // open
  { name: 'open bad url', args: C('open', 'ftp://x') },
  { name: 'open a socket that does not exist', args: C('open', 'unix://{dir}/nope.sock') },
  { name: 'open the tcp server with credentials', args: ['-c', '{conf}', '-u', 'user', '-p', 'secret', 'open', 'http://127.0.0.1:{port}'] },
  // reread / update / add / remove after editing the config
  { name: 'reread without changes', args: C('reread') },
  { name: 'reread with argument', args: C('reread', 'x') },
  { name: 'reread sees a new program', args: C('reread'), files: { 'conf.d/extra.conf': EXTRA_V1 }, teardownFiles: { 'conf.d/extra.conf': null } },
  {
    name: 'update adds a new group',
    args: C('update'),
    files: { 'conf.d/extra.conf': EXTRA_V1 },
    setup: ['remove extra'],
    teardown: ['remove extra'],
    teardownFiles: { 'conf.d/extra.conf': null },
  },
  {
    name: 'update all changes a group',
    args: C('update', 'all'),
    files: { 'conf.d/extra.conf': EXTRA_V1 },
    setup: ['update', 'WRITE_V2'],
    teardown: ['stop extra', 'remove extra'],
    teardownFiles: { 'conf.d/extra.conf': null },
  },
  {
    name: 'update removes a group',
    args: C('update'),
    files: { 'conf.d/extra.conf': EXTRA_V1 },
    setup: ['update', 'DELETE_EXTRA'],
    teardownFiles: { 'conf.d/extra.conf': null },
  },
  { name: 'update unknown group', args: C('update', 'nosuch') },
  {
    name: 'add a group found by reread',
    args: C('add', 'extra'),
    files: { 'conf.d/extra.conf': EXTRA_V1 },
    setup: ['remove extra'],
    teardown: ['remove extra'],
    teardownFiles: { 'conf.d/extra.conf': null },
  },
  { name: 'add an active group (exit 0)', args: C('add', 'sleeper') },
  { name: 'add unknown group', args: C('add', 'nosuch') },
  { name: 'add without names', args: C('add') },
  { name: 'remove a running group', args: C('remove', 'sleeper') },
  { name: 'remove unknown group', args: C('remove', 'nosuch') },
  {
    name: 'remove a stopped group',
    args: C('remove', 'extra'),
    files: { 'conf.d/extra.conf': EXTRA_V1 },
    setup: ['update'],
    teardownFiles: { 'conf.d/extra.conf': null },
  },
  // arguments of reload / shutdown
  { name: 'reload with argument', args: C('reload', 'now') },
  { name: 'shutdown with argument', args: C('shutdown', 'now') },
  // interactive shell over a pipe
  { name: 'shell: status first, prompts, EOF', args: C(), run: { stdin: 'status sleeper\nversion\n\nnosuch\n' } },
  { name: 'shell: quit', args: C(), run: { stdin: 'pid manual\nquit\nstatus\n' } },
  { name: 'shell: a line framed and split by Python whitespace', args: C(), run: { stdin: '\x1cstatus\x1fsleeper\x85manual\x1d\n' } },
  { name: 'shell: prompt from config, -i ignored with an action', args: ['-c', '{authConf}', '-i', 'status', 'sleeper'] },
  { name: 'shell: prompt from config', args: ['-c', '{authConf}'], run: { stdin: 'help quit\n' } },
  { name: 'shell: -i shutdown asks (answer no)', args: ['-c', '{conf}', '-i', 'shutdown'], run: { stdin: 'n\n' } },
  // options and the config file
  { name: '-h', args: ['-h'] },
  { name: '--help after other options', args: ['-s', 'unix:///x', '--help'] },
  { name: 'unknown short option', args: ['-x'] },
  { name: 'unknown long option', args: ['--nope'] },
  { name: 'ambiguous long prefix', args: ['--h'] },
  { name: 'long option missing its argument', args: ['--serverurl'] },
  { name: 'short option missing its argument', args: ['-c'] },
  { name: 'flag given an argument', args: ['--interactive=yes'] },
  { name: 'invalid server url', args: ['-s', 'nourl'] },
  { name: 'conflicting options', args: ['-s', 'unix:///a', '-s', 'unix:///b'] },
  { name: 'missing config file', args: ['-c', '{dir}/nope.conf', 'status'] },
  { name: 'config is a directory', args: ['-c', '{dir}', 'status'] },
  {
    name: 'config without [supervisorctl]',
    args: ['-c', '{dir}/nosection.conf', 'status'],
    files: { 'nosection.conf': '[supervisord]\nlogfile=/dev/null\n' },
  },
  {
    name: 'config with an unknown expansion',
    args: ['-c', '{dir}/badexp.conf', 'status'],
    files: { 'badexp.conf': '[supervisorctl]\nserverurl=unix://%(nope)s/x.sock\n' },
    run: { env: { TSV_CTL_TEST: '1' } },
  },
  {
    name: 'config with %(ENV_X)s and %(here)s',
    args: ['-c', '{dir}/envexp.conf', 'status', 'sleeper'],
    files: { 'envexp.conf': '[supervisorctl]\nserverurl=unix://%(here)s/%(ENV_SOCKNAME)s\nprompt=%(ENV_SOCKNAME)s\n' },
    run: { env: { SOCKNAME: 'supervisor.sock' } },
  },
  { name: 'long options with =', args: ['--configuration={conf}', '--serverurl=unix://{sock}', 'status', 'sleeper'] },
  { name: 'glued short options', args: ['-c{conf}', '-sunix://{sock}', 'pid', 'sleeper'] },
  { name: '-- ends options', args: ['-c', '{conf}', '--', 'status', 'sleeper'] },
  // no server / wrong server
  { name: 'status, socket missing (exit 4)', args: ['-s', 'unix://{dir}/nope.sock', 'status'] },
  { name: 'start, socket missing (exit 7)', args: ['-s', 'unix://{dir}/nope.sock', 'start', 'sleeper'] },
  { name: 'tail, socket missing', args: ['-s', 'unix://{dir}/nope.sock', 'tail', 'sleeper'] },
  { name: 'status, connection refused on tcp (exit 4)', args: ['-s', 'http://127.0.0.1:{closedPort}', 'status'] },
  { name: 'stop, connection refused on tcp (exit 4)', args: ['-s', 'http://127.0.0.1:{closedPort}', 'stop', 'all'] },
  { name: 'status, stale unix socket refuses', args: ['-s', 'unix://{staleSock}', 'status'] },
  { name: 'reread, socket missing: error line', args: ['-s', 'unix://{dir}/nope.sock', 'reread'] },
  { name: 'avail, connection refused: error line', args: ['-s', 'http://127.0.0.1:{closedPort}', 'avail'] },
  // server urls Python's urlparse or http.client refuses, each with its own words
  ...[
    ['unclosed IPv6 bracket (usage error)', 'http://[::1'],
    ['bracketed host that is no IPv6 address (usage error)', 'http://[zz]:1'],
    ['bracketed IPv4 address (usage error)', 'http://[127.0.0.1]:1'],
    ['port out of range', 'http://127.0.0.1:99999'],
    ['port that is not a number', 'http://127.0.0.1:abc'],
    ['negative port', 'http://127.0.0.1:-1'],
    ['no host', 'http://:1'],
    ['a space in the host', 'http://a b:1'],
    ['unix socket path too long', `unix:///tmp/${'x'.repeat(120)}.sock`],
  ].map(([what, url]): CtlScenario => ({ name: `server url: ${what as string}`, args: ['-s', url as string, 'status'] })),
  { name: 'update, socket missing: error line', args: ['-s', 'unix://{dir}/nope.sock', 'update'] },
  { name: 'add, socket missing: error line', args: ['-s', 'unix://{dir}/nope.sock', 'add', 'x'] },
  { name: 'shutdown, socket missing', args: ['-s', 'unix://{dir}/nope.sock', 'shutdown'] },
  { name: 'shutdown, connection refused', args: ['-s', 'http://127.0.0.1:{closedPort}', 'shutdown'] },
  { name: 'reload, socket missing: error line', args: ['-s', 'unix://{dir}/nope.sock', 'reload'] },
  { name: 'status, unknown host', args: ['-s', 'http://nonexistent.invalid:9001', 'status'] },
  { name: 'status, url scheme not supported', args: ['-s', 'ftp://x', 'status'] },
  { name: 'tail -f, socket missing', args: ['-s', 'unix://{dir}/nope.sock', 'tail', '-f', 'x'] },
  { name: 'shell, socket missing', args: ['-s', 'unix://{dir}/nope.sock'], run: { stdin: 'start x\n' } },
  // authentication
  { name: 'status over tcp with credentials from config', args: ['-c', '{authConf}', 'status', 'sleeper'] },
  { name: 'wrong password from config: 401', args: ['-c', '{badAuthConf}', 'status'] },
  { name: 'no credentials: 401', args: ['-s', 'http://127.0.0.1:{port}', 'version'] },
  { name: 'wrong password on the command line: 401 on reread', args: ['-s', 'http://127.0.0.1:{port}', '-u', 'user', '-p', 'x', 'reread'] },
  { name: 'right password on the command line', args: ['-s', 'http://127.0.0.1:{port}', '-u', 'user', '-p', 'secret', 'pid', 'sleeper'] },
  { name: 'tail -f with a wrong password', args: ['-c', '{badAuthConf}', 'maintail', '-f'] },
  // permissions
  { name: 'status as another user: permission denied', args: C('status'), run: { user: 'nobody' }, needs: 'nobody', tsvHint: NOBODY_DENIED },
  { name: 'reread as another user: permission denied', args: C('reread'), run: { user: 'nobody' }, needs: 'nobody', tsvHint: NOBODY_DENIED },
  // last: reload and shutdown, each client against a daemon of its own
  { name: 'reload', args: C('reload'), fresh: true },
  { name: 'shutdown', args: C('shutdown'), fresh: true },
];
