// bench/daemon: tsv daemon and the real supervisord side by side, in one run,
// printing ratios against the targets of issue #3.
//
//   npm run build && node build/js/bench/daemon/run.js [--only start,restart,throughput,idle,memory,busy] [--quick]
//        [--node-flags='--max-semi-space-size=1'] [--binary=dist/tsv-linux-x64]
//
// tsv runs as ./bin/tsv runs it after a build (this Node, the ctl's bundle,
// then build/tsv.cjs with its V8 code cache); --binary runs a standalone
// binary from `make dist` (the Node it embeds, the V8 flags it was built with).
//
// Every measurement starts both daemons with -n on equivalent configs in
// their own temp dirs; NODE_EXTRA_CA_CERTS is removed from the environment.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
// The same process-tree kill the tests use, so no program is orphaned.
import { killTree } from '../../test/helpers/daemon-cli';
import { contextSwitches } from '../../test/helpers/daemon-env';
import { tracked } from '../common/children';

const ROOT = process.env.TSV_ROOT ?? resolve(__dirname, '../../../..');
const TSV = join(ROOT, 'bin', 'tsv');
const SUPERVISORD = '/usr/bin/supervisord';
type Impl = 'tsv' | 'supervisord';
const IMPLS: Impl[] = ['tsv', 'supervisord'];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1]).split(',') : null;
const want = (s: string): boolean => !only || only.includes(s);
// e.g. --node-flags=--max-semi-space-size=1: what a packaged build would pass to V8
const nodeFlagsArg = argv.find((a) => a.startsWith('--node-flags='));
const nodeFlags = nodeFlagsArg ? nodeFlagsArg.slice('--node-flags='.length).split(' ').filter(Boolean) : [];
const binaryArg = argv.find((a) => a.startsWith('--binary='));
const binary = binaryArg ? resolve(binaryArg.slice('--binary='.length)) : null;
/** how tsv is started: a standalone binary, or this Node with the build */
const tsvCommand: [string, string[]] = binary ? [binary, []] : [process.execPath, [...nodeFlags, TSV]];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const env = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  delete e.NODE_EXTRA_CA_CERTS;
  return e;
};
const CLK_TCK = 100;

interface Daemon {
  impl: Impl;
  dir: string;
  child: ChildProcess;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

function confFor(dir: string, body: string, minfds = 4096): string {
  return (
    `[supervisord]\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\nchildlogdir=${dir}\nloglevel=info\nminfds=${minfds}\n` +
    `[unix_http_server]\nfile=${dir}/s.sock\n` +
    '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n' +
    body.replaceAll('{DIR}', dir)
  );
}

function startDaemon(impl: Impl, body: string, minfds?: number): Daemon {
  const dir = mkdtempSync(join(tmpdir(), `bench-${impl}-`));
  writeFileSync(join(dir, 'supervisord.conf'), confFor(dir, body, minfds));
  const conf = join(dir, 'supervisord.conf');
  const child =
    impl === 'tsv'
      ? tracked(spawn(tsvCommand[0], [...tsvCommand[1], 'daemon', '-n', '-s', '-c', conf], { env: env(), stdio: 'ignore' }))
      : tracked(spawn(SUPERVISORD, ['-n', '-s', '-c', conf], { env: env(), stdio: 'ignore' }));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const logPath = join(dir, 'supervisord.log');
  return {
    impl,
    dir,
    child,
    pid: child.pid!,
    log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => killTree(child.pid!), 60000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}


async function until(cond: () => boolean, ms: number, what: string, every = 5): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

function cpuMs(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

/**
 * CPU time of the process's threads in ms, to the nanosecond (the scheduler's
 * sum_exec_runtime): /proc/PID/stat counts 10 ms ticks, and a daemon moving
 * 256 MiB uses 6-10 of them, so one tick more or less was 10-15 % of a round.
 * Only threads alive at both reads count; the daemons' threads live as long as they do.
 */
function cpuPreciseMs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1e6;
}

function memKb(pid: number): { rss: number; pss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const pss = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
  const anon = Number(/^Anonymous:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
  return { rss, pss, anon };
}

function logTimeMs(line: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3})/.exec(line);
  if (!m) return NaN;
  return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]).getTime();
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ------------------------------------------------------------------ output

