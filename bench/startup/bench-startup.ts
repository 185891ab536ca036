// bench/startup: start-up time of the single-executable tsv next to
// Supervisor's supervisorctl, in one run against one running daemon.
//
//   node build/js/bench/startup/bench-startup.js [--bin dist/tsv-linux-x64] [--runs 20] [--profile]
//
// Times `tsv --version`, `tsv status` and `supervisorctl status` (wall clock
// of the whole process, median of RUNS, and CPU time) and prints ratios. The daemon is the real
// /usr/bin/supervisord with a temporary config (tsv's ctl speaks its
// protocol); both ctls find that config as ./supervisord.conf. Target: at most
// 40 ms for each tsv command on x64. NODE_EXTRA_CA_CERTS is removed from the
// environment: it costs Node 20 about 55 ms per start and is not what users
// have. --profile adds a CPU profile of each tsv command, attributed to the
// bundle's source modules (from the bundle scripts/dist.mjs keeps in its cache).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';

const root = process.env.TSV_ROOT ?? resolve(__dirname, '../../../..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const RUNS = Number(arg('--runs') ?? process.env.RUNS ?? 20);
const WARMUP = 3;
const TARGET_MS = 40;
const bin = resolve(arg('--bin') ?? join(root, 'dist', `tsv-linux-${process.arch}`));

const env: NodeJS.ProcessEnv = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
delete env.NODE_OPTIONS;

interface Case {
  label: string;
  argv: string[];
}

function fmt(ms: number, width = 8): string {
  return `${ms.toFixed(1)}ms`.padStart(width);
}

function stats(xs: number[]): { median: number; min: number; p90: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], p90: s[Math.min(s.length - 1, Math.floor(s.length * 0.9))] };
}

// The timing loop runs in Python: os.wait4 gives each child's CPU time
// (user + system) next to its wall time, and CPU time is what a busy machine
// distorts least. Rounds are interleaved so load changes hit every command alike.
const TIMER_PY = `
import json, os, sys, time
spec = json.load(sys.stdin)
os.chdir(spec['cwd'])
res = [{'wall': [], 'cpu': []} for _ in spec['cases']]
for r in range(spec['warmup'] + spec['rounds']):
    for i, argv in enumerate(spec['cases']):
        rd, wr = os.pipe()
        t = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, spec['env'], file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, wr, 1), (os.POSIX_SPAWN_DUP2, wr, 2)])
        os.close(wr)
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t
        out = b''
        while True:
            chunk = os.read(rd, 65536)
            if not chunk:
                break
            out += chunk
        os.close(rd)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit('%s exited %d: %s' % (' '.join(argv), code, out.decode(errors='replace')))
        if r >= spec['warmup']:
            res[i]['wall'].append(wall * 1000)
            res[i]['cpu'].append((ru.ru_utime + ru.ru_stime) * 1000)
print(json.dumps(res))
`;

