// Running the real `tsv daemon` binary in tests.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sleep, withTimeout, type TempDir } from './daemon-env';
import { procStat } from '../../src/daemon/proc-stat';

export const TSV = join(ROOT, 'build', 'tsv.cjs');

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** `tsv config ARGS` on dir/x.conf: [supervisord] and [program:x] (command=/bin/true) with `lines` after it, from line 4. */
export function configOfX(dir: TempDir, lines: string, ...args: string[]): SpawnSyncReturns<string> {
  const f = dir.file('x.conf', `[supervisord]\n[program:x]\ncommand=/bin/true\n${lines}`);
  return spawnSync(process.execPath, [TSV, 'config', ...args, '-c', f], { encoding: 'utf8', env: cleanEnv() });
}

/** Run `tsv daemon ARGS` to completion (daemonizing starts return once the daemon serves). */
export function daemonSync(args: string[], timeoutMs = 20000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [TSV, 'daemon', ...args], { env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs });
}

export interface Foreground {
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  kill(sig: NodeJS.Signals): void;
  /** cleanup: TERM and wait; if it hangs, SIGKILL it and every descendant */
  terminate(): Promise<void>;
}

function descendants(pid: number): number[] {
  const kids = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(Number(d));
    if (st) kids.set(st.ppid, [...(kids.get(st.ppid) ?? []), st.pid]);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const k of kids.get(p) ?? []) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}

/** SIGKILL a process and everything below it (a daemon killed with -9 would orphan its children). */
export function killTree(pid: number): void {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * `tsv daemon -n ...` as a child we can signal; stdout+stderr collected. nodeArgs go to node itself; env is added to the test's.
 * `stdout`: a descriptor to give it as its stdout instead (node's own pipes are socketpairs, which /dev/stdout cannot open).
 */
export function daemonForeground(args: string[], nodeArgs: string[] = [], env: Record<string, string> = {}, stdout?: number): Foreground {
  const child = spawn(process.execPath, [...nodeArgs, TSV, 'daemon', '-n', ...args], { env: cleanEnv(env), stdio: ['ignore', stdout ?? 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const terminate = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    try {
      await withTimeout(exited, 15000, 'daemon to stop');
    } catch {
      killTree(child.pid!);
    }
  };
  return { pid: child.pid!, output: () => out, exited, kill: (s) => child.kill(s), terminate };
}

export function readPid(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

/** Ask probe() after each short sleep until it gives a value (for observing another process). */
export async function poll<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 15000, every = 25): Promise<T> {
  // the loop ends with the wait: left polling, it would keep a failed test's file from ever exiting
  let timedOut = false;
  try {
    return await withTimeout(
      (async () => {
        for (;;) {
          const v = await probe();
          if (v !== undefined || timedOut) return v as T;
          await sleep(every);
        }
      })(),
      ms,
      what,
    );
  } catch (e) {
    timedOut = true;
    throw e;
  }
}

/** Wait until cond() holds, checking after each short sleep. */
export async function until(cond: () => boolean, what: string, ms = 15000): Promise<void> {
  await poll(() => (cond() ? true : undefined), what, ms);
}