interface Row {
  what: string;
  tsv: string;
  supervisord: string;
  ratio: string;
  target: string;
  verdict: string;
}
const rows: Row[] = [];
function row(what: string, tsv: number, sd: number, unit: string, target = '', ok?: boolean, ratio = tsv / sd): void {
  const fmt = (n: number): string => (Number.isFinite(n) ? `${n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)} ${unit}` : 'n/a');
  rows.push({
    what,
    tsv: fmt(tsv),
    supervisord: fmt(sd),
    ratio: Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a',
    target,
    verdict: ok === undefined ? '' : ok ? 'ok' : 'MISSED',
  });
  console.log(`  ${what}: tsv ${fmt(tsv)}, supervisord ${fmt(sd)}, ratio ${Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a'}${target ? ` (target ${target})` : ''}`);
}

function printTable(): void {
  const head: Row = { what: 'measurement', tsv: 'tsv', supervisord: 'supervisord', ratio: 'tsv/sd', target: 'target', verdict: '' };
  const all = [head, ...rows];
  const w = (k: keyof Row): number => Math.max(...all.map((r) => r[k].length));
  const line = (r: Row): string =>
    `| ${r.what.padEnd(w('what'))} | ${r.tsv.padStart(w('tsv'))} | ${r.supervisord.padStart(w('supervisord'))} | ${r.ratio.padStart(w('ratio'))} | ${r.target.padEnd(w('target'))} | ${r.verdict.padEnd(w('verdict'))} |`;
  console.log('\n' + line(head));
  console.log(`|${['what', 'tsv', 'supervisord', 'ratio', 'target', 'verdict'].map((k) => '-'.repeat(w(k as keyof Row) + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

// ----------------------------------------------------------------- helpers

let helperDir = '';
function compileHelpers(): void {
  helperDir = mkdtempSync(join(tmpdir(), 'bench-helpers-'));
  for (const name of ['writer', 'stamp', 'floor']) {
    const src = join(ROOT, 'bench', 'daemon', 'helpers', `${name}.c`);
    let r = spawnSync('cc', ['-O2', '-static', '-o', join(helperDir, name), src], { encoding: 'utf8' });
    if (r.status !== 0) r = spawnSync('cc', ['-O2', '-o', join(helperDir, name), src], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot compile ${src}: ${r.stderr}`);
  }
}

// ---------------------------------------------------------------- sections

async function benchStart(): Promise<void> {
  const n = 200;
  console.log(`\n[start] ${n} programs (startsecs=0) until all RUNNING`);
  let body = '';
  for (let i = 0; i < n; i++) body += `[program:p${i}]\ncommand=sleep 100000\nstartsecs=0\n`;
  const res: Record<Impl, { total: number; spawnPhase: number }> = {} as never;
  for (const impl of IMPLS) {
    const t0 = performance.now();
    const d = startDaemon(impl, body);
    try {
      await until(() => count(d.log(), /success: p\d+ entered RUNNING/g) >= n, 120000, `${impl} ${n} RUNNING`, 2);
      const total = performance.now() - t0;
      const lines = d.log().split('\n');
      const first = logTimeMs(lines.find((l) => l.includes('spawned:')) ?? '');
      const last = logTimeMs([...lines].reverse().find((l) => l.includes('success:')) ?? '');
      res[impl] = { total, spawnPhase: last - first };
    } finally {
      await d.stop();
    }
  }
  row('start 200 programs: launch to all RUNNING', res.tsv.total, res.supervisord.total, 'ms', '<= 0.25x', res.tsv.total <= 0.25 * res.supervisord.total);
  row('  of which first spawn to last RUNNING (log)', res.tsv.spawnPhase, res.supervisord.spawnPhase, 'ms');
}

