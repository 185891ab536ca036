// bench/events: events per second delivered to one listener that
// acknowledges at once, tsv daemon and the real supervisord in one run.
//
//   npm run build && node build/js/bench/events/run.js [--events N] [--rounds R] [--quick]
//        [--only=tsv|supervisord] [--case='C listener (raw protocol), two CPUs']
//        [--node-flags='--cpu-prof --cpu-prof-dir=/tmp/prof']
//
// For each daemon (one at a time, on equivalent configs in temp dirs, both
// with -n -s, NODE_EXTRA_CA_CERTS removed): one [eventlistener:acker]
// subscribed to REMOTE_COMMUNICATION with buffer_size > N. N events are
// sent with system.multicall batches of sendRemoteCommEvent; the listener
// holds the first one until every event is buffered, then answers each one
// at once; the time from that first answer to the N-th event's arrival, as
// the listener measures it, gives events per second of delivery alone. The
// daemon's CPU over the same span gives CPU per 1000 events. Two listeners:
// helpers/acker.c (raw protocol, so the daemon sets the pace; the target
// applies to it) and helpers/acker.py (Supervisor's childutils, what most
// listeners are). Also the C listener in a daemon that runs 100 other
// programs: Supervisor's loop pass (one per event) visits every process and
// registers every pipe with poll(), tsv's cost per event does not grow with
// the number of programs. Then the same with the daemon and the listener
// pinned (taskset) to one CPU and to two: a strict request/answer protocol
// is paced by how fast the kernel wakes each side, which on a VM depends
// mostly on whether both share a CPU; unpinned runs fall either way. Serials are checked at the listener: a lost or repeated
// event is reported. Then the latency from a program entering RUNNING to a
// childutils listener receiving the event, one event at a time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// The same process-tree kill the tests use, so no program is orphaned.
import { killTree } from '../../test/helpers/daemon-cli';
import { tracked } from '../common/children';
import { RpcClient } from '../../src/rpc/client';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc';

const ROOT = process.env.TSV_ROOT ?? resolve(__dirname, '../../../..');
const TSV = join(ROOT, 'build', 'tsv.cjs');
const SUPERVISORD = '/usr/bin/supervisord';
const PY = '/usr/bin/python3';
type Impl = 'tsv' | 'supervisord';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = argv.findIndex((a) => a === name || a.startsWith(name + '='));
  if (i < 0) return dflt;
  const a = argv[i] as string;
  return Number(a.includes('=') ? a.split('=')[1] : argv[i + 1]);
};
const quick = argv.includes('--quick');
const N = opt('--events', quick ? 5000 : 20000);
const ROUNDS = opt('--rounds', quick ? 1 : 3);
const BATCH = 1000;
// e.g. --node-flags=--cpu-prof: flags for the tsv daemon's node
const nodeFlagsArg = argv.find((a) => a.startsWith('--node-flags='));
const nodeFlags = nodeFlagsArg ? nodeFlagsArg.slice('--node-flags='.length).split(' ').filter(Boolean) : [];
// e.g. --case='C listener (raw protocol), two CPUs': only the section of that label (no limits, no latency)
const caseArg = argv.find((a) => a.startsWith('--case='));
const onlyCase = caseArg ? caseArg.slice('--case='.length) : null;
const onlyArg = argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? onlyArg.slice('--only='.length).split(',') : null;
const CLK_TCK = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const env = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  delete e.NODE_EXTRA_CA_CERTS;
  return e;
};

/** user and system CPU of a process, ms */
function cpuMs(pid: number): { user: number; sys: number } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(f[11]) * 1000) / CLK_TCK, sys: (Number(f[12]) * 1000) / CLK_TCK };
}


async function until<T>(probe: () => T | null | Promise<T | null>, ms: number, what: string, every = 5): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

interface Result {
  events: number;
  seconds: number;
  serialErrors: number;
  cpuMs: number;
  sysMs: number;
}

/** CPU placement: unpinned, daemon and listener on one CPU, or on two. */
type Placement = 'any' | 'same' | 'cross';
const CPUS = availableParallelism();
const HAVE_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

function pinned(cmd: string, cpu: number | null): string {
  return cpu === null ? cmd : `taskset -c ${cpu} ${cmd}`;
}

/** Either daemon in the foreground on conf, as both are run here. */
function daemonCommand(impl: Impl, conf: string): string[] {
  return impl === 'tsv' ? [process.execPath, ...nodeFlags, TSV, 'daemon', '-n', '-s', '-c', conf] : [SUPERVISORD, '-n', '-s', '-c', conf];
}

