// The server side of the control plane, tsv's daemon against Supervisor's
// supervisord, side by side in one run, each with the same 200 programs:
//   1. CLI `status` wall time: `tsv ctl` against tsv vs supervisorctl
//      against supervisord (median of alternating runs) [target <= 0.2x];
//   2. raw getAllProcessInfo round trip, the same Node client for both
//      (median) [target <= 0.5x];
//   3. requests per second from 4 concurrent clients (worker threads, one
//      kept-alive connection each, a lean raw-socket client so the rate is
//      the server's) for getState, getProcessInfo and getAllProcessInfo
//      [target >= 3x].
// Usage: npm run build && env -u NODE_EXTRA_CA_CERTS node build/js/bench/ctl/server.js [seconds-per-rate=3] [runs=15]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createConnection } from 'node:net';
import { RpcClient } from '../../src/rpc/client';
import { decodeMethodResponse, encodeMethodCall, type XmlRpcValue } from '../../src/rpc/xmlrpc';

const ROOT = process.env.TSV_ROOT ?? resolve(__dirname, '../../../..');
const TSV = join(ROOT, 'build/tsv.cjs');
// What users run: the small ctl bundle with its code cache (build/tsv-ctl.cjs).
const TSV_BIN = join(ROOT, 'bin/tsv');
const NPROCS = 200;
const CLIENTS = 4;

const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8' };
delete env.NODE_EXTRA_CA_CERTS;

interface RateJob {
  sock: string;
  method: string;
  params: XmlRpcValue[];
  seconds: number;
}

