// max_memory_restart (tsv only, PM2's option of that name): a running program
// whose processes hold more resident memory than the limit is restarted.
// Supervisor leaves this to superlance's memmon, an event listener that looks
// once a minute; supervisord ignores the keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { TSV, cleanEnv, configOfX, until } from './helpers/daemon-cli';
import { TempDir, sleep } from './helpers/daemon-env';
import { MemoryWatch, type MemoryReport } from '../src/daemon/memory-limit';
import { PY, metrics, logCount, logLineMs, mainLogLines, startDaemon, userCtl, waitUp } from './helpers/events-env';

/** Small until the file $1 appears; then removes it (so the next run stays small) and holds $2 MiB, written. */
const GROWER = `import os, sys, time
held = []
while True:
    try:
        os.remove(sys.argv[1])
        held.append(b'\\x01' * (int(sys.argv[2]) << 20))
    except FileNotFoundError:
        pass
    time.sleep(0.05)
`;


test('max_memory_restart: a program whose processes (its children too) hold more than the limit is restarted, also with autorestart=false; one under its limit is not; /metrics has the limit and the restarts; a changed limit is a changed program', async () => {
  const dir = new TempDir('tsv-memlimit-');
  const grower = dir.file('grow.py', GROWER);
  const go = dir.join('go');
  // the memory is in a child of the shell, which waits for it: the program's tree, not its main process
  const d = startDaemon(
    'tsv',
    `[program:big]\ncommand=/bin/sh -c "${PY} ${grower} ${go} 100; :"\nstartsecs=0\nautorestart=false\nstopasgroup=true\nmax_memory_restart=60MB\nmax_memory_interval=1\n` +
      `[program:small]\ncommand=${PY} ${grower} ${go}-never 100\nstartsecs=0\nmax_memory_restart=60MB\nmax_memory_interval=1\n` +
      `[program:plain]\ncommand=${PY} ${grower} ${go}-never 100\nstartsecs=0\n`,
  );
  try {
    await waitUp(d);
    await until(() => /^big +RUNNING/.test(userCtl(d, 'status', 'big')), 'big to run');
    const pid = Number(userCtl(d, 'pid', 'big').trim());
    await sleep(2500); // two looks or more, under the limit
    assert.equal(logCount(d, /restarting/), 0, d.log());

    writeFileSync(go, '');
    await until(() => logCount(d, /restarting big/) === 1, 'the restart', 15000);
    await until(() => /^big +RUNNING/.test(userCtl(d, 'status', 'big')), 'big to run again');
    assert.equal(existsSync(go), false);
    const lines = mainLogLines(d);
    const at = lines.findIndex((l) => l.includes('restarting big'));
    const said = /^WARN restarting big: its processes hold (\d+\.\d) MiB of resident memory, more than max_memory_restart=60MB$/.exec(lines[at] ?? '');
    assert.ok(said, d.log());
    // the shell holds about 1 MiB, so a figure over the limit is its child's memory counted with it;
    // the look may fall while the child is still filling its 100 MiB (75.1 MiB once in CI)
    assert.ok(Number(said[1]) > 60, said[0]);
    assert.deepEqual(
      lines.slice(at + 1, at + 4).map((l) => l.replace(/pid \d+/, 'pid N')),
      ['WARN stopped: big (terminated by SIGTERM)', "INFO spawned: 'big' with pid N", 'INFO success: big entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)'],
    );
    assert.notEqual(Number(userCtl(d, 'pid', 'big').trim()), pid);
    // tsv events shows tsv's own types by default
    const events = spawnSync(process.execPath, [TSV, '-c', d.conf, 'events', '-n', '100'], { encoding: 'utf8', env: cleanEnv() }).stdout;
    assert.match(events, new RegExp(`PROCESS_MEMORY_RESTART processname:big groupname:big pid:${pid} used:\\d+ limit:62914560\n {4}its processes hold ${said[1]} MiB of resident memory, more than max_memory_restart=60MB\n`));

    await sleep(2500); // the new run, small again, is looked at and left alone
    assert.equal(logCount(d, /restarting/), 1, d.log());
    const m = await metrics(d);
    assert.match(m, /\ntsv_program_memory_limit_bytes\{group="big",name="big"\} 62914560\n/);
    assert.match(m, /\ntsv_program_memory_restarts_total\{group="big",name="big"\} 1\n/);
    assert.match(m, /\ntsv_program_memory_restarts_total\{group="small",name="small"\} 0\n/);
    assert.doesNotMatch(m, /tsv_program_memory_(limit_bytes|restarts_total)\{group="plain"/);
    assert.match(m, /\ntsv_program_exits_total\{group="big",name="big",expected="true"\} 1\n/);

    assert.equal(userCtl(d, 'stop', 'big'), 'big: stopped\n');

    d.rewrite(
      `[program:big]\ncommand=/bin/sh -c "${PY} ${grower} ${go} 100; :"\nstartsecs=0\nautorestart=false\nstopasgroup=true\nmax_memory_restart=70MB\nmax_memory_interval=1\n` +
        `[program:small]\ncommand=${PY} ${grower} ${go}-never 100\nstartsecs=0\nmax_memory_restart=60MB\nmax_memory_interval=1\n` +
        `[program:plain]\ncommand=${PY} ${grower} ${go}-never 100\nstartsecs=0\n`,
    );
    assert.equal(userCtl(d, 'reread'), 'big: changed\n');
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('MemoryWatch: a look every interval from start until stop, and none after; a look over the limit whose report stops the watch (as the restart does) is the last', async () => {
  let used = 50;
  const looks: number[] = [];
  const reports: MemoryReport[] = [];
  const watch: MemoryWatch = new MemoryWatch(
    { bytes: 100, interval: 0.05 },
    () => {
      looks.push(used);
      return used;
    },
    (r) => {
      reports.push(r);
      if (r.used > r.limit) watch.stop();
    },
  );
  watch.start();
  await sleep(180);
  watch.stop();
  const seen = looks.length;
  assert.ok(seen >= 2, `${seen} looks in 180 ms`);
  assert.deepEqual(reports[0], { used: 50, limit: 100 });
  await sleep(200);
  assert.equal(looks.length, seen);
  used = 200;
  watch.start();
  await sleep(300);
  assert.deepEqual(looks.slice(seen), [200]);
  assert.deepEqual(reports[reports.length - 1], { used: 200, limit: 100 });
});

/** "2026-11-25 21:58:55,377 WARN …" -> ms since the epoch (UTC, as the test daemons log) */

test('max_memory_restart: restarts that do not bring it under the limit are paced (the interval, doubling, up to 5 min, after the stop); status shows the wait; a stop during it calls the start off', async () => {
  const dir = new TempDir('tsv-memlimit-pace-');
  const hog = dir.file('hog.py', "import time\nheld = b'\\x01' * (50 << 20)\ntime.sleep(1000)\n");
  const d = startDaemon('tsv', `[program:hog]\ncommand=${PY} ${hog}\nstartsecs=0\nmax_memory_restart=20MB\nmax_memory_interval=1\n`);
  try {
    await waitUp(d);
    await until(() => logCount(d, /restarting hog/) === 3, 'three restarts', 20000);
    const lines = mainLogLines(d);
    const restarts = lines.filter((l) => l.includes('restarting hog'));
    const re = (wait: string): RegExp =>
      new RegExp(`^WARN restarting hog: its processes hold \\d+\\.\\d MiB of resident memory, more than max_memory_restart=20MB${wait}$`);
    assert.match(restarts[0] as string, re(''));
    assert.match(restarts[1] as string, re(', as at every look since its last restart: it starts again 1 s after it stops'));
    assert.match(restarts[2] as string, re(', as at every look since its last restart: it starts again 2 s after it stops'));
    // the waits, from the log's own times: each spawn after the stop that follows a restart line
    const full = d.log().split('\n');
    const gaps: number[] = [];
    for (let i = 0; i < full.length; i++) {
      if (!full[i]?.includes('restarting hog')) continue;
      const stop = full.findIndex((l, j) => j > i && l.includes('stopped: hog'));
      const spawn = full.findIndex((l, j) => j > stop && l.includes("spawned: 'hog'"));
      if (stop > 0 && spawn > 0) gaps.push(logLineMs(full[spawn] as string) - logLineMs(full[stop] as string));
    }
    assert.ok(gaps.length >= 2, d.log());
    assert.ok((gaps[0] as number) < 500, `no wait after the first: ${gaps.join(', ')} ms`);
    assert.ok((gaps[1] as number) >= 950, `1 s after the second: ${gaps.join(', ')} ms`);
    // the third restart's wait (2 s) is under way, or comes: status says what it waits for
    await until(() => /^hog +STOPPED +.*, starting again in 0:00:0[12] \(max_memory_restart\)\n$/.test(userCtl(d, 'status', 'hog')), 'status to show the wait', 15000);
    assert.equal(userCtl(d, 'stop', 'hog'), 'hog: stopped\n');
    assert.equal(logCount(d, /stopped: hog \(its restart for max_memory_restart was due\)/), 1, d.log());
    const spawns = logCount(d, /spawned: 'hog'/);
    await sleep(3000);
    assert.equal(logCount(d, /spawned: 'hog'/), spawns);
    assert.match(userCtl(d, 'status', 'hog'), /^hog +STOPPED /);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test("max_memory_restart: a healthcheck command is not part of the program (it inherits the program's SUPERVISOR_PROCESS_NAME), so what it holds is not the program's memory, with or without stopastree", async () => {
  const dir = new TempDir('tsv-memlimit-helper-');
  // a check that holds 100 MiB for 3 s of each look
  const check = dir.file('check.py', "import time\nheld = b'\\x01' * (100 << 20)\ntime.sleep(3)\n");
  const both = (tree: boolean): string =>
    `command=/bin/sleep 300\nstartsecs=0\nstopastree=${tree}\nmax_memory_restart=40MB\nmax_memory_interval=1\nhealthcheck=${PY} ${check}\nhealthcheck_interval=1\nhealthcheck_timeout=10\n`;
  const d = startDaemon('tsv', `[program:walked]\n${both(false)}[program:tree]\n${both(true)}`);
  try {
    await waitUp(d);
    await until(() => logCount(d, /healthy: (walked|tree) answered/) === 2, 'both checks answered', 20000);
    // each check's first look held 100 MiB through two looks at the memory or more (at 1 and 2 s); the next one is under way
    await sleep(2000);
    assert.equal(logCount(d, /restarting/), 0, d.log());
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('max_memory_restart in the config: Supervisor sizes (KB, MB, GB) and PM2 sizes (K, M, G), 0 is none; max_memory_interval of 1 or more; errors name file, line and option; an interval without a limit warns; config show', () => {
  const dir = new TempDir('tsv-memlimit-conf-');
  try {
    const run = (lines: string, ...args: string[]) => configOfX(dir, lines, ...args);
    const limit = (value: string): unknown => {
      const r = run(`max_memory_restart=${value}\n`, 'show', '--json');
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { groups: { processes: { max_memory_restart: unknown }[] }[] }).groups[0].processes[0].max_memory_restart;
    };
    assert.deepEqual(limit('500MB'), { bytes: 500 * 2 ** 20, interval: 10 });
    assert.deepEqual(limit('500M'), { bytes: 500 * 2 ** 20, interval: 10 });
    assert.deepEqual(limit('1gb'), { bytes: 2 ** 30, interval: 10 });
    assert.deepEqual(limit('2G'), { bytes: 2 * 2 ** 30, interval: 10 });
    assert.deepEqual(limit('300k'), { bytes: 300 * 1024, interval: 10 });
    assert.deepEqual(limit('1000000'), { bytes: 1000000, interval: 10 });
    assert.equal(limit('0'), null);
    const none = run('', 'show', '--json');
    assert.equal((JSON.parse(none.stdout) as { groups: { processes: { max_memory_restart: unknown }[] }[] }).groups[0].processes[0].max_memory_restart, null);

    const bad = (lines: string): string => {
      const r = run(lines, 'check');
      assert.equal(r.status, 2, r.stdout + r.stderr);
      return r.stderr;
    };
    assert.match(
      bad('max_memory_restart=lots\n'),
      /x\.conf:4: \[program:x\] max_memory_restart: invalid literal for int\(\) with base 10: 'lots'\n  hint: 'lots' is not a size: write a whole number of bytes, optionally followed by KB, MB or GB/,
    );
    assert.match(bad('max_memory_restart=-1MB\n'), /x\.conf:4: \[program:x\] max_memory_restart: a size of memory cannot be negative\n  value: "-1MB"\n  hint: e\.g\. max_memory_restart=500MB; 0 \(the default\) is no limit/);
    assert.match(
      bad('max_memory_restart=500MB\nmax_memory_interval=0\n'),
      /x\.conf:5: \[program:x\] max_memory_interval: max_memory_interval=0: the seconds between looks at the program's memory must be 1 or more\n  hint: e\.g\. max_memory_interval=10/,
    );
    assert.match(bad('max_memory_restart=500MB\nmax_memory_interval=3000000\n'), /max_memory_interval=3000000: the seconds between looks at the program's memory must be 2147483 or less/);

    const orphan = run('max_memory_interval=5\n', 'check');
    assert.equal(orphan.status, 0, orphan.stderr);
    assert.match(orphan.stderr, /x\.conf:4: \[program:x\] max_memory_interval: For \[program:x\], max_memory_interval is set but there is no max_memory_restart= \(or it is 0\), so it has no effect\n/);

    const shown = run('max_memory_restart=1536M\nmax_memory_interval=30\n', 'show');
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /\n  max_memory_restart +1536MB  \[restarted when its processes hold more resident memory; looked at every 30 s\]  \(\S+x\.conf:4\)\n/);
  } finally {
    dir.cleanup();
  }
});