function timeAll(cases: Case[], cwd: string): { wall: number[]; cpu: number[] }[] {
  const spec = { cwd, env, cases: cases.map((c) => c.argv), rounds: RUNS, warmup: WARMUP };
  const r = spawnSync('/usr/bin/python3', ['-c', TIMER_PY], { input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`timing failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as { wall: number[]; cpu: number[] }[];
}

function socketUp(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

async function startSupervisord(dir: string): Promise<void> {
  writeFileSync(
    join(dir, 'supervisord.conf'),
    `[unix_http_server]\nfile=%(here)s/s.sock\n[supervisord]\nlogfile=%(here)s/d.log\npidfile=%(here)s/d.pid\nchildlogdir=%(here)s\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
      `[supervisorctl]\nserverurl=unix://%(here)s/s.sock\n` +
      `[program:sleeper]\ncommand=/bin/sleep 100000\nstartsecs=0\n`,
  );
  const r = spawnSync('/usr/bin/supervisord', ['-c', join(dir, 'supervisord.conf')], { env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`supervisord did not start (exit ${r.status})`);
  // supervisord daemonizes before it listens: wait for the socket to answer.
  const deadline = Date.now() + 10_000;
  while (!(await socketUp(join(dir, 's.sock')))) {
    if (Date.now() > deadline) throw new Error('supervisord socket never came up');
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function stopSupervisord(dir: string): Promise<void> {
  let pid = 0;
  try {
    pid = Number(readFileSync(join(dir, 'd.pid'), 'utf8'));
  } catch {
    return;
  }
  spawnSync('/usr/bin/supervisorctl', ['-c', join(dir, 'supervisord.conf'), 'shutdown'], { env, stdio: 'ignore' });
  // It exits after it has stopped its children; wait so the temp dir is not removed under it.
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Per source module of the bundle: CPU time of samples whose innermost bundle frame is in it. */
function profile(c: Case, cwd: string, bundle: string, runs: number): void {
  const lines = readFileSync(bundle, 'utf8').split('\n');
  const moduleAt: string[] = [];
  let cur = '(bundle runtime)';
  lines.forEach((l, i) => {
    const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(l);
    if (m) cur = m[1];
    moduleAt[i] = cur;
  });
  const dir = mkdtempSync(join(tmpdir(), 'tsv-prof-'));
  try {
    for (let i = 0; i < runs; i++) {
      spawnSync(c.argv[0], c.argv.slice(1), { cwd, env: { ...env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=200` }, stdio: 'ignore' });
    }
    interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
    const by = new Map<string, number>();
    let total = 0;
    const files = readdirSync(dir);
    for (const f of files) {
      const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
      const node = new Map(p.nodes.map((n) => [n.id, n]));
      const parent = new Map<number, number>();
      for (const n of p.nodes) for (const ch of n.children ?? []) parent.set(ch, n.id);
      p.samples.forEach((id, i) => {
        const dt = p.timeDeltas[i];
        total += dt;
        let key: string | null = null;
        for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
          const cf = node.get(x)!.callFrame;
          // The injected script keeps the path scripts/dist.mjs bundled it to.
          if (cf.url.endsWith('tsv-sea.cjs')) {
            key = moduleAt[cf.lineNumber] ?? '?';
            break;
          }
        }
        const leaf = node.get(id)!.callFrame;
        key ??= leaf.functionName.startsWith('(') ? leaf.functionName : 'node itself (bootstrap, builtins)';
        by.set(key, (by.get(key) ?? 0) + dt);
      });
    }
    const n = files.length;
    console.log(`\nprofile of ${c.label} (${n} runs, ms per run under the profiler, which slows everything):`);
    for (const [k, us] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${(us / 1000 / n).toFixed(2).padStart(6)}  ${k}`);
    console.log(`  ${(total / 1000 / n).toFixed(2).padStart(6)}  total`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!existsSync(bin)) {
    console.error(`bench/startup: ${bin} does not exist; run \`make dist\` (or node scripts/dist.mjs --arch ${process.arch}) first`);
    process.exitCode = 2;
    return;
  }
  if (!existsSync('/usr/bin/supervisorctl')) {
    console.error('bench/startup: /usr/bin/supervisorctl is missing (apt-get install supervisor)');
    process.exitCode = 2;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tsv-bench-startup-'));
  try {
    await startSupervisord(dir);
    const cases: Case[] = [
      { label: 'tsv --version', argv: [bin, '--version'] },
      { label: 'tsv status', argv: [bin, 'status'] },
      { label: 'supervisorctl status', argv: ['/usr/bin/supervisorctl', 'status'] },
    ];
    const times = timeAll(cases, dir);
    const wall = times.map((t) => stats(t.wall));
    const cpu = times.map((t) => stats(t.cpu));
    console.log(`start-up, ${RUNS} interleaved runs each (after ${WARMUP} warm-up rounds), ${bin}`);
    console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} CPUs${loadavg()[0] > cpus().length / 2 ? ' (busy machine: wall times are inflated; CPU times less so)' : ''}`);
    console.log(`${'command'.padEnd(22)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'p90'.padStart(8)} ${'CPU med'.padStart(9)}`);
    cases.forEach((c, i) => {
      const w = wall[i];
      console.log(`${c.label.padEnd(22)} ${fmt(w.median)} ${fmt(w.min)} ${fmt(w.p90)} ${fmt(cpu[i].median, 9)}`);
    });
    const [ver, st, sctl] = wall;
    console.log(`ratio tsv status / supervisorctl status: ${(st.median / sctl.median).toFixed(2)}x (CPU ${(cpu[1].median / cpu[2].median).toFixed(2)}x)`);
    console.log(`ratio tsv --version / supervisorctl status: ${(ver.median / sctl.median).toFixed(2)}x (CPU ${(cpu[0].median / cpu[2].median).toFixed(2)}x)`);
    for (const [label, s] of [['tsv --version', ver], ['tsv status', st]] as const) {
      console.log(`target ${label} <= ${TARGET_MS} ms: ${s.median <= TARGET_MS ? 'met' : 'MISSED'} (median ${s.median.toFixed(1)} ms)`);
    }
    if (process.argv.includes('--profile')) {
      const bundle = join(process.env.TSV_DIST_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tsv-dist'), 'work', process.arch, 'tsv-sea.cjs');
      if (!existsSync(bundle)) console.log(`\n(no profile: ${bundle} is missing; it is left there by scripts/dist.mjs)`);
      else for (const c of cases.slice(0, 2)) profile(c, dir, bundle, 10);
    }
  } finally {
    await stopSupervisord(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench/startup: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
