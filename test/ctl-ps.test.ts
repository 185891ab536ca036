// `tsv ps` (tsv only): each program's CPU, memory and processes, read from
// /proc for the pids the daemon reports, against tsv and against the real
// supervisord; a daemon in another pid namespace is shown as not measurable
// here rather than as some unrelated local process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { TSV, cleanEnv, killTree, until } from './helpers/daemon-cli';
import { TempDir, sleep, withTimeout } from './helpers/daemon-env';
import { FAKETIME_LIB, PY, confText, oracleSkip, startDaemon, waitUp, type Daemon, type Impl } from './helpers/events-env';
import { shortDuration } from '../src/ctl/verbs/ps';
import { parseSample, talliesOf } from '../src/ctl/program-tallies';
import { binaryBytes } from '../src/daemon/program-usage';

/** busy: one core; mem: ~50 MiB in a child, and a grandchild orphaned in the program's group; off: not started. */
const BODY =
  '[program:busy]\ncommand=/bin/sh -c "while :; do :; done"\nstartsecs=0\n' +
  `[program:mem]\ncommand=/bin/sh -c '${PY} -c "b = b\\"x\\" * (50 << 20); import time; time.sleep(300)" & (sleep 300 &); exec sleep 300'\nstartsecs=0\nstopasgroup=true\n` +
  '[program:off]\ncommand=/bin/sleep 300\nautostart=false\n[group:g]\nprograms=mem\n';

function ps(conf: string, ...args: string[]): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, [TSV, 'ctl', '-c', conf, 'ps', ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 20000 });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

interface PsRow {
  namespec: string;
  statename: string;
  pid: number;
  uptime: number | null;
  cpuPercent: number | null;
  rssBytes: number | null;
  pids: number[] | null;
  onThisHost: boolean;
  restarts: number | null;
  healthy: boolean | null;
  healthFailures: number | null;
}

async function settled(d: Daemon): Promise<PsRow[]> {
  let rows: PsRow[] = [];
  // mem's python has its 50 MiB and its orphan exists
  await until(() => {
    rows = JSON.parse(ps(d.conf, '--json').out) as PsRow[];
    const mem = rows.find((r) => r.namespec === 'g:mem');
    return !!mem && (mem.rssBytes ?? 0) > 50 * 1024 * 1024 && mem.pids?.length === 3;
  }, 'mem to hold its memory and its processes');
  return rows;
}

