// /metrics (tsv only): the daemon and its programs in Prometheus's text
// format, checked with the real promtool and scraped by a real Prometheus
// server (Debian's prometheus package); every count is compared with what the
// main log says happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { TSV, cleanEnv, killTree, poll, until } from './helpers/daemon-cli';
import { TempDir, withTimeout } from './helpers/daemon-env';
import { PY, oracleSkip, startDaemon, waitUp, type Daemon, type Impl } from './helpers/events-env';
import { freePort } from './helpers/common';
import { Exposition, labelText, withLabel } from '../src/metrics/exposition';

const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';
const promSkip = existsSync(PROMTOOL) && existsSync(PROMETHEUS) ? false : "needs Debian's prometheus package (promtool and prometheus)";

const STATES = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'UNKNOWN'];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  raw: Buffer;
}

function get(opts: { port?: number; socketPath?: string; auth?: string; method?: string; headers?: Record<string, string> }, path = '/metrics'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', ...opts, path, method: opts.method ?? 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sample lines as `name{labels}` to value; labels in the order written. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

function promtool(text: string): { code: number | null; out: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const count = (log: string, re: RegExp): number => log.split('\n').filter((l) => re.test(l)).length;

test('exposition: label values and help escaped as the text format wants; families without samples left out', async () => {
  assert.equal(labelText({ group: 'a"b', name: 'c\\d\ne' }), 'group="a\\"b",name="c\\\\d\\ne"');
  assert.equal(withLabel('', 'x="1"'), 'x="1"');
  assert.equal(withLabel('a="1"', ''), 'a="1"');
  const e = new Exposition();
  await e.add(
    [
      { name: 'm_total', help: 'back\\slash\nline', type: 'counter', samples: (r: number, emit) => emit(labelText({ n: String(r) }), r) },
      { name: 'none', help: 'never', type: 'gauge', samples: (_r: number, emit) => emit('', null) },
      { name: 'odd', help: 'odd', type: 'gauge', samples: (r: number, emit) => emit('', r === 1 ? Infinity : NaN) },
    ],
    [1, 2],
    1,
  );
  assert.equal(
    e.text(),
    '# HELP m_total back\\\\slash\\nline\n# TYPE m_total counter\nm_total{n="1"} 1\nm_total{n="2"} 2\n# HELP odd odd\n# TYPE odd gauge\nodd +Inf\nodd NaN\n',
  );
});

// busy: a core; crash: ends 3 after 0.2 s, for ever; missing: no such command;
// done: exits 0 once (expected); mem: 50 MiB in a child and an orphan left in
// its group; off: never started; and a name the label escaping must carry.
const BODY = (port: number): string =>
  `[inet_http_server]\nport=127.0.0.1:${port}\nusername=scraper\npassword=s3cret\n` +
  '[program:busy]\ncommand=/bin/sh -c "while :; do :; done"\nstartsecs=0\nautorestart=true\n' +
  '[program:crash]\ncommand=/bin/sh -c "sleep 0.2; exit 3"\nstartsecs=0\nautorestart=unexpected\n' +
  '[program:missing]\ncommand=/nonexistent/program\nstartretries=1\n' +
  '[program:done]\ncommand=/bin/true\nstartsecs=0\nautorestart=false\n' +
  `[program:mem]\ncommand=/bin/sh -c '${PY} -c "b = b\\"x\\" * (50 << 20); import time; time.sleep(300)" & (sleep 300 &); exec sleep 300'\nstartsecs=0\nstopasgroup=true\n` +
  '[program:off]\ncommand=/bin/sleep 300\nautostart=false\n' +
  '[program:we"ird\\name]\ncommand=/bin/sleep 300\nstartsecs=0\n' +
  // a worker orphaned in the program's group burns a core for 1.5 s, then ends where nobody in the tree reaps it
  `[program:burst]\ncommand=/bin/sh -c '(${PY} -c "import time; t = time.time() + 1.5; [0 for _ in iter(lambda: time.time() < t, False)]" &); exec sleep 300'\nstartsecs=0\nautostart=false\n` +
  '[group:g]\nprograms=mem\n';

const key = (metric: string, group: string, name: string, extra = ''): string => `${metric}{${withLabel(labelText({ group, name }), extra)}}`;

async function scrape(port: number): Promise<{ text: string; values: Map<string, number> }> {
  const a = await get({ port, auth: 'scraper:s3cret' });
  assert.equal(a.status, 200, a.body);
  return { text: a.body, values: samples(a.body) };
}

function ctl(d: Daemon, ...args: string[]): string {
  const r = spawnSync(process.execPath, [TSV, 'ctl', '-c', d.conf, ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 20000 });
  return r.stdout + r.stderr;
}

test('/metrics: states, starts, failures and exits as the main log tells them, memory, processes and CPU of each program; promtool accepts it', { skip: promSkip }, async () => {
  const port = await freePort();
  const d = startDaemon('tsv', BODY(port));
  try {
    await waitUp(d);
    // crash has ended unexpectedly a few times, missing has given up, mem holds its memory and its three processes
    let values = new Map<string, number>();
    await poll(
      async () => {
        values = (await scrape(port)).values;
        const ok =
          (values.get(key('tsv_program_exits_total', 'crash', 'crash', 'expected="false"')) ?? 0) >= 3 &&
          values.get(key('tsv_program_state', 'missing', 'missing', 'state="FATAL"')) === 1 &&
          values.get(key('tsv_program_state', 'done', 'done', 'state="EXITED"')) === 1 &&
          (values.get(key('tsv_program_resident_memory_bytes', 'g', 'mem')) ?? 0) > 50 * 1024 * 1024 &&
          values.get(key('tsv_program_processes', 'g', 'mem')) === 3;
        return ok ? true : undefined;
      },
      'the programs to settle',
      30000,
      200,
    );
    ctl(d, 'stop', 'crash');

    const { text, values: v } = await scrape(port);
    const lint = promtool(text);
    assert.equal(lint.code, 0, lint.out);

    // exactly one state per program, the one `status` shows
    const status = ctl(d, 'status');
    for (const [group, name] of [
      ['busy', 'busy'],
      ['crash', 'crash'],
      ['missing', 'missing'],
      ['done', 'done'],
      ['g', 'mem'],
      ['off', 'off'],
      ['we"ird\\name', 'we"ird\\name'],
      ['burst', 'burst'],
    ] as const) {
      const on = STATES.filter((s) => v.get(key('tsv_program_state', group, name, `state="${s}"`)) === 1);
      const off = STATES.filter((s) => v.get(key('tsv_program_state', group, name, `state="${s}"`)) === 0);
      assert.equal(on.length, 1, `${group}:${name}: ${on.join(' ')}`);
      assert.equal(off.length, STATES.length - 1);
      const spec = group === name ? name : `${group}:${name}`;
      const line = status.split('\n').find((l) => l.startsWith(spec + ' '));
      assert.ok(line?.includes(` ${on[0]} `) || line?.split(/\s+/)[1] === on[0], `${spec}: ${on[0]} in\n${status}`);
    }
    assert.equal(v.get(key('tsv_program_state', 'crash', 'crash', 'state="STOPPED"')), 1);

    // the counts are the main log's
    const log = d.log();
    assert.equal(v.get(key('tsv_program_spawns_total', 'crash', 'crash')), count(log, /spawned: 'crash' with pid/));
    assert.equal(v.get(key('tsv_program_exits_total', 'crash', 'crash', 'expected="false"')), count(log, /exited: crash \(exit status 3; not expected\)/));
    assert.equal(v.get(key('tsv_program_exits_total', 'crash', 'crash', 'expected="true"')), count(log, /stopped: crash \(/));
    assert.equal(v.get(key('tsv_program_spawn_failures_total', 'missing', 'missing')), 2); // startretries=1: two tries
    assert.equal(v.get(key('tsv_program_spawns_total', 'missing', 'missing')), 0);
    assert.equal(v.get(key('tsv_program_exits_total', 'done', 'done', 'expected="true"')), 1);
    assert.equal(v.get(key('tsv_program_exit_status', 'done', 'done')), 0);
    assert.equal(v.get(key('tsv_program_spawns_total', 'off', 'off')), 0);
    assert.equal(v.get(key('tsv_program_start_time_seconds', 'off', 'off')), 0);
    assert.equal(v.get(key('tsv_program_processes', 'off', 'off')), 0);
    const started = v.get(key('tsv_program_start_time_seconds', 'busy', 'busy')) ?? 0;
    assert.ok(Math.abs(started - Date.now() / 1000) < 60, `busy started at ${started}`);
    assert.equal(v.get(key('tsv_program_processes', 'busy', 'busy')), 1);
    assert.equal(v.get(key('tsv_program_processes', 'we"ird\\name', 'we"ird\\name')), 1);

    // the daemon itself
    assert.equal(v.get('tsv_daemon_state{state="RUNNING"}'), 1);
    assert.equal(v.get('tsv_daemon_state{state="SHUTDOWN"}'), 0);
    assert.ok((v.get('process_resident_memory_bytes') ?? 0) > 10 * 1024 * 1024);
    assert.ok((v.get('process_open_fds') ?? 0) > 3);
    assert.ok([...v.keys()].some((k) => k.startsWith('tsv_build_info{version="')));

    // busy's CPU goes up by about a core, and on across a restart (SIGKILL: the killed run's time stays counted)
    const cpu = (): Promise<number> => scrape(port).then((s) => s.values.get(key('tsv_program_cpu_seconds_total', 'busy', 'busy')) ?? -1);
    const c1 = await cpu();
    await new Promise((r) => setTimeout(r, 1000));
    const c2 = await cpu();
    assert.ok(c2 - c1 > 0.3 && c2 - c1 < 2.5, `busy used ${c2 - c1} s in 1 s`);
    const pid = Number(ctl(d, 'pid', 'busy').trim());
    process.kill(pid, 'SIGKILL');
    await until(() => /^\d+$/.test(ctl(d, 'pid', 'busy').trim()) && Number(ctl(d, 'pid', 'busy').trim()) !== pid, 'busy to be restarted');
    const c3 = await cpu();
    assert.ok(c3 >= c2, `after the restart ${c3} < ${c2}`);
    assert.equal((await scrape(port)).values.get(key('tsv_program_exits_total', 'busy', 'busy', 'expected="false"')), 1);

    // burst's worker took its CPU time with it when it ended: the counter keeps it
    // (busy is stopped first, so that the worker has a core to itself)
    ctl(d, 'stop', 'busy');
    ctl(d, 'start', 'burst');
    let most = 0;
    await poll(
      async () => {
        const s = (await scrape(port)).values;
        most = Math.max(most, s.get(key('tsv_program_cpu_seconds_total', 'burst', 'burst')) ?? 0);
        return most > 0 && s.get(key('tsv_program_processes', 'burst', 'burst')) === 1 ? true : undefined;
      },
      "burst's worker to end",
      15000,
      100,
    );
    assert.ok(most > 0.3, `burst's worker was seen using ${most} s`);
    const after = (await scrape(port)).values.get(key('tsv_program_cpu_seconds_total', 'burst', 'burst')) ?? 0;
    assert.ok(after >= most, `burst went back from ${most} to ${after}`);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('/metrics: the socket\'s credentials; HEAD; the unix socket; other methods are not served', { skip: promSkip }, async () => {
  const port = await freePort();
  const d = startDaemon('tsv', BODY(port));
  try {
    await waitUp(d);
    const anonymous = await get({ port });
    assert.equal(anonymous.status, 401);
    assert.equal((await get({ port, auth: 'scraper:wrong' })).status, 401);
    const ok = await get({ port, auth: 'scraper:s3cret' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const head = await get({ port, auth: 'scraper:s3cret', method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    // the unix socket of this config has no credentials
    const unix = await get({ socketPath: d.dir.join('s.sock') });
    assert.equal(unix.status, 200);
    assert.ok(unix.body.includes('tsv_program_state{group="off",name="off",state="STOPPED"} 1'), unix.body);
    assert.equal((await get({ port, auth: 'scraper:s3cret', method: 'POST' })).status, 400);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('/metrics: gzip when the scraper asks for it (as Prometheus does), plain otherwise; the same metrics either way', { skip: promSkip }, async () => {
  const port = await freePort();
  const d = startDaemon('tsv', BODY(port));
  const auth = 'scraper:s3cret';
  try {
    await waitUp(d);
    const plain = await get({ port, auth });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers.vary, 'Accept-Encoding');
    assert.ok(plain.raw.length > 1024, `${plain.raw.length} bytes: enough to be packed`);
    /** the programs' states: a crashing program's exit_status comes and goes with them */
    const states = (text: string): string[] => [...samples(text)].filter(([k, v]) => k.startsWith('tsv_program_state{') && v === 1).map(([k]) => k);
    for (const header of ['gzip', 'deflate, gzip', 'gzip;q=0.5, identity', '*', 'GZIP']) {
      let pair: { packed: Answer; text: string; plain: Answer } | null = null;
      // a plain and a packed answer taken while no program changed state (crash restarts in a loop); else try again
      for (let i = 0; i < 10 && !pair; i++) {
        const before = await get({ port, auth });
        const packed = await get({ port, auth, headers: { 'Accept-Encoding': header } });
        assert.equal(packed.headers['content-encoding'], 'gzip', header);
        const text = gunzipSync(packed.raw).toString('utf8');
        if (states(text).join() === states(before.body).join()) pair = { packed, text, plain: before };
      }
      assert.ok(pair, 'a pair of answers with the same states');
      const { packed, text } = pair;
      assert.equal(packed.status, 200);
      assert.equal(packed.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(Number(packed.headers['content-length']), packed.raw.length);
      assert.ok(packed.raw.length < text.length / 3, `${packed.raw.length} of ${text.length} bytes`);
      // the same series as the plain answer (values such as CPU time move between the two)
      assert.deepEqual([...samples(text).keys()].sort(), [...samples(pair.plain.body).keys()].sort());
      assert.equal(promtool(text).code, 0);
    }
    for (const header of ['identity', 'gzip;q=0', 'deflate', 'br', '*;q=0', 'gzip;q=0, *']) {
      const a = await get({ port, auth, headers: { 'Accept-Encoding': header } });
      assert.equal(a.headers['content-encoding'], undefined, header);
      assert.ok(a.body.includes('tsv_program_state{'), header);
    }
    const head = await get({ port, auth, method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(head.headers['content-encoding'], 'gzip');
    assert.equal(head.raw.length, 0);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('/metrics: update starts over the counts of the programs it replaces and keeps the others\'; a HUP reload starts all anew', { skip: promSkip }, async () => {
  const port = await freePort();
  const d = startDaemon('tsv', BODY(port));
  try {
    await waitUp(d);
    const spawns = async (name: string): Promise<number | undefined> => (await scrape(port)).values.get(key('tsv_program_spawns_total', name, name));
    await poll(async () => (((await spawns('crash')) ?? 0) >= 2 ? true : undefined), 'crash to be restarted', 15000, 100);
    const pid = Number(ctl(d, 'pid', 'busy').trim());
    process.kill(pid, 'SIGKILL');
    await poll(async () => ((await spawns('busy')) === 2 ? true : undefined), 'busy to be restarted', 15000, 100);
    // crash's command changed (and now ends expectedly, once), busy's not
    d.rewrite(BODY(port).replace('exit 3', 'exit 0'));
    assert.match(ctl(d, 'update'), /crash: stopped\ncrash: updated process group/);
    await until(() => /exited: crash \(exit status 0; expected\)/.test(d.log()), 'the new crash to end');
    assert.equal(await spawns('crash'), 1);
    assert.equal(await spawns('busy'), 2);
    d.child.kill('SIGHUP');
    await until(() => /received SIGHUP/.test(d.log()), 'the reload');
    await poll(async () => ((await spawns('busy').catch(() => undefined)) === 1 ? true : undefined), "busy's count to start over", 20000, 100);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('/metrics scraped by a real Prometheus server with basic auth, gzipped: the target is up and PromQL sees every program', { skip: promSkip }, async () => {
  const port = await freePort();
  const promPort = await freePort();
  const d = startDaemon('tsv', BODY(port));
  const dir = new TempDir('tsv-prometheus-');
  // Prometheus scrapes through this relay, which notes what the two say about gzip
  const seen = { asked: false, packed: false };
  const relay = createServer((down) => {
    const up = createConnection(port, '127.0.0.1');
    down.on('data', (b: Buffer) => (seen.asked ||= /\r\naccept-encoding: *gzip/i.test(b.toString('latin1'))));
    up.on('data', (b: Buffer) => (seen.packed ||= /\r\ncontent-encoding: gzip\r\n/i.test(b.toString('latin1'))));
    down.pipe(up).on('error', () => down.destroy());
    up.pipe(down).on('error', () => up.destroy());
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  const relayPort = await freePort();
  await new Promise<void>((r) => relay.listen(relayPort, '127.0.0.1', r));
  const conf = dir.file(
    'prometheus.yml',
    [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: tsv',
      '    basic_auth:',
      '      username: scraper',
      '      password: s3cret',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${relayPort}']`,
      '',
    ].join('\n'),
  );
  const prom = spawn(
    PROMETHEUS,
    [`--config.file=${conf}`, `--storage.tsdb.path=${dir.join('data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let promLog = '';
  prom.stderr?.on('data', (c: Buffer) => (promLog += c.toString()));
  const api = async (path: string): Promise<unknown> => {
    const a = await get({ port: promPort }, path);
    if (a.status !== 200) return undefined;
    return (JSON.parse(a.body) as { data: unknown }).data;
  };
  try {
    await waitUp(d);
    const targets = await poll(
      async () => {
        const t = (await api('/api/v1/targets').catch(() => undefined)) as { activeTargets: { health: string; lastError: string }[] } | undefined;
        return t?.activeTargets[0]?.health === 'up' ? t : undefined;
      },
      `Prometheus to scrape tsv (its log: ${promLog})`,
      60000,
      250,
    );
    assert.equal(targets.activeTargets[0]?.lastError, '');
    // one series per program has the value 1: its state. Prometheus marks a target up before it
    // commits that scrape's samples, so the first answers after "up" may still be empty.
    const q = encodeURIComponent('sum by (name) (tsv_program_state)');
    type Series = { result: { metric: { name: string }; value: [number, string] }[] };
    const result = await poll(
      async () => {
        const r = (await api(`/api/v1/query?query=${q}`)) as Series | undefined;
        return r?.result.length ? r : undefined;
      },
      'the first scrape to be queryable',
      10000,
      100,
    );
    assert.deepEqual(
      result.result.map((r) => [r.metric.name, r.value[1]]).sort(),
      [
        ['burst', '1'],
        ['busy', '1'],
        ['crash', '1'],
        ['done', '1'],
        ['mem', '1'],
        ['missing', '1'],
        ['off', '1'],
        ['we"ird\\name', '1'],
      ],
    );
    const running = (await api(`/api/v1/query?query=${encodeURIComponent('tsv_program_state{state="RUNNING"} == 1')}`)) as { result: { metric: { name: string } }[] };
    assert.ok(running.result.some((r) => r.metric.name === 'busy'));
    assert.ok(!running.result.some((r) => r.metric.name === 'off'));
    assert.deepEqual(seen, { asked: true, packed: true }, 'Prometheus asked for gzip and got it');
  } finally {
    relay.close();
    prom.kill('SIGTERM');
    await withTimeout(new Promise((r) => prom.once('exit', r)), 20000, 'prometheus to exit').catch(() => killTree(prom.pid as number));
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

test("node_exporter's supervisord collector (a third-party XML-RPC client) reads tsv as it reads supervisord", {
  skip: !existsSync(NODE_EXPORTER) ? "needs Debian's prometheus-node-exporter" : oracleSkip,
}, async () => {
  // every state a settled program can be in, and an exit status of each kind
  const body =
    '[program:running]\ncommand=/bin/sleep 300\nstartsecs=0\n' +
    '[program:off]\ncommand=/bin/sleep 300\nautostart=false\n' +
    '[program:done]\ncommand=/bin/true\nstartsecs=0\nautorestart=false\n' +
    '[program:failed]\ncommand=/bin/sh -c "exit 3"\nstartsecs=0\nautorestart=false\n' +
    '[program:missing]\ncommand=/nonexistent/program\nstartretries=0\n' +
    '[program:w1]\ncommand=/bin/sleep 300\nstartsecs=0\n[program:w2]\ncommand=/bin/sleep 300\nstartsecs=0\nautostart=false\n[group:workers]\nprograms=w1,w2\n';
  const read = async (impl: Impl): Promise<string[]> => {
    const d = startDaemon(impl, body);
    const port = await freePort();
    let exporter: ReturnType<typeof spawn> | null = null;
    try {
      await waitUp(d);
      await until(() => /gave up: missing/.test(d.log()) && /exited: failed/.test(d.log()) && /exited: done/.test(d.log()), `${impl}'s programs to settle`, 20000);
      exporter = spawn(
        NODE_EXPORTER,
        ['--collector.disable-defaults', '--collector.supervisord', `--collector.supervisord.url=unix://${d.dir.join('s.sock')}`, `--web.listen-address=127.0.0.1:${port}`],
        { stdio: 'ignore' },
      );
      const text = await poll(async () => (await get({ port }).catch(() => undefined))?.body, `node_exporter on ${impl}`, 15000, 100);
      assert.match(text, /node_scrape_collector_success\{collector="supervisord"\} 1/);
      return text
        .split('\n')
        .filter((l) => l.startsWith('node_supervisord_'))
        .map((l) => l.replace(/^(node_supervisord_(?:start_time|uptime)_seconds\{[^}]*\}) \S+$/, (_m, k: string) => `${k} <time>`));
    } finally {
      exporter?.kill('SIGTERM');
      await d.stop();
      d.cleanup();
    }
  };
  const fromSupervisord = await read('supervisord');
  const fromTsv = await read('tsv');
  assert.ok(fromSupervisord.some((l) => l === 'node_supervisord_state{group="missing",name="missing"} 200'), fromSupervisord.join('\n'));
  assert.ok(fromSupervisord.some((l) => l === 'node_supervisord_exit_status{group="failed",name="failed"} 3'), fromSupervisord.join('\n'));
  assert.deepEqual(fromTsv, fromSupervisord);
});
