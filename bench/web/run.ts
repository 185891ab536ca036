// bench/web: the web page, tsv daemon and the real supervisord in one run.
//
//   npm run build && node build/js/bench/web/run.js [--programs 100,1000] [--loads 20]
//
// For each number of programs, each daemon (one at a time, the same config in
// a temp dir, -n, an [inet_http_server] on a free port) runs that many
// `sleep` programs; once all are RUNNING: the status page (GET /) loaded
// `--loads` times in a row (median and slowest, bytes), then a Stop and a
// Start clicked for one program (GET index.html?processname=p0&action=…,
// until the 301 arrives), five times each. Prints tsv/supervisord ratios.
import { request } from 'node:http';
import { arg, median, sideBySide, startSleepers, type Impl } from '../common/sleepers';

const PROGRAMS = arg('--programs', '100,1000').split(',').map(Number);
const LOADS = Number(arg('--loads', '20'));

function get(port: number, path: string): Promise<{ status: number; ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (r) => {
      let bytes = 0;
      r.on('data', (c: Buffer) => (bytes += c.length));
      r.on('end', () => res({ status: r.statusCode ?? 0, ms: performance.now() - t0, bytes }));
    });
    req.on('error', rej);
    req.end();
  });
}

interface Result {
  pageMs: number;
  pageMaxMs: number;
  bytes: number;
  stopMs: number;
  startMs: number;
}

async function measure(impl: Impl, programs: number): Promise<Result> {
  const { port, close } = await startSleepers(impl, programs, 'web');
  try {
    const loads = [];
    let bytes = 0;
    for (let i = 0; i < LOADS; i++) {
      const r = await get(port, '/');
      if (r.status !== 200) throw new Error(`${impl}: GET / answered ${r.status}`);
      loads.push(r.ms);
      bytes = r.bytes;
    }
    const stops = [];
    const starts = [];
    for (let i = 0; i < 5; i++) {
      const s = await get(port, '/index.html?processname=p0&action=stop');
      const g = await get(port, '/index.html?processname=p0&action=start');
      if (s.status !== 301 || g.status !== 301) throw new Error(`${impl}: actions answered ${s.status} ${g.status}`);
      stops.push(s.ms);
      starts.push(g.ms);
    }
    return { pageMs: median(loads), pageMaxMs: Math.max(...loads), bytes, stopMs: median(stops), startMs: median(starts) };
  } finally {
    close();
  }
}

async function main(): Promise<void> {
  console.log(`bench/web: GET / ${LOADS} times, then Stop and Start 5 times each (medians)\n`);
  console.log('programs  daemon       page ms (max)      bytes   stop ms  start ms');
  await sideBySide(
    PROGRAMS,
    measure,
    (x) => `${x.pageMs.toFixed(1).padStart(8)} (${x.pageMaxMs.toFixed(1).padStart(7)}) ${String(x.bytes).padStart(9)} ${x.stopMs.toFixed(1).padStart(8)} ${x.startMs.toFixed(1).padStart(9)}`,
    (a, b) => `page ${(a.pageMs / b.pageMs).toFixed(3)}x, stop ${(a.stopMs / b.stopMs).toFixed(3)}x, start ${(a.startMs / b.startMs).toFixed(3)}x`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