for (const impl of ['tsv', 'supervisord'] as Impl[]) {
  test(`ps against ${impl}: CPU, memory and every process of each program; not running is dashes`, { skip: impl === 'supervisord' ? oracleSkip : false }, async () => {
    const d = startDaemon(impl, BODY);
    try {
      await waitUp(d);
      await settled(d);
      // measured again now that mem's python has started
      const rows = JSON.parse(ps(d.conf, '--json').out) as PsRow[];
      assert.deepEqual(
        rows.map((r) => [r.namespec, r.statename]),
        [
          ['busy', 'RUNNING'],
          ['g:mem', 'RUNNING'],
          ['off', 'STOPPED'],
        ],
      );
      const [busy, mem, off] = rows as [PsRow, PsRow, PsRow];
      // a shell loop keeps a core busy (less of it on a loaded machine)
      assert.ok((busy.cpuPercent ?? 0) > 30 && (busy.cpuPercent ?? 0) < 110, `busy: ${busy.cpuPercent}%`);
      assert.deepEqual(busy.pids, [busy.pid]);
      assert.ok((mem.cpuPercent ?? 100) < 20, `mem: ${mem.cpuPercent}%`);
      // the main sleep, the python child, and the sleep orphaned in the group (its parent is init now)
      const memPids = mem.pids ?? [];
      assert.equal(memPids[0], mem.pid);
      const cmd = (pid: number): string => spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
      assert.deepEqual(memPids.map(cmd).sort(), [`${PY} -c b = b"x" * (50 << 20); import time; time.sleep(300)`, 'sleep 300', 'sleep 300']);
      assert.ok(memPids.every((p) => p > 0) && busy.onThisHost && mem.onThisHost);
      assert.deepEqual([off.pid, off.uptime, off.cpuPercent, off.rssBytes, off.pids], [0, null, null, null, null]);
      // a tsv daemon counts starts (its /metrics); a supervisord does not, and neither has a healthcheck here
      assert.deepEqual(
        rows.map((r) => [r.restarts, r.healthy, r.healthFailures]),
        rows.map(() => [impl === 'tsv' ? 0 : null, null, null]),
      );

      const table = ps(d.conf);
      assert.equal(table.code, 0, table.err);
      const lines = table.out.split('\n');
      if (impl === 'tsv') {
        assert.match(lines[0] as string, /^NAME {3}STATE {5}PID {4}UPTIME {2}CPU {4}MEMORY {5}PROCS {2}RESTARTS$/);
        assert.match(lines[1] as string, /^busy {3}RUNNING {3}\d+ +\d+s +\d+\.\d% +\d+(\.\d)? [KM]iB +1 {6}0$/);
        assert.match(lines[2] as string, /^g:mem {2}RUNNING {3}\d+ +\d+s +\d+\.\d% +[5-9]\d\.\d MiB +3 {6}0$/);
        assert.match(lines[3] as string, /^off {4}STOPPED {3}- {6}- {7}- {6}- {10}- {6}0$/);
      } else {
        assert.match(lines[0] as string, /^NAME {3}STATE {5}PID {4}UPTIME {2}CPU {4}MEMORY {5}PROCS$/);
        assert.match(lines[1] as string, /^busy {3}RUNNING {3}\d+ +\d+s +\d+\.\d% +\d+(\.\d)? [KM]iB +1$/);
        assert.match(lines[2] as string, /^g:mem {2}RUNNING {3}\d+ +\d+s +\d+\.\d% +[5-9]\d\.\d MiB +3$/);
        assert.match(lines[3] as string, /^off {4}STOPPED {3}- {6}- {7}- {6}- {10}-$/);
      }
      assert.equal(lines.length, 5);

      const one = ps(d.conf, 'g:*');
      assert.deepEqual(one.out.split('\n').slice(1, -1).map((l) => l.split(' ')[0]), ['g:mem']);
      const unknown = ps(d.conf, 'nosuch', 'busy');
      assert.equal(unknown.out, 'nosuch: ERROR (no such process)\n');
      assert.equal(unknown.code, 1);
      // as status --json: the JSON of the names that match on stdout, the error on stderr
      const unknownJson = ps(d.conf, '--json', 'nosuch', 'busy');
      assert.deepEqual((JSON.parse(unknownJson.out) as { name: string }[]).map((r) => r.name), ['busy']);
      assert.equal(unknownJson.err, 'nosuch: ERROR (no such process)\n');
      assert.equal(unknownJson.code, 1);
      const bad = ps(d.conf, '-x');
      assert.match(bad.out, /^Error: bad argument -x\nps\t/);
      assert.equal(bad.code, 2);
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
}

test('ps counts the CPU of children that ended within its window (a shell working through short commands), as top and /metrics do', async () => {
  // each child spins for 50 ms: almost none is alive when the half-second window ends
  const d = startDaemon('tsv', `[program:kids]\ncommand=/bin/sh -c 'while :; do timeout 0.05 sh -c "while :; do :; done"; done'\nstartsecs=0\n`);
  try {
    await waitUp(d);
    await until(() => (JSON.parse(ps(d.conf, '--json').out) as PsRow[])[0]?.statename === 'RUNNING', 'kids RUNNING');
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) seen.push((JSON.parse(ps(d.conf, '--json').out) as PsRow[])[0]?.cpuPercent ?? 0);
    const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
    // a core kept busy, less of it on a loaded machine; the children alive at the window's end alone give ~10 %
    assert.ok(mean > 30 && Math.max(...seen) < 150, `kids: ${seen.join(', ')} %`);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('ps memory is the resident memory ps, top and /proc/PID/status give (not /proc/PID/stat\'s approximate count)', async () => {
  const d = startDaemon('tsv', '[program:idle]\ncommand=sleep 300\nstartsecs=0\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=3\n');
  try {
    await waitUp(d);
    await until(() => (JSON.parse(ps(d.conf, '--json').out) as PsRow[]).every((r) => r.statename === 'RUNNING'), 'the pool RUNNING');
    for (const row of JSON.parse(ps(d.conf, '--json').out) as PsRow[]) {
      const vmRss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${row.pid}/status`, 'utf8'))?.[1]);
      assert.equal(row.rssBytes, vmRss * 1024, `${row.namespec}: ps ${row.rssBytes}, VmRSS ${vmRss} kB`);
    }
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('ps finds an orphan a stopastree program left outside its group (adopted by the daemon, known by its environment)', async () => {
  const d = startDaemon('tsv', "[program:tree]\ncommand=/bin/sh -c '(setsid sleep 301 &); exec sleep 300'\nstartsecs=0\nstopastree=true\n");
  try {
    await waitUp(d);
    // Asked too early, ps sees the orphan-to-be while it is still the subshell's child, or
    // before it has exec'd sleep; the answer to wait for is the settled one.
    const expected = (orphan: number): string[] => [String(d.child.pid), String(orphan), 'sleep', '301'];
    const statOf = (pid: number): string[] => spawnSync('ps', ['-o', 'ppid=,pgid=,args=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim().split(/\s+/);
    let row: PsRow | undefined;
    await until(() => {
      row = (JSON.parse(ps(d.conf, '--json').out) as PsRow[])[0];
      const orphan = row?.pids?.[1];
      return row?.pids?.length === 2 && orphan !== undefined && statOf(orphan).join(' ') === expected(orphan).join(' ');
    }, 'the orphan to be found').catch(() => undefined);
    const orphan = (row?.pids ?? [])[1] as number;
    assert.equal(row?.pids?.length, 2, `ps --json: ${JSON.stringify(row)}`);
    // its parent is the daemon, its group its own
    assert.deepEqual(statOf(orphan), expected(orphan));
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('ps measures programs whose start the daemon reports on a clock stepped since (libfaketime: a day behind)', { skip: FAKETIME_LIB ? false : 'needs libfaketime (apt-get install faketime)' }, async () => {
  const d = startDaemon('tsv', '[program:sleeper]\ncommand=/bin/sleep 300\nstartsecs=0\n', {
    env: { LD_PRELOAD: FAKETIME_LIB as string, FAKETIME: '-1d', FAKETIME_DONT_FAKE_MONOTONIC: '1' },
  });
  try {
    await waitUp(d);
    let rows: PsRow[] = [];
    await until(() => (rows = JSON.parse(ps(d.conf, '--json').out) as PsRow[])[0]?.pid !== 0, 'sleeper to run');
    const info = (await d.rpc.call('supervisor.getProcessInfo', ['sleeper'])) as Record<string, unknown>;
    const start = Number(info.start);
    assert.ok(Date.now() / 1000 - start > 86000, `the daemon's clock is a day behind (start ${start})`);
    assert.deepEqual([rows[0]?.onThisHost, rows[0]?.pids], [true, [rows[0]?.pid]]);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('a clock set back an hour under a running program: its start is put right (as long ago as it really is), not left an hour in the future (libfaketime)', { skip: FAKETIME_LIB ? false : 'needs libfaketime (apt-get install faketime)' }, async () => {
  const dir = new TempDir('tsv-stepback-');
  const step = dir.file('faketime', '+0\n');
  // an NTP step: the wall clock moves, the monotonic one does not
  const d = startDaemon('tsv', '[program:sleeper]\ncommand=/bin/sleep 300\nstartsecs=0\n', {
    env: { LD_PRELOAD: FAKETIME_LIB as string, FAKETIME_TIMESTAMP_FILE: step, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' },
  });
  try {
    await waitUp(d);
    await until(() => (JSON.parse(ps(d.conf, '--json').out) as PsRow[])[0]?.pid !== 0, 'sleeper to run');
    await sleep(2000);
    writeFileSync(step, '-1h\n');
    const info = (await d.rpc.call('supervisor.getProcessInfo', ['sleeper'])) as Record<string, number>;
    assert.ok(Date.now() / 1000 - Number(info.now) > 3500, `the daemon's clock was set back (now ${info.now})`);
    const up = Number(info.now) - Number(info.start);
    assert.ok(up >= 1 && up < 60, `uptime ${up} s`);
    assert.match(String(info.description), /^pid \d+, uptime 0:00:(0[1-9]|[1-5]\d)$/);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('ps of a daemon in another pid namespace shows ? for what cannot be measured here', { skip: process.getuid?.() === 0 && existsSync('/usr/bin/unshare') ? false : 'needs root and unshare' }, async () => {
  const dir = new TempDir('tsv-ps-ns-');
  const conf = dir.file('supervisord.conf', confText(dir, '[program:sleeper]\ncommand=/bin/sleep 300\nstartsecs=0\n'));
  // its pids are the namespace's (1, 2, …): here they are other processes, or none
  const child = spawn('/usr/bin/unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, TSV, 'daemon', '-n', '-c', conf], { env: cleanEnv(), stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  try {
    let out = '';
    await until(() => /RUNNING/.test((out = ps(conf).out)), 'the namespaced daemon to run its program');
    const lines = out.split('\n');
    assert.match(lines[1] as string, /^sleeper {2}RUNNING {3}\d+ +\d+s +\? {6}\? {10}\? {6}0$/);
    assert.equal(lines[2], '?: not measurable from here (the daemon runs on another host or in another pid namespace, or /proc hides its processes)');
    const json = JSON.parse(ps(conf, '--json').out) as PsRow[];
    assert.deepEqual([json[0]?.onThisHost, json[0]?.cpuPercent, json[0]?.pids], [false, null, null]);
  } finally {
    // unshare --fork ignores SIGTERM itself (a Ctrl-C is the child's): the daemon, its only child, gets it
    for (const pid of readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'latin1').split(' ').filter(Boolean)) process.kill(Number(pid), 'SIGTERM');
    await withTimeout(exited, 15000, 'the namespaced daemon to stop').catch(() => killTree(child.pid as number));
    dir.cleanup();
  }
});

test("ps against tsv: each program's restarts and, for those with a healthcheck, its verdict (the daemon's /metrics)", async () => {
  const d = startDaemon(
    'tsv',
    '[program:plain]\ncommand=/bin/sleep 300\nstartsecs=0\n' +
      '[program:ok]\ncommand=/bin/sleep 300\nstartsecs=0\nhealthcheck=/bin/true\nhealthcheck_interval=1\n' +
      '[program:bad]\ncommand=/bin/sleep 300\nstartsecs=0\nhealthcheck=/bin/false\nhealthcheck_interval=1\nhealthcheck_retries=100\n' +
      '[program:warm]\ncommand=/bin/sleep 300\nstartsecs=0\nhealthcheck=/bin/false\nhealthcheck_interval=1\nhealthcheck_start_period=300\n' +
      '[program:idle]\ncommand=/bin/sleep 300\nautostart=false\nhealthcheck=/bin/true\n',
  );
  try {
    await waitUp(d);
    for (let i = 0; i < 2; i++) assert.equal(spawnSync(process.execPath, [TSV, 'ctl', '-c', d.conf, 'restart', 'plain'], { env: cleanEnv() }).status, 0);
    let rows: PsRow[] = [];
    await until(() => {
      rows = JSON.parse(ps(d.conf, '--json').out) as PsRow[];
      return (rows.find((r) => r.namespec === 'bad')?.healthFailures ?? 0) >= 2 && rows.find((r) => r.namespec === 'ok')?.healthy === true;
    }, 'the looks to answer and fail');
    const of = (name: string): [number | null, boolean | null, number | null] => {
      const r = rows.find((x) => x.namespec === name) as PsRow;
      return [r.restarts, r.healthy, r.healthFailures];
    };
    assert.deepEqual(of('plain'), [2, null, null]);
    assert.deepEqual(of('ok'), [0, true, 0]);
    assert.equal(of('bad')[1], false);
    // within the start period failed looks do not count: no answer yet
    assert.deepEqual(of('warm'), [0, false, 0]);
    assert.deepEqual(of('idle'), [0, false, 0]);

    const lines = ps(d.conf).out.split('\n');
    assert.match(lines[0] as string, /^NAME {3}STATE {5}PID {4}UPTIME {2}CPU {4}MEMORY {5}PROCS {2}RESTARTS {2}HEALTH$/);
    const tail = (name: string): string => (lines.find((l) => l.startsWith(name + ' ')) ?? '').replace(/^.* {2}(\S+) {2,}(\S.*)$/, '$1|$2');
    assert.equal(tail('plain'), '2|-');
    assert.equal(tail('ok'), '0|healthy');
    assert.match(tail('bad'), /^0\|unhealthy \(\d+\)$/);
    assert.equal(tail('warm'), '0|starting');
    // not running: no verdict
    assert.equal(tail('idle'), '0|-');
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('ps --watch: the table again every N seconds with the time, until Ctrl-C (exit 0); not with --json, nor under a second', async () => {
  const d = startDaemon('tsv', "[program:flaky]\ncommand=/bin/sh -c 'sleep 0.4; exit 1'\nstartsecs=0\nautorestart=true\n[program:other]\ncommand=/bin/sleep 300\n");
  try {
    await waitUp(d);
    const child = spawn(process.execPath, [TSV, 'ctl', '-c', d.conf, 'ps', '--watch=1', 'flaky'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await until(() => (out.match(/^Every 1s: tsv ps flaky {4}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/gm) ?? []).length >= 3, 'three tables', 15000);
    child.kill('SIGINT');
    assert.equal(await withTimeout(exited, 10000, 'ps --watch to end'), 0);
    // not a terminal: each table follows the last, no screen clearing; only the program named
    assert.doesNotMatch(out, /\x1b/);
    // a process that ends while it is measured is not running, not '?' (another host)
    assert.doesNotMatch(out, /not measurable from here/);
    const tables = out.split(/^Every 1s: .*\n\n/m).filter(Boolean);
    assert.ok(tables.every((t) => /^NAME +STATE .* RESTARTS\nflaky +\w+ .*\n\n$/.test(t)), JSON.stringify(tables));
    // measured anew each time: the restarts go up
    const restarts = tables.map((t) => Number(/(\d+)\n\n$/.exec(t)?.[1]));
    assert.ok((restarts[restarts.length - 1] as number) > (restarts[0] as number), restarts.join(' '));
    for (const [args, why] of [
      [['--watch', '--json'], /^Error: --watch shows tables, not JSON\n/],
      [['--watch=0.5'], /^Error: bad interval 0\.5 \(seconds, 1 or more\)\n/],
    ] as const) {
      const r = ps(d.conf, ...args);
      assert.equal(r.code, 2);
      assert.match(r.out, why);
    }
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('ps --watch goes on when the daemon stops: it says the daemon does not answer, and Ctrl-C still ends it with 0', async () => {
  const d = startDaemon('tsv', '[program:other]\ncommand=/bin/sleep 300\n');
  try {
    await waitUp(d);
    const child = spawn(process.execPath, [TSV, 'ctl', '-c', d.conf, 'ps', '--watch=1'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await until(() => /^other +RUNNING/m.test(out), 'a table');
    await d.stop();
    const gone = `the daemon does not answer at unix://${d.dir.join('s.sock')} (ENOENT); trying again\n`;
    await until(() => out.split(gone).length > 2, 'two frames saying the daemon does not answer', 15000);
    child.kill('SIGINT');
    assert.equal(await withTimeout(exited, 10000, 'ps --watch to end'), 0);
    assert.equal(err, '');
    assert.doesNotMatch(out, /error: <class/);
  } finally {
    d.cleanup();
  }
});

test('the /metrics text as ps reads it: escaped label values, other families and comments skipped', () => {
  const text =
    '# HELP tsv_program_spawns_total Processes started.\n# TYPE tsv_program_spawns_total counter\n' +
    'tsv_program_spawns_total{group="g",name="a\\"b\\\\c"} 4\n' +
    'tsv_program_spawns_total{group="solo",name="solo"} 0\n' +
    'tsv_program_healthy{group="solo",name="solo"} 1\n' +
    'tsv_program_health_failing_looks{group="solo",name="solo"} 0\n' +
    'tsv_program_health_failures_total{group="solo",name="solo"} 7\n' +
    'tsv_program_exits_total{expected="false",group="g",name="x"} 3\n';
  const t = talliesOf(text);
  assert.deepEqual([...t.entries()], [
    ['g:a"b\\c', { restarts: 3, health: null }],
    ['solo', { restarts: 0, health: { healthy: true, failures: 0 } }],
  ]);
  assert.deepEqual(parseSample('tsv_program_healthy{group="x",name="y\\n"} 0'), { name: 'tsv_program_healthy', labels: new Map([['group', 'x'], ['name', 'y\n']]), value: 0 });
  assert.equal(parseSample('# a comment'), null);
});

test('durations and sizes as ps prints them', () => {
  assert.deepEqual([0, 59, 60, 3599, 3600, 3660 + 5, 86399, 86400, 90000 + 86400 * 3].map(shortDuration), ['0s', '59s', '1m', '59m', '1h00m', '1h01m', '23h59m', '1d00h', '4d01h']);
  assert.deepEqual([1000, 1024 * 1024 - 1, 1024 * 1024, 41.25 * 1024 * 1024, 1.5 * 1024 ** 3].map(binaryBytes), ['1 KiB', '1024 KiB', '1.0 MiB', '41.3 MiB', '1.5 GiB']);
});
