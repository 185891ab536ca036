// bench/config: parse and expand a config of 1,000 programs spread over 100
// included files, with tsv and with Python Supervisor, in the same run.
// Prints medians and the ratio (target: tsv at most 0.25x Supervisor).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config/load';

const RUNS = Number(process.env.RUNS ?? 9);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function makeTree(dir: string): string {
  mkdirSync(join(dir, 'conf.d'));
  mkdirSync(join(dir, 'logs'));
  const main = join(dir, 'supervisord.conf');
  writeFileSync(
    main,
    `[unix_http_server]\nfile=%(here)s/s.sock\n[supervisord]\nlogfile=%(here)s/d.log\npidfile=%(here)s/d.pid\n` +
      `childlogdir=%(here)s/logs\nenvironment=APP_ENV="production",REGION="eu"\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
      `[supervisorctl]\nserverurl=unix://%(here)s/s.sock\n[include]\nfiles = conf.d/*.conf\n`,
  );
  for (let f = 0; f < 100; f++) {
    let text = `; file ${f}\n`;
    for (let p = 0; p < 10; p++) {
      const n = f * 10 + p;
      text +=
        `[program:app${n}]\n` +
        `command = /usr/bin/python3 -m http.server %(process_num)d --bind 127.0.0.1 ; serve\n` +
        `process_name = %(program_name)s\n` +
        `directory = %(here)s\n` +
        `priority = ${100 + (n % 50)}\n` +
        `autostart = ${n % 2 ? 'true' : 'false'}\n` +
        `autorestart = unexpected\n` +
        `startsecs = 1\nstartretries = 3\nexitcodes = 0,2\nstopsignal = TERM\nstopwaitsecs = 10\n` +
        `stdout_logfile = %(here)s/app${n}.log\nstdout_logfile_maxbytes = 10MB\nstdout_logfile_backups = 5\n` +
        `redirect_stderr = true\n` +
        `environment = PORT="${8000 + n}",NAME="%(program_name)s",ENV="%(ENV_APP_ENV)s"\n\n`;
    }
    if (f % 10 === 0) text += `[group:g${f}]\nprograms = app${f * 10},app${f * 10 + 1}\npriority = 50\n`;
    writeFileSync(join(dir, 'conf.d', `part${String(f).padStart(3, '0')}.conf`), text);
  }
  return main;
}

const PY = `
import sys, time, json
from supervisor.options import ServerOptions
path, runs = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(runs):
    o = ServerOptions()
    o.configfile = path
    t = time.perf_counter()
    o.process_config(do_usage=False)
    times.append((time.perf_counter() - t) * 1000)
    n = sum(len(g.process_configs) for g in o.process_group_configs)
print(json.dumps({"times": times, "processes": n}))
`;

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-bench-config-'));
  try {
    const file = makeTree(dir);
    const py = spawnSync('/usr/bin/python3', ['-c', PY, file, String(RUNS)], { encoding: 'utf8', cwd: dir });
    if (py.status !== 0) throw new Error(`python failed: ${py.stderr}`);
    const pyRes = JSON.parse(py.stdout) as { times: number[]; processes: number };

    const tsvTimes: number[] = [];
    let processes = 0;
    loadConfig({ file, cwd: dir }); // warm-up: JIT and file cache, as Python's second run has
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const { config } = loadConfig({ file, cwd: dir });
      tsvTimes.push(performance.now() - t);
      processes = config.groups.reduce((s, g) => s + g.processes.length, 0);
    }
    if (processes !== pyRes.processes) throw new Error(`process count differs: tsv ${processes}, supervisor ${pyRes.processes}`);

    // Whole commands, start-up included: what a user waits for.
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const wall = (cmd: string, args: string[]): number => {
      const xs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const r = spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8' });
        xs.push(performance.now() - t);
        if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
      }
      return median(xs);
    };
    const root = join(__dirname, '../../../..');
    const tsvWall = wall(process.execPath, [join(root, 'build/tsv.cjs'), 'config', 'check', '-c', file]);
    const pyWall = wall('/usr/bin/python3', ['-c', PY, file, '1']);

    const t = median(tsvTimes);
    const p = median(pyRes.times);
    console.log(`bench/config: ${processes} processes in 100 included files, median of ${RUNS}`);
    console.log(`  parse+expand   tsv ${t.toFixed(1)} ms   supervisor ${p.toFixed(1)} ms   ratio ${(t / p).toFixed(3)}  (target <= 0.25)`);
    console.log(`  whole command  tsv config check ${tsvWall.toFixed(0)} ms   python parse ${pyWall.toFixed(0)} ms   ratio ${(tsvWall / pyWall).toFixed(3)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main();