async function benchRestart(): Promise<void> {
  const n = quick ? 50 : 200;
  console.log(`\n[restart] crash-to-restart latency over ${n} restarts (program exits at once, autorestart=true)`);
  const out: Record<Impl, number[]> = { tsv: [], supervisord: [] };
  for (const impl of IMPLS) {
    const d = startDaemon(impl, `[program:crash]\ncommand=${helperDir}/stamp {DIR}/stamps\nstartsecs=0\nautorestart=true\n`);
    const stamps = join(d.dir, 'stamps');
    const lines = (): string[] => (existsSync(stamps) ? readFileSync(stamps, 'utf8').trim().split('\n') : []);
    try {
      // supervisord's restarts wait for its 1-second poll: give it a time cap
      await until(() => lines().length > n, impl === 'supervisord' ? 260000 : 60000, `${impl} ${n} restarts`, 20).catch(() => undefined);
      const runs = lines().map((l) => l.split(' ').map(Number));
      const gaps: number[] = [];
      for (let i = 1; i < runs.length && gaps.length < n; i++) gaps.push((runs[i][0] - runs[i - 1][1]) / 1e6);
      out[impl] = gaps.sort((a, b) => a - b);
    } finally {
      await d.stop();
    }
  }
  console.log(`  restarts measured: tsv ${out.tsv.length}, supervisord ${out.supervisord.length}`);
  const p50 = [pct(out.tsv, 50), pct(out.supervisord, 50)];
  const p99 = [pct(out.tsv, 99), pct(out.supervisord, 99)];
  row('crash-to-restart latency p50', p50[0], p50[1], 'ms');
  row('crash-to-restart latency p99', p99[0], p99[1], 'ms', 'tsv p99 <= 5 ms', p99[0] <= 5);
}

async function timeCat(total: number, chunk: number, dir: string): Promise<number> {
  const file = join(dir, 'cat.out');
  const t0 = performance.now();
  const r = spawnSync('/bin/sh', ['-c', `${helperDir}/writer ${total} ${chunk} | cat > ${file}`]);
  const t = performance.now() - t0;
  if (r.status !== 0 || statSync(file).size !== total) throw new Error('cat baseline failed');
  rmSync(file);
  return t;
}

/** CPU ms of helpers/floor.c moving the writer's output into a file: what a daemon cannot go below */
function floorCpuMs(total: number, chunk: number, dir: string, direct = false): number {
  const file = join(dir, 'floor.out');
  const r = spawnSync('/bin/sh', ['-c', `${helperDir}/writer ${total} ${chunk} | ${helperDir}/floor ${file}${direct ? ' direct' : ''}`], { encoding: 'utf8' });
  if (r.status !== 0 || statSync(file).size !== total) throw new Error(`floor helper failed: ${r.stderr}`);
  rmSync(file);
  return Number(r.stdout.trim());
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((x, y) => x - y);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

interface Transfer {
  /** from the signal to begin to the daemon's "exited:" */
  ms: number;
  /** daemon CPU over the same span */
  cpu: number;
  /** daemon CPU from the harness seeing "supervisord started" to "exited:", the spawn included */
  cpuFromStart: number;
  lost: number;
}

/** Opens the FIFO the writer waits on, for writing, and closes it: the writer begins. */
async function signalGo(fifo: string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      // non-blocking: ENXIO until the writer has opened its end
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() - t0 > 30000) throw e;
      await sleep(1);
    }
  }
}

async function timeDaemon(impl: Impl, total: number, chunk: number): Promise<Transfer> {
  // The writer waits for a signal, so that the window holds only the
  // transfer and the exit: spawning is measured by start, restart and busy.
  // (The daemons log "started" just before they spawn, and the harness sees
  // it up to a ms later, sometimes after the spawn: no window could begin
  // before the spawn reliably.)
  const goDir = mkdtempSync(join(tmpdir(), 'bench-go-'));
  const go = join(goDir, 'go');
  if (spawnSync('mkfifo', [go]).status !== 0) throw new Error('mkfifo failed');
  const body = `[program:w]\ncommand=${helperDir}/writer ${total} ${chunk} ${go}\nstartsecs=0\nautorestart=false\nstdout_logfile={DIR}/w.out\nstdout_logfile_maxbytes=0\n`;
  const d = startDaemon(impl, body);
  try {
    await until(() => /supervisord started with pid/.test(d.log()), 30000, 'start', 1);
    const cpuStart = cpuPreciseMs(d.pid);
    await until(() => /success: w /.test(d.log()), 30000, 'writer running', 1);
    // what the daemon does right after a spawn stays out of the window
    await sleep(200);
    const cpu0 = cpuPreciseMs(d.pid);
    const goAt = Date.now();
    await signalGo(go);
    // both daemons drain the pipes before logging "exited:", so go -> exited
    // (from the main log, no polling of the output file) is the whole transfer
    await until(() => /exited: w/.test(d.log()), 300000, 'writer exit', 20);
    const cpu1 = cpuPreciseMs(d.pid);
    const exitedAt = logTimeMs(d.log().split('\n').find((l) => l.includes('exited: w')) ?? '');
    return { ms: exitedAt - goAt, cpu: cpu1 - cpu0, cpuFromStart: cpu1 - cpuStart, lost: total - statSync(join(d.dir, 'w.out')).size };
  } finally {
    await d.stop();
    rmSync(goDir, { recursive: true, force: true });
  }
}

