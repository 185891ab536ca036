// Event tests: the real supervisord and tsv on the same config, each with
// listeners that record what they receive (JSON lines), an XML-RPC client
// per daemon, and ways to wait on and compare the recordings.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { RpcClient } from '../../src/rpc/client';
import { TempDir, withTimeout } from './daemon-env';
import { TSV, cleanEnv, killTree, poll, until } from './daemon-cli';
import { repoRoot } from './common';

export const PY = '/usr/bin/python3';
export const SUPERVISORD = '/usr/bin/supervisord';
export const SUPERVISORCTL = '/usr/bin/supervisorctl';
export const RECORDER = join(repoRoot(), 'test/fixtures/events/recorder.py');
export const FAULTY = join(repoRoot(), 'test/fixtures/events/faulty.py');
export const FAKETIME_LIB = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1'].find(
  (p) => existsSync(p),
);

/**
 * Sets the host's wall clock to what it reads (a step of a few microseconds back), which the kernel
 * tells every TFD_TIMER_CANCEL_ON_SET timer of as of any set. A daemon's own view of the clock is
 * moved with libfaketime (FAKETIME_TIMESTAMP_FILE, FAKETIME_DONT_FAKE_MONOTONIC), so the set it is told of is
 * the step it sees, and the host's clock stays where it is.
 */
export function setClockToItself(): void {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import time; time.clock_settime(time.CLOCK_REALTIME, time.clock_gettime(time.CLOCK_REALTIME))'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`setting the clock: ${r.stderr}`);
}
export const clockSetSkip =
  !FAKETIME_LIB ? 'needs libfaketime (apt-get install faketime)'
  : !existsSync('/usr/bin/python3') ? 'needs /usr/bin/python3'
  : process.getuid?.() !== 0 ? 'needs root (CAP_SYS_TIME) to set the clock'
  : false;

export const haveOracle = (): boolean =>
  existsSync(SUPERVISORD) && existsSync(PY) && spawnSync(PY, ['-c', 'import supervisor.childutils']).status === 0;
export const oracleSkip = haveOracle() ? false : 'needs /usr/bin/supervisord and /usr/bin/python3 with the supervisor package';
export const pythonSkip =
  existsSync(PY) && spawnSync(PY, ['-c', 'import supervisor.childutils']).status === 0 ? false : 'needs /usr/bin/python3 with the supervisor package';

export type Impl = 'supervisord' | 'tsv';

export interface Daemon {
  impl: Impl;
  dir: TempDir;
  conf: string;
  child: ChildProcess;
  rpc: RpcClient;
  exited: Promise<number | null>;
  log(): string;
  /** rewrite the config (for reread/update) */
  rewrite(body: string): void;
  /** TERM and wait for the exit (SIGKILL to the tree if it hangs) */
  stop(): Promise<void>;
  cleanup(): void;
}

/** `body` may use {DIR} (the daemon's own dir), {RECORDER}, {FAULTY}, {PY}. */
/** `supervisord`: more lines for the [supervisord] section */
export function confText(dir: TempDir, body: string, loglevel = 'info', supervisord = ''): string {
  return (
    `[supervisord]\nlogfile=${dir.join('supervisord.log')}\npidfile=${dir.join('supervisord.pid')}\nchildlogdir=${dir.path}\nloglevel=${loglevel}\n${supervisord}` +
    `[unix_http_server]\nfile=${dir.join('s.sock')}\n` +
    '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n' +
    `[supervisorctl]\nserverurl=unix://${dir.join('s.sock')}\n` +
    body.replaceAll('{DIR}', dir.path).replaceAll('{RECORDER}', RECORDER).replaceAll('{FAULTY}', FAULTY).replaceAll('{PY}', PY)
  );
}

export interface StartOptions {
  env?: Record<string, string>;
  loglevel?: string;
  /** more daemon flags (-t) */
  flags?: string[];
  /** more lines for the [supervisord] section */
  supervisord?: string;
}

