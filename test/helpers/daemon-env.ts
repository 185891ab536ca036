// Test helpers for the daemon engine: temp dirs, config files read through
// the real config loader, an engine with a main log in the temp dir, and
// waiting on the engine's event stream (never on wall-clock sleeps alone).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/model';
import { Supervisor } from '../../src/daemon/supervisor';
import { FileSink, MainLogger } from '../../src/log/mainlog';
import { Level, type LevelNumber } from '../../src/log/levels';
import { ProcessState, processStateName } from '../../src/daemon/states';
import type { ProcessStateChange } from '../../src/daemon/events';
import { EngineApi } from '../../src/daemon/api';
import { procStat } from '../../src/daemon/proc-stat';

export const ROOT = process.env.TSV_ROOT ?? resolve(__dirname, '../../../..');

export class TempDir {
  readonly path: string;
  constructor(prefix = 'tsv-daemon-') {
    this.path = mkdtempSync(join(tmpdir(), prefix));
  }
  file(name: string, content: string | Buffer, mode = 0o644): string {
    const p = join(this.path, name);
    writeFileSync(p, content, { mode });
    return p;
  }
  join(...parts: string[]): string {
    return join(this.path, ...parts);
  }
  read(name: string): string {
    const p = name.startsWith('/') ? name : join(this.path, name);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }
  cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A supervisord.conf with a [supervisord] section pointing into dir, plus the given sections. */
export function writeConf(dir: TempDir, body: string, supervisordExtra = ''): string {
  const text =
    `[supervisord]\nlogfile=${dir.join('supervisord.log')}\npidfile=${dir.join('supervisord.pid')}\n` +
    `childlogdir=${dir.path}\n${supervisordExtra}\n${body}\n`;
  return dir.file('supervisord.conf', text);
}

export function load(file: string): Config {
  return loadConfig({ file }).config;
}

export interface TestEngine {
  engine: Supervisor;
  transitions: ProcessStateChange[];
  /** "name FROM->TO" lines */
  trace(): string[];
  close(): Promise<void>;
}

export function startEngine(config: Config, level: LevelNumber = Level.DEBG): TestEngine {
  const logger = new MainLogger(level);
  logger.setSinks([new FileSink(config.supervisord.logfile, 0, 0)]);
  const engine = new Supervisor({ config, logger });
  const transitions: ProcessStateChange[] = [];
  engine.events.on('processState', (e) => transitions.push(e));
  engine.start();
  return {
    engine,
    transitions,
    trace: () => transitions.map((t) => `${t.name} ${processStateName(t.from)}->${processStateName(t.to)}`),
    close: async () => {
      if (!engine.isClosed) {
        engine.shutdown();
        await withTimeout(engine.stopped, 20000, 'engine shutdown');
      }
      logger.close();
    },
  };
}

/** The RPC layer's view of a test engine, as the daemon builds it (this process's pid; reread loads `conf` again). */
export function engineApi(te: TestEngine, conf: string): EngineApi {
  return new EngineApi(te.engine, {
    pid: () => process.pid,
    mainLogfile: () => te.engine.config.supervisord.logfile,
    clearMainLog: () => undefined,
    rereadConfig: (): Config => load(conf),
    supervisorVersion: '4.2.5',
  });
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, rej) => {
      t = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/** Resolves when process `name` enters `state` (at once if it is already there and count is 1). */
export function waitState(engine: Supervisor, name: string, state: ProcessState, ms = 15000, count = 1): Promise<ProcessStateChange> {
  if (count === 1) {
    for (const g of engine.groups.values()) {
      const p = g.processes.get(name);
      if (p && p.state === state) {
        return Promise.resolve({
          name, group: g.name, from: state, to: state, pid: p.pid, tries: p.backoff, expected: true,
          exitstatus: p.exitstatus, spawnerr: p.spawnerr, time: Date.now() / 1000,
        });
      }
    }
  }
  return withTimeout(
    new Promise((resolve) => {
      let seen = 0;
      const off = engine.events.on('processState', (e) => {
        if (e.name === name && e.to === state && ++seen >= count) {
          off();
          resolve(e);
        }
      });
    }),
    ms,
    `${name} to enter ${processStateName(state)}`,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** How often a process's threads have been switched out so far (slept or were preempted). */
export function contextSwitches(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const st = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    total += Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(st)?.[1] ?? 0) + Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(st)?.[1] ?? 0);
  }
  return total;
}

/** contextSwitches over ms: an idle daemon's few, a 1 ms timer's ~1000 a second. */
export async function switchesOver(pid: number, ms: number): Promise<number> {
  const before = contextSwitches(pid);
  await sleep(ms);
  return contextSwitches(pid) - before;
}

/** A live (non-zombie) process: orphans may linger as zombies until init reaps them. */
export function pidAlive(pid: number): boolean {
  return procStat(pid)?.zombie === false;
}

/**
 * A rotated log read back oldest first (BASE.N … BASE.1, then BASE), after
 * asserting the backups are .1 … .N without gaps; with each backup's size.
 */
export function rotatedLog(dir: string, base: string): { all: Buffer; backupSizes: number[] } {
  const backups = readdirSync(dir)
    .filter((f) => f.startsWith(`${base}.`))
    .map((f) => Number(f.slice(base.length + 1)))
    .sort((a, b) => b - a);
  assert.deepEqual(backups, Array.from({ length: backups.length }, (_, i) => backups.length - i), 'backups are .1 .. .N without gaps');
  const parts = backups.map((b) => readFileSync(join(dir, `${base}.${b}`)));
  const backupSizes = parts.map((p) => p.length);
  parts.push(readFileSync(join(dir, base)));
  return { all: Buffer.concat(parts), backupSizes };
}