async function benchThroughput(): Promise<void> {
  const cases: [string, number, number][] = [
    [quick ? '64 MiB in 64 KiB writes' : '256 MiB in 64 KiB writes', (quick ? 64 : 256) * 1024 * 1024, 65536],
    [quick ? '16 MiB in 100-byte lines' : '64 MiB in 100-byte lines', (quick ? 16 : 64) * 1024 * 1024, 100],
  ];
  // This VM's disk and shared CPUs have slow spells of a few seconds (cat
  // itself varies 4x between runs): each round times cat and both daemons
  // back to back, and the medians of the rounds are reported.
  const rounds = quick ? 1 : 9;
  for (const [label, total, chunk] of cases) {
    console.log(`\n[throughput] one child writes ${label} to stdout -> log file, ${rounds} round(s)`);
    const mib = total / (1024 * 1024);
    const speed: Record<Impl, number[]> = { tsv: [], supervisord: [] };
    const cpu: Record<Impl, number[]> = { tsv: [], supervisord: [] };
    const cpuFromStart: Record<Impl, number[]> = { tsv: [], supervisord: [] };
    const lost: Record<Impl, number> = { tsv: 0, supervisord: 0 };
    // the floor is the same splice loop in C; it says how much of a daemon's
    // CPU is its own, so only the large writes, where tsv splices as they come
    const floor: number[] = [];
    // and the same without the copy into the page cache (O_DIRECT): where the CPU goes
    const direct: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const tmp = mkdtempSync(join(tmpdir(), 'bench-cat-'));
      const catMs = Math.min(await timeCat(total, chunk, tmp), await timeCat(total, chunk, tmp));
      const parts = [`cat ${(mib / (catMs / 1000)).toFixed(0)} MiB/s`];
      if (chunk >= 65536) {
        floor.push(floorCpuMs(total, chunk, tmp) / mib);
        parts.push(`C floor ${floor[r].toFixed(2)} ms/MiB`);
        try {
          direct.push(floorCpuMs(total, chunk, tmp, true) / mib);
          parts.push(`O_DIRECT ${(direct.at(-1) as number).toFixed(2)} ms/MiB`);
        } catch {
          parts.push('O_DIRECT not possible on this file system'); // tmpfs before Linux 6.6
        }
      }
      rmSync(tmp, { recursive: true, force: true });
      for (const impl of r % 2 ? [...IMPLS].reverse() : IMPLS) {
        const t = await timeDaemon(impl, total, chunk);
        speed[impl].push(catMs / t.ms);
        cpu[impl].push(t.cpu / mib);
        cpuFromStart[impl].push(t.cpuFromStart / mib);
        lost[impl] = Math.max(lost[impl], t.lost);
        parts.push(`${impl} ${(catMs / t.ms).toFixed(2)}x cat, ${(t.cpu / mib).toFixed(2)} ms/MiB`);
      }
      console.log(`  round ${r + 1}: ${parts.join('; ')}`);
    }
    const [st, ss] = [median(speed.tsv), median(speed.supervisord)];
    const [ct, cs] = [median(cpu.tsv), median(cpu.supervisord)];
    row(`${label}: speed vs cat (median)`, st, ss, 'x cat', 'tsv >= 0.9x cat', st >= 0.9, NaN);
    row(`${label}: bytes lost (worst round)`, lost.tsv, lost.supervisord, 'B', '0', lost.tsv === 0, NaN);
    row(`${label}: daemon CPU per MiB (median)`, ct, cs, 'ms', '<= 0.5x', ct <= 0.5 * cs);
    row(`${label}: the same from "started", the spawn included (median)`, median(cpuFromStart.tsv), median(cpuFromStart.supervisord), 'ms');
    if (floor.length) row(`${label}: helpers/floor.c (C splice) CPU per MiB in the tsv column (median)`, median(floor), cs, 'ms');
    if (direct.length) row(`${label}: the same C splice into an O_DIRECT file, no page-cache copy (median; no daemon's way)`, median(direct), cs, 'ms');
  }
}