export function startDaemon(impl: Impl, body: string, opts: StartOptions = {}): Daemon {
  const dir = new TempDir(`tsv-events-${impl}-`);
  const conf = dir.file('supervisord.conf', confText(dir, body, opts.loglevel, opts.supervisord));
  const cmd = impl === 'supervisord' ? SUPERVISORD : process.execPath;
  const flags = opts.flags ?? [];
  const args = impl === 'supervisord' ? ['-n', ...flags, '-c', conf] : [TSV, 'daemon', '-n', ...flags, '-c', conf];
  const child = spawn(cmd, args, { env: cleanEnv(opts.env ?? {}), stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const rpc = new RpcClient({ serverurl: `unix://${dir.join('s.sock')}` });
  const log = (): string => (existsSync(dir.join('supervisord.log')) ? readFileSync(dir.join('supervisord.log'), 'utf8') : '');
  const d: Daemon = {
    impl,
    dir,
    conf,
    child,
    rpc,
    exited,
    log,
    rewrite: (b) => writeFileSync(conf, confText(dir, b, opts.loglevel, opts.supervisord)),
    stop: async () => {
      rpc.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await withTimeout(exited, 30000, `${impl} to exit`).catch(() => killTree(child.pid as number));
    },
    cleanup: () => {
      rpc.close();
      if (child.exitCode === null && child.signalCode === null) killTree(child.pid as number);
      dir.cleanup();
    },
  };
  return d;
}

/** Until the daemon answers XML-RPC. */
export async function waitUp(d: Daemon, ms = 20000): Promise<void> {
  await poll(
    () => d.rpc.call('supervisor.getState').then(
      () => true,
      () => undefined,
    ),
    `${d.impl} to answer XML-RPC`,
    ms,
    50,
  );
}

export interface Received {
  listener: string;
  headers: Record<string, string>;
  payload: string;
  /** faulty.py: what it answered */
  answer?: string;
}

export function readRecords(path: string): Received[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Received);
}

/** Until `pred` holds for the recording at `path`. */
export async function waitRecords(path: string, pred: (r: Received[]) => boolean, what: string, ms = 30000): Promise<Received[]> {
  return poll(
    () => {
      const r = readRecords(path);
      return pred(r) ? r : undefined;
    },
    what,
    ms,
    50,
  );
}

/** Supervisor's own supervisorctl against d (or tsv's where it is not installed): stdout and stderr, as a user sees them. */
export function userCtl(d: Daemon, ...args: string[]): string {
  return userCtlRun(d, ...args).out;
}

/** userCtl, with its exit status. */
export function userCtlRun(d: Daemon, ...args: string[]): { out: string; status: number | null } {
  const r = oracleSkip
    ? spawnSync(process.execPath, [TSV, 'ctl', '-c', d.conf, ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 30000 })
    : spawnSync(SUPERVISORCTL, ['-c', d.conf, ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 30000 });
  return { out: r.stdout + r.stderr, status: r.status };
}

/** TERM the daemon and wait for its exit (failing after limitMs); the milliseconds that took. */
export async function shutdownMs(d: Daemon, limitMs = 10000): Promise<number> {
  const t0 = Date.now();
  d.child.kill('SIGTERM');
  await withTimeout(d.exited, limitMs, 'the daemon to exit');
  return Date.now() - t0;
}

/** The time a main-log line begins with (`2026-11-26 00:35:59,175 …`), in ms, read as UTC: for the time between two lines. */
export function logLineMs(line: string): number {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3})/.exec(line);
  if (!m) throw new Error(`no main-log time at the start of ${JSON.stringify(line)}`);
  return Date.parse(`${m[1]}T${m[2]}.${m[3]}Z`);
}

/** The main log's lines without their timestamps. */
export function mainLogLines(d: Daemon): string[] {
  return d
    .log()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(24));
}

/** Index of the first main-log line matching re (-1: none). */
export const logIndex = (d: Daemon, re: RegExp): number => mainLogLines(d).findIndex((l) => re.test(l));

/** How many main-log lines match re. */
export const logCount = (d: Daemon, re: RegExp): number => mainLogLines(d).filter((l) => re.test(l)).length;

export async function waitLogLine(d: Daemon, re: RegExp, ms = 30000): Promise<void> {
  await until(() => re.test(d.log()), `${re} in the ${d.impl} main log`, ms);
}

export const names = (r: Received[]): string[] => r.map((x) => x.headers.eventname as string);

/** An event with pids and times normalized: `NAME payload`. */
export function normalized(r: Received): string {
  const p = r.payload.replace(/pid:\d+/g, 'pid:<PID>').replace(/when:\d+/g, 'when:<T>');
  return `${r.headers.eventname} ${p}`;
}

/** The process (or null for daemon-wide events) an event is about. */
export function subject(r: Received): string | null {
  const m = /^processname:(\S+) /.exec(r.payload);
  return m ? (m[1] as string) : null;
}

export function byProcess(recs: Received[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of recs) {
    const s = subject(r);
    if (s === null) continue;
    const list = out.get(s) ?? [];
    list.push(normalized(r));
    out.set(s, list);
  }
  return out;
}

/** Serials as a listener saw them: each a number, for checking for gaps and repeats. */
export function serials(recs: Received[], key: 'serial' | 'poolserial'): number[] {
  return recs.map((r) => Number(r.headers[key]));
}

/** The header fields every envelope must carry, in Supervisor's order. */
export const HEADER_KEYS = ['ver', 'server', 'serial', 'pool', 'poolserial', 'eventname', 'len'];

/** Python's len() of a str (code points). */
export const pyLen = (s: string): number => [...s].length;

/** GET /metrics on the daemon's socket: the exposition text. */
export function metrics(d: Daemon): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.dir.join('s.sock'), path: '/metrics' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The real supervisord runs [program:x] (sleep, startsecs=0) with `lines`
 * added (tsv-only keys) and `supervisord` lines in its own section: it starts
 * the program and leaves it RUNNING, as with keys it does not know.
 */
export async function assertSupervisordIgnores(lines: string, supervisord = ''): Promise<void> {
  const d = startDaemon('supervisord', `[program:x]\ncommand=sleep 100\nstartsecs=0\n${lines}`, { supervisord });
  try {
    await waitUp(d);
    await poll(() => (/^x +RUNNING /.test(userCtl(d, 'status', 'x')) ? true : undefined), 'x RUNNING', 15000);
    const spawns = d.log().split('\n').filter((l) => l.includes("spawned: 'x'")).length;
    if (spawns !== 1) throw new Error(`supervisord spawned x ${spawns} times:\n${d.log()}`);
  } finally {
    await d.stop();
    d.cleanup();
  }
}