function startDaemon(argv: string[], dir: string): { child: ChildProcess; exited: Promise<void> } {
  const child = tracked(spawn(argv[0] as string, argv.slice(1), { env: env(), stdio: 'ignore', cwd: dir }));
  return { child, exited: new Promise<void>((r) => child.on('exit', () => r())) };
}

/** TERM, then its whole process tree killed if it has not exited within graceMs; its directory removed. */
async function stopDaemon(child: ChildProcess, exited: Promise<void>, dir: string, graceMs: number): Promise<void> {
  if (child.exitCode === null) child.kill('SIGTERM');
  const t = setTimeout(() => killTree(child.pid as number), graceMs);
  await exited;
  clearTimeout(t);
  rmSync(dir, { recursive: true, force: true });
}

/** The [supervisord], socket and RPC sections both daemons run with, in `dir`. */
function daemonConfig(dir: string): string {
  return (
    `[supervisord]\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\nchildlogdir=${dir}\nloglevel=info\n` +
    `[unix_http_server]\nfile=${dir}/s.sock\n` +
    '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n'
  );
}

async function measure(impl: Impl, listenerCmd: string, programs: number, place: Placement): Promise<Result> {
  const daemonCpu = place === 'any' ? null : 0;
  const listenerCpu = place === 'any' ? null : place === 'same' ? 0 : 1;
  const dir = mkdtempSync(join(tmpdir(), `bench-events-${impl}-`));
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    daemonConfig(dir) +
      `[eventlistener:acker]\ncommand=${pinned(listenerCmd, listenerCpu)} ${dir}/go ${dir}/result ${N}\nevents=REMOTE_COMMUNICATION\nbuffer_size=${N + 10}\n` +
      'stdout_logfile=NONE\nstderr_logfile=NONE\n' +
      (programs ? `[program:idle]\ncommand=sleep 1000\nprocess_name=idle%(process_num)d\nnumprocs=${programs}\nstdout_logfile=NONE\nstderr_logfile=NONE\n` : ''),
  );
  const argv0 = daemonCommand(impl, conf);
  const { child, exited } = startDaemon(daemonCpu === null ? argv0 : ['taskset', '-c', String(daemonCpu), ...argv0], dir);
  const rpc = new RpcClient({ serverurl: `unix://${dir}/s.sock` });
  try {
    await until(
      async () => {
        try {
          const infos = (await rpc.call('supervisor.getAllProcessInfo')) as { state: number }[];
          return infos.length === programs + 1 && infos.every((i) => i.state === 20) ? true : null;
        } catch {
          return null;
        }
      },
      30000,
      `${impl}: the listener and the programs RUNNING`,
      20,
    );
    for (let i = 0; i < N; i += BATCH) {
      const calls: XmlRpcValue[] = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) calls.push({ methodName: 'supervisor.sendRemoteCommEvent', params: ['bench', `event ${j}`] });
      await rpc.call('system.multicall', [calls]);
    }
    // every event is accepted once the last multicall has been answered; let the daemon settle
    await sleep(200);
    const cpu0 = cpuMs(child.pid as number);
    writeFileSync(join(dir, 'go'), '');
    // the whole line: the listener may be half-way through writing it
    const complete = (t: string): string | null => (/^\d+ [\d.]+ \d+\n$/.test(t) ? t : null);
    const line = await until(() => (existsSync(join(dir, 'result')) ? complete(readFileSync(join(dir, 'result'), 'utf8')) : null), 600000, `${impl}: ${N} events`, 10);
    const cpu1 = cpuMs(child.pid as number);
    const [events, seconds, errors] = line.trim().split(' ').map(Number) as [number, number, number];
    const user = cpu1.user - cpu0.user;
    const sys = cpu1.sys - cpu0.sys;
    return { events, seconds, serialErrors: errors, cpuMs: user + sys, sysMs: sys };
  } finally {
    rpc.close();
    await stopDaemon(child, exited, dir, 20000);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function bench(label: string, cmd: string, target: number | null, programs = 0, place: Placement = 'any'): Promise<string[]> {
  if (programs) label += `, ${programs} programs`;
  if (place !== 'any') label += place === 'same' ? ', one CPU' : ', two CPUs';
  if (onlyCase !== null && label !== onlyCase) return [];
  console.log(`\n[${label}] ${N} REMOTE_COMMUNICATION events to one listener${programs ? ` in a daemon running ${programs} other programs` : ''}, ${ROUNDS} round(s), median`);
  const rates: Record<Impl, number[]> = { tsv: [], supervisord: [] };
  const cpus: Record<Impl, number[]> = { tsv: [], supervisord: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // alternate which daemon goes first
    const order = (r % 2 ? (['supervisord', 'tsv'] as Impl[]) : (['tsv', 'supervisord'] as Impl[])).filter((i) => !only || only.includes(i));
    for (const impl of order) {
      const res = await measure(impl, cmd, programs, place);
      const rate = res.events / res.seconds;
      rates[impl].push(rate);
      cpus[impl].push((res.cpuMs / res.events) * 1000);
      console.log(
        `  ${impl.padEnd(11)} ${rate.toFixed(0).padStart(7)} events/s  (${res.events} in ${(res.seconds * 1000).toFixed(0)} ms, daemon CPU ${res.cpuMs.toFixed(0)} ms of which system ${res.sysMs.toFixed(0)} ms, serial errors ${res.serialErrors})`,
      );
      if (res.serialErrors) console.log(`  !! ${impl}: ${res.serialErrors} events lost or repeated`);
    }
  }
  if (only) return [];
  const t = median(rates.tsv);
  const s = median(rates.supervisord);
  supervisordRate.set(`${cmd} ${programs} ${place}`, s);
  const ratio = t / s;
  const verdict = target === null ? '' : ratio >= target ? 'ok' : 'MISSED';
  return [
    `| ${label}: events/s | ${t.toFixed(0)} | ${s.toFixed(0)} | ${ratio.toFixed(2)}x | ${target === null ? '' : `>= ${target}x`} | ${verdict} |`,
    `| ${label}: daemon CPU per 1000 events | ${median(cpus.tsv).toFixed(1)} ms | ${median(cpus.supervisord).toFixed(1)} ms | ${(median(cpus.tsv) / median(cpus.supervisord)).toFixed(2)}x | | |`,
  ];
}

const supervisordRate = new Map<string, number>();

/**
 * The machine's limit in one placement: helpers/pingpong.c, the same
 * one-message-each-way exchange between two bare C processes, no daemon.
 * Pinned, it is the highest events/s any daemon could reach there, whatever
 * its language, and is set next to what supervisord reached in the same
 * placement just before.
 */
function machineLimit(pingpong: string, acker: string, place: Placement): string[] {
  if (onlyCase !== null) return [];
  const [a, b] = place === 'any' ? [-1, -1] : place === 'same' ? [0, 0] : [0, 1];
  const where = place === 'any' ? '' : place === 'same' ? ', one CPU' : ', two CPUs';
  // unpinned, the ping-pong and each daemon may each land on one CPU or on two: no common limit
  const sd = place === 'any' ? undefined : supervisordRate.get(`${acker} 0 ${place}`);
  const rows: string[] = [];
  const limits: number[] = [];
  for (const [mode, how] of [
    ['sleep', 'the waiting side asleep (as supervisord waits)'],
    ['spin', 'the waiting side awake (as tsv waits)'],
  ] as const) {
    const rates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const out = spawnSync(pingpong, [String(N), String(a), String(b), mode], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`pingpong failed: ${out.stderr}`);
      rates.push(Number(out.stdout.trim()));
    }
    const limit = median(rates);
    limits.push(limit);
    console.log(`\n[machine limit${where}] C ping-pong, no daemon, ${how}: ${rates.map((x) => x.toFixed(0)).join(', ')} round trips/s`);
    rows.push(`| machine limit${where}: C ping-pong without a daemon, ${how}, round trips/s | ${limit.toFixed(0)} | | | | |`);
  }
  if (sd) rows.push(`| C listener${where}: the most any daemon could reach (best limit / supervisord) | | | ${(Math.max(...limits) / sd).toFixed(2)}x | | |`);
  return rows;
}