async function benchIdle(): Promise<void> {
  const secs = quick ? 10 : 30;
  console.log(`\n[idle] 100 programs, wake-ups and CPU over ${secs} s (both daemons at once)`);
  let body = '';
  for (let i = 0; i < 100; i++) body += `[program:i${i}]\ncommand=sleep 100000\nstartsecs=0\n`;
  const ds = IMPLS.map((impl) => startDaemon(impl, body));
  try {
    for (const d of ds) await until(() => count(d.log(), /success: i\d+ entered RUNNING/g) >= 100, 60000, `${d.impl} RUNNING`, 20);
    // V8's memory reducer runs a few GCs (on its worker threads) within ~40 s
    // after start-up or activity; measure the steady state after it
    await sleep(quick ? 15000 : 45000);
    const before = ds.map((d) => ({ cs: contextSwitches(d.pid), cpu: cpuMs(d.pid) }));
    await sleep(secs * 1000);
    const after = ds.map((d) => ({ cs: contextSwitches(d.pid), cpu: cpuMs(d.pid) }));
    const wake = ds.map((_, i) => (after[i].cs - before[i].cs) / secs);
    const cpu = ds.map((_, i) => after[i].cpu - before[i].cpu);
    row('idle wake-ups per second (all threads)', wake[0], wake[1], '/s', 'tsv 0', wake[0] === 0);
    row(`idle CPU over ${secs} s`, cpu[0], cpu[1], 'ms');
  } finally {
    for (const d of ds) await d.stop();
  }
}

async function benchMemory(): Promise<void> {
  const sizes = quick ? [0, 100] : [0, 100, 1000];
  const settle = quick ? 15 : 45;
  console.log(`\n[memory] RSS and PSS of the daemon with ${sizes.join(', ')} programs, all daemons at once, after ${settle} s of rest`);
  const res: Record<Impl, Record<number, { rss: number; pss: number; anon: number }>> = { tsv: {}, supervisord: {} };
  const ds: [Impl, number, Daemon][] = [];
  try {
    for (const n of sizes) {
      let body = '';
      for (let i = 0; i < n; i++) body += `[program:m${i}]\ncommand=sleep 100000\nstartsecs=0\n`;
      for (const impl of IMPLS) ds.push([impl, n, startDaemon(impl, body, 16384)]);
    }
    for (const [impl, n, d] of ds) {
      await until(() => /supervisord started/.test(d.log()) && count(d.log(), /success: m\d+ entered RUNNING/g) >= n, 300000, `${impl} ${n}`, 50);
    }
    await sleep(settle * 1000);
    for (const [impl, n, d] of ds) res[impl][n] = memKb(d.pid);
  } finally {
    for (const [, , d] of ds) await d.stop();
  }
  for (const n of sizes) {
    row(`RSS with ${n} programs`, res.tsv[n].rss / 1024, res.supervisord[n].rss / 1024, 'MiB', "<= supervisord's", res.tsv[n].rss <= res.supervisord[n].rss);
    row(`PSS with ${n} programs`, res.tsv[n].pss / 1024, res.supervisord[n].pss / 1024, 'MiB');
    // the daemon's own memory; the rest of RSS is executable and library pages, which this VM's
    // reclaim (DAMON) unmaps from idle processes now and then, moving RSS by several MiB
    row(`anonymous memory with ${n} programs`, res.tsv[n].anon / 1024, res.supervisord[n].anon / 1024, 'MiB');
  }
  const top = sizes[sizes.length - 1];
  const marg = (impl: Impl): number => (res[impl][top].rss - res[impl][0].rss) / top;
  row(`RSS per program (0 -> ${top})`, marg('tsv'), marg('supervisord'), 'KiB');
  const margAnon = (impl: Impl): number => (res[impl][top].anon - res[impl][0].anon) / top;
  row(`anonymous memory per program (0 -> ${top})`, margAnon('tsv'), margAnon('supervisord'), 'KiB');
}

