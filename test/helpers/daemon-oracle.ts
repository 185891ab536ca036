// Runs the real supervisord (/usr/bin/supervisord, the oracle) and tsv side
// by side on the same config and the same lifecycle steps, and turns both
// main logs into comparable state-transition sequences.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { TempDir, withTimeout } from './daemon-env';
import { TSV, cleanEnv, killTree, until } from './daemon-cli';

export const SUPERVISORD = '/usr/bin/supervisord';
export const haveSupervisord = (): boolean => existsSync(SUPERVISORD);

export type Impl = 'supervisord' | 'tsv';

export interface Side {
  impl: Impl;
  dir: TempDir;
  conf: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  log(): string;
}

/** `body` may use {DIR} for the side's own directory. */
/** `rpcinterfaces`: the names of the [rpcinterface:x] sections with Supervisor's main factory */
export function confText(dir: TempDir, body: string, rpcinterfaces: readonly string[] = ['supervisor']): string {
  return (
    `[supervisord]\nlogfile=${dir.join('supervisord.log')}\npidfile=${dir.join('supervisord.pid')}\nchildlogdir=${dir.path}\nloglevel=info\n` +
    `[unix_http_server]\nfile=${dir.join('s.sock')}\n` +
    rpcinterfaces.map((n) => `[rpcinterface:${n}]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n`).join('') +
    body.replaceAll('{DIR}', dir.path)
  );
}

export function startSide(impl: Impl, body: string, rpcinterfaces?: readonly string[]): Side {
  const dir = new TempDir(`tsv-diff-${impl}-`);
  const conf = dir.file('supervisord.conf', confText(dir, body, rpcinterfaces));
  const cmd = impl === 'supervisord' ? SUPERVISORD : process.execPath;
  const args = impl === 'supervisord' ? ['-n', '-c', conf] : [TSV, 'daemon', '-n', '-c', conf];
  const child = spawn(cmd, args, { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { impl, dir, conf, child, exited, log: () => (existsSync(dir.join('supervisord.log')) ? readFileSync(dir.join('supervisord.log'), 'utf8') : '') };
}

/** A ctl (argv: the real supervisorctl unless given) against a side's socket: its exit status and what it printed. */
export function ctlOn(side: Side, args: string[], argv: readonly string[] = ['/usr/bin/supervisorctl']): { status: number | null; out: string } {
  const r = spawnSync(argv[0] as string, [...argv.slice(1), '-s', `unix://${side.dir.join('s.sock')}`, ...args], { encoding: 'utf8', env: cleanEnv() });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** ctlOn without blocking, so that both sides can be asked at once. */
export function ctlOnAsync(side: Side, args: string[], argv: readonly string[] = ['/usr/bin/supervisorctl']): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(argv[0] as string, [...argv.slice(1), '-s', `unix://${side.dir.join('s.sock')}`, ...args], { encoding: 'utf8', env: cleanEnv() }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ status, out: stdout + stderr });
    });
  });
}

export function rewriteConf(side: Side, body: string): void {
  writeFileSync(side.conf, confText(side.dir, body));
}

export async function waitLog(sides: Side[], re: RegExp, ms = 30000): Promise<void> {
  await until(() => sides.every((s) => re.test(s.log())), `${re} in both main logs`, ms);
}

export async function stopSides(sides: Side[]): Promise<void> {
  for (const s of sides) if (s.child.exitCode === null) s.child.kill('SIGTERM');
  await withTimeout(Promise.all(sides.map((s) => s.exited)), 30000, 'both daemons to exit').catch(() => {
    for (const s of sides) if (s.child.exitCode === null) killTree(s.child.pid!);
  });
}

export function cleanupSides(sides: Side[]): void {
  for (const s of sides) {
    if (s.child.exitCode === null && s.child.signalCode === null) killTree(s.child.pid!);
    s.dir.cleanup();
  }
}

/** The lines that describe process state, with times, pids and paths normalized. */
const STATE_LINE =
  /^(spawned: |success: |exited: |gave up: |stopped: |spawnerr: |killing '|waiting for |received SIG|ignored SIG|supervisord started|Supervisor is running as root|RPC interface|Server ')/;

export function normalizeLog(text: string, dir: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const m = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ([A-Z]{4}) (.*)$/.exec(raw);
    if (!m) continue;
    const [, level, msg0] = m;
    if (!STATE_LINE.test(msg0)) continue;
    const msg = msg0
      .replaceAll(dir, '<DIR>')
      .replace(/with pid \d+/g, 'with pid <PID>')
      .replace(/started with pid \d+/g, 'started with pid <PID>')
      .replace(/\(\d+\) with SIGKILL/g, '(<PID>) with SIGKILL');
    out.push(`${level} ${msg}`);
  }
  return out;
}

/** The process a normalized line is about, or null for daemon-wide lines. */
export function subjectOf(line: string): string | null {
  const m =
    /^[A-Z]{4} (?:spawned: '([^']+)'|success: (\S+) |exited: (\S+) |gave up: (\S+) |stopped: (\S+) |killing '([^']+)')/.exec(line);
  if (!m) return null;
  return m.slice(1).find((x) => x !== undefined) ?? null;
}

/** Per-process sequences and the daemon-wide sequence. */
export function splitBySubject(lines: string[]): { global: string[]; byProcess: Map<string, string[]> } {
  const global: string[] = [];
  const byProcess = new Map<string, string[]>();
  for (const l of lines) {
    const s = subjectOf(l);
    if (s === null) {
      // spawnerr lines name no process: keep them in the global sequence
      global.push(l);
      continue;
    }
    const list = byProcess.get(s) ?? [];
    list.push(l);
    byProcess.set(s, list);
  }
  return { global, byProcess };
}
