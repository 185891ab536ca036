// Running the init system's own tools (systemctl, update-rc.d, groupadd ...).
// The installer is a short-lived command, so these run synchronously and in
// order, and every output is kept for the report when one fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { shJoin } from './quote';

export interface RunResult {
  argv: string[];
  status: number | null;
  stdout: string;
  stderr: string;
  /** spawn failure (ENOENT for a missing tool) */
  error?: string;
}

export function ok(r: RunResult): boolean {
  return r.status === 0 && !r.error;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function run(argv: readonly string[], opts: RunOptions = {}): RunResult {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs ?? 120_000,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const res: RunResult = { argv: [...argv], status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (r.error) res.error = (r.error as NodeJS.ErrnoException).code ?? r.error.message;
  return res;
}

/** `cmd args` exited N: the last lines it printed. */
export function describeFailure(r: RunResult): string {
  const head = r.error ? `${shJoin(r.argv)}: ${r.error}` : `${shJoin(r.argv)} exited ${r.status ?? 'on a signal'}`;
  const text = (r.stderr + r.stdout).trim();
  return text ? `${head}:\n${indent(lastLines(text, 20))}` : head;
}

export function lastLines(text: string, n: number): string {
  const lines = text.replace(/\n+$/, '').split('\n');
  return lines.slice(-n).join('\n');
}

export function indent(text: string, prefix = '  '): string {
  return text
    .split('\n')
    .map((l) => (l ? prefix + l : l))
    .join('\n');
}

/** The tool is installed: an absolute path, or found on PATH. */
export function haveTool(name: string, path = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): boolean {
  if (name.includes('/')) return existsSync(name);
  return path.split(':').some((d) => d && existsSync(`${d}/${name}`));
}