if (!isMainThread) {
  // One client of the rate test: a kept-alive connection, one request in
  // flight, back to back until time is up. A raw socket with the request
  // encoded once, so that the client's own cost stays small next to the
  // server's and the rate measures the server (the first answer is decoded
  // in full and checked).
  const job = workerData as RateJob;
  const body = Buffer.from(encodeMethodCall(job.method, job.params));
  const request = Buffer.concat([
    Buffer.from(`POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nAccept: text/xml\r\nContent-Length: ${body.length}\r\n\r\n`),
    body,
  ]);
  const sock = createConnection({ path: job.sock });
  let buf: Buffer = Buffer.alloc(0);
  let n = 0;
  let end = 0;
  sock.on('connect', () => {
    end = performance.now() + job.seconds * 1000;
    sock.write(request);
  });
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    const sep = buf.indexOf('\r\n\r\n');
    if (sep < 0) return;
    const head = buf.subarray(0, sep).toString('latin1');
    const len = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
    if (!head.startsWith('HTTP/1.1 200') || !Number.isFinite(len)) throw new Error(`bad answer: ${head}`);
    if (buf.length < sep + 4 + len) return;
    if (n === 0) {
      const r = decodeMethodResponse(buf.subarray(sep + 4, sep + 4 + len));
      if (r.kind !== 'result') throw new Error(`fault from ${job.method}`);
    }
    buf = buf.subarray(sep + 4 + len);
    n++;
    if (performance.now() < end) sock.write(request);
    else {
      sock.destroy();
      parentPort?.postMessage(n);
    }
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

interface Daemon {
  name: string;
  dir: string;
  conf: string;
  sock: string;
  child: ChildProcess;
  rpc: RpcClient;
}

function config(dir: string): string {
  let programs = '';
  for (let i = 0; i < NPROCS; i++) programs += `[program:prog${String(i).padStart(3, '0')}]\ncommand=/bin/sleep 100000\nstartsecs=0\n\n`;
  return `[unix_http_server]
file=${dir}/rpc.sock

[supervisord]
logfile=${dir}/supervisord.log
pidfile=${dir}/supervisord.pid
childlogdir=${dir}
minfds=4096

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://${dir}/rpc.sock

${programs}`;
}

async function start(name: string, argv: string[]): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), `tsv-bench-${name}-`));
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(conf, config(dir));
  const child = spawn(argv[0] as string, [...argv.slice(1), '-n', '-c', conf], { cwd: dir, env, stdio: 'ignore' });
  const sock = join(dir, 'rpc.sock');
  const rpc = new RpcClient({ serverurl: `unix://${sock}` });
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      const infos = (await rpc.call('supervisor.getAllProcessInfo')) as Record<string, XmlRpcValue>[];
      if (infos.length === NPROCS && infos.every((i) => i.statename === 'RUNNING')) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not start its ${NPROCS} programs`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, dir, conf, sock, child, rpc };
}

async function stop(d: Daemon): Promise<void> {
  d.rpc.close();
  const exited = new Promise((r) => d.child.once('exit', r));
  d.child.kill('SIGTERM');
  await exited;
  rmSync(d.dir, { recursive: true, force: true });
}

function timeCli(argv: string[], cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0] as string, argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  if (r.stdout.toString().split('\n').filter(Boolean).length !== NPROCS) throw new Error(`${argv.join(' ')}: unexpected output`);
  return t;
}

async function roundTrip(d: Daemon, runs: number): Promise<number> {
  const ts: number[] = [];
  await d.rpc.call('supervisor.getAllProcessInfo');
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await d.rpc.call('supervisor.getAllProcessInfo');
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

function rate(d: Daemon, method: string, params: XmlRpcValue[], seconds: number): Promise<number> {
  const workers = Array.from(
    { length: CLIENTS },
    () => new Worker(__filename, { workerData: { sock: d.sock, method, params, seconds } satisfies RateJob, env }),
  );
  return Promise.all(workers.map((w) => new Promise<number>((res, rej) => w.once('message', res).once('error', rej)))).then(
    (counts) => counts.reduce((a, b) => a + b, 0) / seconds,
  );
}

const fmt = (n: number, unit: string): string => `${n.toFixed(n < 10 ? 2 : 1)} ${unit}`;

function row(what: string, tsv: number, sup: number, unit: string, target: string): void {
  const ratio = tsv / sup;
  process.stdout.write(`${what.padEnd(44)} tsv ${fmt(tsv, unit).padStart(12)}   supervisord ${fmt(sup, unit).padStart(12)}   ratio ${ratio.toFixed(3)}x   (target ${target})\n`);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const runs = Number(process.argv[3] ?? 15);
  process.stdout.write(`bench/ctl/server: ${NPROCS} programs, node ${process.version}, ${runs} runs, ${seconds} s per rate\n`);
  const [tsv, sup] = await Promise.all([start('tsv', [process.execPath, TSV, 'daemon']), start('supervisord', ['/usr/bin/supervisord'])]);
  try {
    // 1. CLI status, alternating
    const tsvCli: number[] = [];
    const binCli: number[] = [];
    const supCli: number[] = [];
    timeCli([process.execPath, TSV, 'ctl', '-c', tsv.conf, 'status'], tsv.dir);
    timeCli([process.execPath, TSV_BIN, '-c', tsv.conf, 'status'], tsv.dir);
    timeCli(['/usr/bin/supervisorctl', '-c', sup.conf, 'status'], sup.dir);
    for (let i = 0; i < runs; i++) {
      tsvCli.push(timeCli([process.execPath, TSV, 'ctl', '-c', tsv.conf, 'status'], tsv.dir));
      binCli.push(timeCli([process.execPath, TSV_BIN, '-c', tsv.conf, 'status'], tsv.dir));
      supCli.push(timeCli(['/usr/bin/supervisorctl', '-c', sup.conf, 'status'], sup.dir));
    }
    row('CLI status (bin/tsv vs supervisorctl), median', median(binCli), median(supCli), 'ms', '<= 0.2x');
    row('CLI status (build/tsv.cjs ctl), median', median(tsvCli), median(supCli), 'ms', '<= 0.2x');

    // 2. round trip
    const rtRuns = runs * 10;
    row('getAllProcessInfo round trip, median', await roundTrip(tsv, rtRuns), await roundTrip(sup, rtRuns), 'ms', '<= 0.5x');

    // 3. rates
    for (const [method, params] of [
      ['supervisor.getState', []],
      ['supervisor.getProcessInfo', ['prog100']],
      ['supervisor.getAllProcessInfo', []],
    ] as [string, XmlRpcValue[]][]) {
      const t = await rate(tsv, method, params, seconds);
      const s = await rate(sup, method, params, seconds);
      const ratio = t / s;
      process.stdout.write(
        `${`${CLIENTS} clients, ${method.replace('supervisor.', '')}`.padEnd(44)} tsv ${fmt(t, 'req/s').padStart(12)}   supervisord ${fmt(s, 'req/s').padStart(12)}   ratio ${ratio.toFixed(2)}x   (target >= 3x)\n`,
      );
    }
  } finally {
    await Promise.all([stop(tsv), stop(sup)]);
  }
}

if (isMainThread) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