/** Main-log time of a line (local time, ms) as epoch seconds. */
function logTime(line: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3})/.exec(line);
  if (!m) return NaN;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as number[];
  return new Date(y as number, (mo as number) - 1, d, h, mi, s, ms).getTime() / 1000;
}

/**
 * From a program entering RUNNING (its `success:` line in the main log) to a
 * childutils listener receiving the PROCESS_STATE_RUNNING event, in a daemon
 * that has nothing else to do: program i has startsecs=2i+1 (3, 5, 7, ...),
 * so the events come two seconds apart, after the listener's own start-up,
 * and each finds the listener idle. Nobody calls the daemon meanwhile
 * (client traffic would wake Supervisor's loop early).
 */
async function latency(impl: Impl, n: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), `bench-events-lat-${impl}-`));
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    daemonConfig(dir) +
      `[eventlistener:stamp]\ncommand=${PY} ${join(ROOT, 'bench', 'events', 'helpers', 'stamp.py')} ${dir}/stamps\nevents=PROCESS_STATE_RUNNING\n` +
      Array.from({ length: n }, (_, i) => `[program:p${i + 1}]\ncommand=sleep 1000\nstartsecs=${2 * i + 3}\n`).join(''),
  );
  const { child, exited } = startDaemon(daemonCommand(impl, conf), dir);
  try {
    const stampsFile = join(dir, 'stamps');
    const read = (): string[] => (existsSync(stampsFile) ? readFileSync(stampsFile, 'utf8').trim().split('\n').filter((l) => / processname:p\d+$/.test(l)) : []);
    await until(() => (read().length >= n ? true : null), (2 * n + 20) * 1000, `${impl}: ${n} RUNNING events`, 50);
    const log = readFileSync(join(dir, 'supervisord.log'), 'utf8').split('\n');
    const out: number[] = [];
    for (const l of read()) {
      const [t, word] = l.split(' ') as [string, string];
      const name = word.slice('processname:'.length);
      const line = log.find((x) => x.includes(`success: ${name} entered RUNNING state`));
      if (line) out.push((Number(t) - logTime(line)) * 1000);
    }
    return out;
  } finally {
    await stopDaemon(child, exited, dir, 30000);
  }
}