/**
 * One XML-RPC call over a daemon's unix socket: the same request to both
 * daemons, no client process. Not RpcClient: it asks a tsv daemon for a JSON
 * answer, which would not be the XML supervisord has to write.
 */
function rpcCall(socketPath: string, method: string): Promise<void> {
  const body = `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params></params></methodCall>`;
  return new Promise((resolveCall, reject) => {
    const req = request(
      { socketPath, path: '/RPC2', method: 'POST', headers: { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolveCall());
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A busy host: programs that keep ending and being restarted, and a monitor
 * asking for every process's status five times a second. What the daemon's
 * own memory does then (V8 lets its heap grow between collections) is not
 * what it does at rest.
 */
async function benchBusy(): Promise<void> {
  const secs = quick ? 60 : 180;
  const n = 30;
  console.log(`\n[busy] ${n} programs that exit after 0.3 s and are restarted, getAllProcessInfo 5 times a second, ${secs} s (both daemons at once)`);
  let body = '';
  for (let i = 0; i < n; i++) body += `[program:b${i}]\ncommand=/bin/sh -c 'echo started; sleep 0.3; exit 1'\nstartsecs=0\nautorestart=true\n`;
  const ds = IMPLS.map((impl) => startDaemon(impl, body));
  let polling = true;
  const poller = (async () => {
    while (polling) {
      await Promise.all(ds.map((d) => rpcCall(join(d.dir, 's.sock'), 'supervisor.getAllProcessInfo').catch(() => undefined)));
      await sleep(200);
    }
  })();
  try {
    for (const d of ds) await until(() => /supervisord started/.test(d.log()), 30000, `${d.impl} start`, 20);
    const cpu0 = ds.map((d) => cpuPreciseMs(d.pid));
    const spawned0 = ds.map((d) => count(d.log(), /spawned: /g));
    const anon: number[][] = ds.map(() => []);
    for (let t = 0; t < secs; t += 5) {
      await sleep(5000);
      ds.forEach((d, i) => anon[i].push(memKb(d.pid).anon / 1024));
    }
    const cpu = ds.map((d, i) => cpuPreciseMs(d.pid) - cpu0[i]);
    const spawns = ds.map((d, i) => (count(d.log(), /spawned: /g) - spawned0[i]) / secs);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    row('busy: spawns per second', spawns[0], spawns[1], '/s');
    row('busy: anonymous memory, mean of 5-s samples', mean(anon[0]), mean(anon[1]), 'MiB');
    row('busy: anonymous memory, largest sample', Math.max(...anon[0]), Math.max(...anon[1]), 'MiB');
    row('busy: daemon CPU per spawn', cpu[0] / (spawns[0] * secs), cpu[1] / (spawns[1] * secs), 'ms');
  } finally {
    polling = false;
    await poller;
    for (const d of ds) await d.stop();
  }
}

async function main(): Promise<void> {
  if (!existsSync(SUPERVISORD)) throw new Error(`${SUPERVISORD} is required (apt-get install supervisor)`);
  if (binary ? !existsSync(binary) : !existsSync(TSV)) throw new Error(`${binary ?? TSV} missing: run ${binary ? 'make dist' : 'npm run build'} first`);
  compileHelpers();
  const tsvWhat = binary ? `${binary}: ${spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim()}` : `node ${process.version}${nodeFlags.length ? ' ' + nodeFlags.join(' ') : ''}`;
  console.log(`bench/daemon: tsv (${tsvWhat}) vs ${SUPERVISORD}${quick ? ' (quick)' : ''}`);
  try {
    if (want('start')) await benchStart();
    if (want('restart')) await benchRestart();
    if (want('throughput')) await benchThroughput();
    if (want('idle')) await benchIdle();
    if (want('memory')) await benchMemory();
    if (want('busy')) await benchBusy();
  } finally {
    rmSync(helperDir, { recursive: true, force: true });
  }
  printTable();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
