// Client-side speed of `tsv ctl` against Supervisor's supervisorctl, both
// talking to the real supervisord with 200 programs, in one run:
//   - `status` wall time (median of N alternating runs) and the ratio;
//   - the server's share (the getVersion + getAllProcessInfo round trips,
//     timed in-process), so the client-side cost of each can be compared;
//   - start-up alone (`-h`, no server);
//   - XML-RPC encode/decode of the 200-process getAllProcessInfo response.
// Usage: npm run build && node build/js/bench/ctl/ctl-client.js [runs=20]
// NODE_EXTRA_CA_CERTS is removed from the children's environment (it costs
// node ~55 ms per start); run this script itself with it unset too.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RpcClient } from '../../src/rpc/client';
import { decodeMethodResponse, encodeMethodResponse } from '../../src/rpc/xmlrpc';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc';

const ROOT = resolve(__dirname, '../../../..');
const RUNS = Number(process.argv[2] ?? 20);
const NPROCS = 200;

const env: NodeJS.ProcessEnv = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const cpuSamples = new Map<string, number[]>();

/** Wall time of one run; its CPU time (user+sys, via /usr/bin/time) is kept under `key`. */
function timeRun(argv: string[], cwd: string, key?: string): number {
  const timeFile = join(cwd, 'time.out');
  const useTime = key !== undefined && existsSync('/usr/bin/time');
  const full = useTime ? ['/usr/bin/time', '-f', '%U %S', '-o', timeFile, ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(full[0] as string, full.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const t = performance.now() - t0;
  if (r.status !== 0 && r.status !== 3) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  if (useTime) {
    const [u, s] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
    const list = cpuSamples.get(key) ?? [];
    list.push(((u ?? 0) + (s ?? 0)) * 1000);
    cpuSamples.set(key, list);
  }
  return t;
}

async function main(): Promise<void> {
  if (process.env.NODE_EXTRA_CA_CERTS) console.log('note: NODE_EXTRA_CA_CERTS is set for this process (children run without it)');
  const dir = mkdtempSync(join(tmpdir(), 'tsv-bench-ctl-'));
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    `[unix_http_server]
file=%(here)s/supervisor.sock
[supervisord]
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://%(here)s/supervisor.sock
[program:p]
command=/bin/sleep 100000
process_name=%(program_name)s_%(process_num)03d
numprocs=${NPROCS}
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
`,
  );
  const daemon = spawn('/usr/bin/supervisord', ['-n', '-c', conf], { env, stdio: 'ignore' });
  const rpc = new RpcClient({ serverurl: `unix://${join(dir, 'supervisor.sock')}` });
  try {
    // Wait until all programs run (state 20), polling the daemon.
    for (let i = 0; ; i++) {
      try {
        const infos = (await rpc.call('supervisor.getAllProcessInfo')) as Array<{ state: number }>;
        if (infos.length === NPROCS && infos.every((x) => x.state === 20)) break;
      } catch {
        // not up yet
      }
      if (i > 400) throw new Error('supervisord did not start its programs');
      await new Promise((r) => setTimeout(r, 50));
    }

    const py = ['/usr/bin/supervisorctl', '-c', conf, 'status'];
    const ts = [process.execPath, join(ROOT, 'build/tsv.cjs'), 'ctl', '-c', conf, 'status'];
    for (let i = 0; i < 3; i++) {
      timeRun(py, dir);
      timeRun(ts, dir);
    }
    const pyT: number[] = [];
    const tsT: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      pyT.push(timeRun(py, dir, 'py'));
      tsT.push(timeRun(ts, dir, 'ts'));
    }

    // The server's share: what both clients wait for (fresh connection each time, as each CLI run has).
    const serverT: number[] = [];
    let body = '';
    for (let i = 0; i < RUNS; i++) {
      const c = new RpcClient({ serverurl: `unix://${join(dir, 'supervisor.sock')}` });
      const t0 = performance.now();
      await c.call('supervisor.getVersion');
      const infos = await c.call('supervisor.getAllProcessInfo');
      serverT.push(performance.now() - t0);
      c.close();
      body = encodeMethodResponse(infos);
    }

    const pyH: number[] = [];
    const tsH: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      pyH.push(timeRun(['/usr/bin/supervisorctl', '-h'], dir));
      tsH.push(timeRun([process.execPath, join(ROOT, 'build/tsv.cjs'), 'ctl', '-h'], dir));
    }

    // Codec on the same 200-process response.
    let value: XmlRpcValue = [];
    const dec: number[] = [];
    const enc: number[] = [];
    for (let i = 0; i < 60; i++) {
      const t0 = performance.now();
      const d = decodeMethodResponse(body);
      const t1 = performance.now();
      if (d.kind === 'result') value = d.value;
      encodeMethodResponse(value);
      const t2 = performance.now();
      if (i >= 10) {
        dec.push(t1 - t0);
        enc.push(t2 - t1);
      }
    }
    const pyCodec = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys,time,xmlrpc.client as x\nb=sys.stdin.read()\nv=x.loads(b)[0][0]\nt=time.perf_counter()\nfor i in range(50): x.loads(b)\nd=(time.perf_counter()-t)*20\nt=time.perf_counter()\nfor i in range(50): x.dumps((v,),methodresponse=True)\nprint("%.2f %.2f"%(d,(time.perf_counter()-t)*20))',
      ],
      { input: body, encoding: 'utf8' },
    ).stdout.trim();

    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`(load average ${load} on ${cpus().length} CPUs)`);
    const mPy = median(pyT);
    const mTs = median(tsT);
    const mServer = median(serverT);
    const f = (n: number): string => n.toFixed(1).padStart(7);
    console.log(`ctl status, ${NPROCS} programs, real supervisord, median of ${RUNS} (ms)`);
    console.log(`  supervisorctl status      ${f(mPy)}`);
    console.log(`  tsv ctl status            ${f(mTs)}   ratio ${(mTs / mPy).toFixed(2)}x`);
    console.log(`  server share (in-process) ${f(mServer)}   (getVersion + getAllProcessInfo over a new connection)`);
    console.log(
      `  client side (wall - server): supervisorctl ${f(mPy - mServer)}, tsv ctl ${f(mTs - mServer)}   ratio ${((mTs - mServer) / (mPy - mServer)).toFixed(2)}x`,
    );
    const pyCpu = cpuSamples.get('py');
    const tsCpu = cpuSamples.get('ts');
    if (pyCpu && tsCpu) {
      // CPU time is steadier than wall time on a busy machine (/usr/bin/time has 10 ms resolution).
      console.log(`  CPU (user+sys) of the client: supervisorctl ${f(median(pyCpu))}, tsv ctl ${f(median(tsCpu))}   ratio ${(median(tsCpu) / median(pyCpu)).toFixed(2)}x`);
    }
    console.log(`start-up only (-h), median of ${RUNS} (ms)`);
    console.log(`  supervisorctl -h          ${f(median(pyH))}`);
    console.log(`  tsv ctl -h                ${f(median(tsH))}   ratio ${(median(tsH) / median(pyH)).toFixed(2)}x`);
    const [pyDec, pyEnc] = pyCodec.split(' ');
    console.log(`XML-RPC codec, getAllProcessInfo response of ${NPROCS} processes (${body.length} bytes), median (ms)`);
    console.log(`  decode: tsv ${median(dec).toFixed(2)}   python xmlrpc.client ${pyDec ?? '?'}`);
    console.log(`  encode: tsv ${median(enc).toFixed(2)}   python xmlrpc.client ${pyEnc ?? '?'}`);
  } finally {
    rpc.close();
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
