// bench/metrics: what a Prometheus scrape costs, tsv's own /metrics against
// the way Supervisor users get metrics today (node_exporter's supervisord
// collector, which calls getAllProcessInfo on supervisord), in one run.
//
//   npm run build && node build/js/bench/metrics/run.js [--programs 100,1000] [--scrapes 20]
//
// For each number of programs, each daemon in turn (the same config in a temp
// dir, -n, `sleep` programs, an [inet_http_server] on a free port): once all
// are RUNNING, --scrapes scrapes one after another (of tsv's /metrics; of
// node_exporter, started beside supervisord), while another client asks
// /ok.html of the daemon every millisecond. Prints the median and slowest
// scrape (asking for gzip, as Prometheus does), the CPU each scrape cost the daemon (and node_exporter), the
// longest /ok.html answer during the scrapes (how long the daemon stopped
// answering anything else), the number of samples, and tsv/supervisord ratios.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { killTree } from '../../test/helpers/daemon-cli';
import { freePort } from '../../test/helpers/common';
import { tracked } from '../common/children';
import { arg, median, sideBySide, startSleepers, type Impl } from '../common/sleepers';
import { procTimes } from '../../src/daemon/proc-stat';

const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const PROGRAMS = arg('--programs', '100,1000').split(',').map(Number);
const SCRAPES = Number(arg('--scrapes', '20'));

/** A GET; `gzip` asks for it as Prometheus does on every scrape (node_exporter and tsv both answer it) and unpacks the answer. */
function get(port: number, path: string, agent?: Agent, gzip = false): Promise<{ status: number; ms: number; body: string; wireBytes: number }> {
  const t0 = performance.now();
  return new Promise((res, rej) => {
    const headers = gzip ? { 'Accept-Encoding': 'gzip' } : {};
    const req = request({ host: '127.0.0.1', port, path, agent: agent ?? false, headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = (r.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
        res({ status: r.statusCode ?? 0, ms: performance.now() - t0, body, wireBytes: raw.length });
      });
    });
    req.on('error', rej);
    req.end();
  });
}

/** user + system CPU of a process so far, in ms (clock ticks of 10 ms). */
const cpuMs = (pid: number): number => (procTimes(pid)?.ticks ?? 0) * 10;

interface Result {
  scrapeMs: number;
  scrapeMaxMs: number;
  cpuMsPerScrape: number;
  stallMs: number;
  samples: number;
  /** bytes of one scrape's answer as sent, gzipped */
  wireBytes: number;
}

async function measure(impl: Impl, programs: number): Promise<Result> {
  const { dir, port, child: daemon, close } = await startSleepers(impl, programs, 'metrics');
  let exporter: ChildProcess | null = null;
  try {
    let scrapePort = port;
    const path = '/metrics';
    if (impl === 'supervisord') {
      scrapePort = await freePort();
      exporter = tracked(
        spawn(
          NODE_EXPORTER,
          ['--collector.disable-defaults', '--collector.supervisord', `--collector.supervisord.url=unix://${dir}/s.sock`, `--web.listen-address=127.0.0.1:${scrapePort}`],
          { stdio: 'ignore' },
        ),
      );
      for (let t = 0; ; t++) {
        if (t > 200) throw new Error('node_exporter did not answer');
        const ok = await get(scrapePort, '/metrics').then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await get(scrapePort, path, undefined, true); // the first scrape compiles what it runs
    // /ok.html every millisecond on a kept-alive connection: the longest answer during the scrapes
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let pinging = true;
    let stall = 0;
    const pinger = (async (): Promise<void> => {
      while (pinging) {
        const r = await get(port, '/ok.html', agent);
        stall = Math.max(stall, r.ms);
        await new Promise((res) => setTimeout(res, 1));
      }
    })();
    const pids = [daemon.pid as number, ...(exporter ? [exporter.pid as number] : [])];
    const cpu0 = pids.reduce((s, p) => s + cpuMs(p), 0);
    const times: number[] = [];
    let samples = 0;
    let wireBytes = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const r = await get(scrapePort, path, undefined, true);
      if (r.status !== 200) throw new Error(`${impl}: scrape answered ${r.status}`);
      times.push(r.ms);
      wireBytes = r.wireBytes;
      samples = r.body.split('\n').filter((l) => l && !l.startsWith('#') && (l.startsWith('tsv_program_') || l.startsWith('node_supervisord_'))).length;
    }
    const cpu1 = pids.reduce((s, p) => s + cpuMs(p), 0);
    pinging = false;
    await pinger;
    agent.destroy();
    return { scrapeMs: median(times), scrapeMaxMs: Math.max(...times), cpuMsPerScrape: (cpu1 - cpu0) / SCRAPES, stallMs: stall, samples, wireBytes };
  } finally {
    if (exporter) killTree(exporter.pid as number);
    close();
  }
}

async function main(): Promise<void> {
  if (!existsSync(NODE_EXPORTER)) throw new Error(`${NODE_EXPORTER} is needed (apt-get install prometheus-node-exporter)`);
  console.log(`bench/metrics: ${SCRAPES} scrapes in a row; supervisord through node_exporter's supervisord collector (medians)\n`);
  console.log('programs  daemon       scrape ms (max)   CPU ms/scrape  longest /ok.html ms  program samples  gzipped KB');
  await sideBySide(
    PROGRAMS,
    measure,
    (x) =>
      `${x.scrapeMs.toFixed(1).padStart(8)} (${x.scrapeMaxMs.toFixed(1).padStart(6)}) ${x.cpuMsPerScrape.toFixed(1).padStart(14)} ${x.stallMs.toFixed(1).padStart(20)} ${String(x.samples).padStart(16)} ${(x.wireBytes / 1000).toFixed(0).padStart(11)}`,
    (a, b) => `scrape ${(a.scrapeMs / b.scrapeMs).toFixed(2)}x, CPU ${(a.cpuMsPerScrape / b.cpuMsPerScrape).toFixed(2)}x, longest /ok.html ${(a.stallMs / b.stallMs).toFixed(2)}x`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
