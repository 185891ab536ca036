// What bench/web and bench/metrics both start: one daemon (tsv or the real
// supervisord), -n, in a temp dir of its own, with `programs` sleep programs
// and an [inet_http_server] on a free port; ready once every program is
// RUNNING. Also their command-line options, medians and side-by-side loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killTree } from '../../test/helpers/daemon-cli';
import { freePort } from '../../test/helpers/common';
import { tracked } from './children';
import { RpcClient } from '../../src/rpc/client';

const ROOT = process.env.TSV_ROOT ?? resolve(__dirname, '../../../..');
const TSV = join(ROOT, 'build', 'tsv.cjs');
const SUPERVISORD = '/usr/bin/supervisord';

export type Impl = 'tsv' | 'supervisord';

export interface Sleepers {
  dir: string;
  /** the [inet_http_server]'s port on 127.0.0.1 */
  port: number;
  child: ChildProcess;
  rpc: RpcClient;
  /** the daemon and its programs gone, the temp dir removed */
  close(): void;
}

export async function startSleepers(impl: Impl, programs: number, bench: string): Promise<Sleepers> {
  const dir = mkdtempSync(join(tmpdir(), `tsv-bench-${bench}-${impl}-`));
  const port = await freePort();
  let conf =
    `[supervisord]\nlogfile=${dir}/main.log\npidfile=${dir}/d.pid\nchildlogdir=${dir}\nminfds=${programs * 4 + 100}\n` +
    `[unix_http_server]\nfile=${dir}/s.sock\n[inet_http_server]\nport=127.0.0.1:${port}\n` +
    '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n';
  for (let i = 0; i < programs; i++) conf += `[program:p${i}]\ncommand=/bin/sleep 100000\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n`;
  writeFileSync(join(dir, 'd.conf'), conf);
  const cmd = impl === 'tsv' ? process.execPath : SUPERVISORD;
  const args = impl === 'tsv' ? [TSV, 'daemon', '-n', '-c', join(dir, 'd.conf')] : ['-n', '-c', join(dir, 'd.conf')];
  const child = tracked(spawn(cmd, args, { stdio: 'ignore' }));
  const rpc = new RpcClient({ serverurl: `unix://${dir}/s.sock` });
  const close = (): void => {
    rpc.close();
    killTree(child.pid as number);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let t = 0; ; t++) {
      if (t > 1200) throw new Error(`${impl}: not all ${programs} programs RUNNING within 60 s`);
      try {
        const infos = (await rpc.call('supervisor.getAllProcessInfo')) as { state: number }[];
        if (infos.length === programs && infos.every((i) => i.state === 20)) break;
      } catch {
        // not serving yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    close();
    throw e;
  }
  return { dir, port, child, rpc, close };
}

/** `--name value` from the command line, or dflt. */
export function arg(name: string, dflt: string): string {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? (argv[i + 1] as string) : dflt;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * For each program count: `measure` supervisord, then tsv, printing each
 * result's row (`row`) as it comes, then the line of ratios (`ratios`).
 */
export async function sideBySide<R>(counts: readonly number[], measure: (impl: Impl, n: number) => Promise<R>, row: (r: R) => string, ratios: (tsv: R, supervisord: R) => string): Promise<void> {
  for (const n of counts) {
    const r: Partial<Record<Impl, R>> = {};
    for (const impl of ['supervisord', 'tsv'] as Impl[]) {
      r[impl] = await measure(impl, n);
      console.log(`${String(n).padStart(8)}  ${impl.padEnd(11)} ${row(r[impl] as R)}`);
    }
    console.log(`${''.padStart(8)}  tsv/supervisord  ${ratios(r.tsv as R, r.supervisord as R)}\n`);
  }
}