async function benchLatency(): Promise<string[]> {
  if (onlyCase !== null) return [];
  const n = quick ? 2 : 6;
  console.log(`\n[latency] ${n} programs with startsecs=3,5,...,${2 * n + 1} in an otherwise idle daemon: success: line in the main log -> PROCESS_STATE_RUNNING at a childutils listener`);
  const res: Record<Impl, number[]> = { tsv: [], supervisord: [] };
  for (const impl of ['tsv', 'supervisord'] as Impl[]) {
    if (only && !only.includes(impl)) continue;
    res[impl] = await latency(impl, n);
    const s = [...res[impl]].sort((a, b) => a - b);
    console.log(`  ${impl.padEnd(11)} median ${median(s).toFixed(1)} ms, max ${(s.at(-1) ?? NaN).toFixed(1)} ms (${s.length} events; log times have 1 ms resolution)`);
  }
  if (only) return [];
  const t = median(res.tsv);
  const s = median(res.supervisord);
  return [`| latency, state change to listener (median) | ${t.toFixed(1)} ms | ${s.toFixed(1)} ms | ${(t / s).toFixed(3)}x | | |`];
}

async function main(): Promise<void> {
  if (!existsSync(TSV)) throw new Error('build first: npm run build');
  if (!existsSync(SUPERVISORD)) throw new Error(`${SUPERVISORD} not found (apt-get install supervisor)`);
  const helperDir = mkdtempSync(join(tmpdir(), 'bench-events-helpers-'));
  try {
    const compile = (name: string): string => {
      const exe = join(helperDir, name);
      const r = spawnSync('cc', ['-O2', '-o', exe, join(ROOT, 'bench', 'events', 'helpers', `${name}.c`)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`cannot compile ${name}.c: ${r.stderr}`);
      return exe;
    };
    const acker = compile('acker');
    const pingpong = compile('pingpong');
    console.log(`bench/events: tsv (node ${process.version}) vs ${SUPERVISORD}${quick ? ' (quick)' : ''}, ${CPUS} CPUs`);
    const pyAcker = `${PY} ${join(ROOT, 'bench', 'events', 'helpers', 'acker.py')}`;
    const pinning = HAVE_TASKSET && !quick;
    const rows = [
      ...(await bench('C listener (raw protocol)', acker, 3)),
      ...(only ? [] : machineLimit(pingpong, acker, 'any')),
      ...(await bench('Python childutils listener', pyAcker, null)),
      ...(await bench('C listener (raw protocol)', acker, null, 100)),
      ...(pinning ? await bench('C listener (raw protocol)', acker, null, 0, 'same') : []),
      ...(pinning && !only ? machineLimit(pingpong, acker, 'same') : []),
      ...(pinning && CPUS > 1 ? await bench('C listener (raw protocol)', acker, null, 0, 'cross') : []),
      ...(pinning && CPUS > 1 && !only ? machineLimit(pingpong, acker, 'cross') : []),
      ...(pinning ? await bench('Python childutils listener', pyAcker, null, 0, 'same') : []),
      ...(pinning && CPUS > 1 ? await bench('Python childutils listener', pyAcker, null, 0, 'cross') : []),
      ...(await benchLatency()),
    ];
    console.log('\n| measurement | tsv | supervisord | tsv/sd | target | |');
    console.log('|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
  } finally {
    rmSync(helperDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
