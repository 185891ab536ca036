// cron= (tsv only, ochinchina's supervisord's option: start on a schedule
// unless running) and cron_restart= (PM2's: restart on a schedule while
// running). supervisord ignores the keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { TSV, cleanEnv, configOfX, until } from './helpers/daemon-cli';
import { TempDir, sleep } from './helpers/daemon-env';
import { FAKETIME_LIB, assertSupervisordIgnores, clockSetSkip, mainLogLines, setClockToItself, oracleSkip, startDaemon, userCtl, userCtlRun, waitUp } from './helpers/events-env';
import { parseSchedule, ScheduleError } from '../src/config/schedule';
import { ScheduleTimer } from '../src/daemon/cron';
import { loadNative, nativeLoadError } from '../src/daemon/native';
import { useLibcLocalTime } from '../src/log/asctime';
import { inZone } from './helpers/common';

const count = (lines: string[], re: RegExp): number => lines.filter((l) => re.test(l)).length;
const pidOf = (status: string): number => Number(/pid (\d+)/.exec(status)?.[1] ?? 0);

test('schedules: cron patterns with five or six fields and @daily read by croner, robfig\'s @every, and what is wrong with a bad one', () => {
  inZone('UTC', () => {
    const at = (s: string): number => Date.parse(s);
    const iso = (ms: number | null): string => new Date(ms as number).toISOString();
    assert.equal(iso(parseSchedule('0 4 * * *').next(at('2026-11-26T05:00:00Z'))), '2026-11-27T04:00:00.000Z');
    assert.equal(iso(parseSchedule('0 4 * * *').next(at('2026-11-26T04:00:00Z'))), '2026-11-27T04:00:00.000Z', 'strictly after');
    assert.equal(iso(parseSchedule('*/10 * * * * *').next(at('2026-11-26T05:00:41.5Z'))), '2026-11-26T05:00:50.000Z');
    assert.equal(iso(parseSchedule('@daily').next(at('2026-11-26T05:00:00Z'))), '2026-11-27T00:00:00.000Z');
    assert.equal(iso(parseSchedule('0 0 * * MON').next(at('2026-11-26T05:00:00Z'))), '2026-11-30T00:00:00.000Z');
    assert.equal(iso(parseSchedule('@every 1h30m').next(at('2026-11-26T05:00:00.400Z'))), '2026-11-26T06:30:00.000Z');
    assert.equal(iso(parseSchedule('@every 90s').next(at('2026-11-26T05:00:00Z'))), '2026-11-26T05:01:30.000Z');
    const refused = (text: string): string => {
      try {
        parseSchedule(text);
      } catch (e) {
        assert.ok(e instanceof ScheduleError);
        return e.message;
      }
      return 'accepted';
    };
    assert.match(refused('61 * * * *'), /minute: 61/);
    assert.match(refused('* * * *'), /five, six, or seven/);
    assert.match(refused('@every 5'), /not a duration/);
    assert.match(refused('@every 500ms'), /a second or more/);
  });
});

test('ScheduleTimer: a timer that rings before its time on the wall clock (the clock was set back) waits the rest, then fires once', async () => {
  const realNow = Date.now;
  const fired: number[] = [];
  const start = realNow();
  const due = start + 100;
  const timer = new ScheduleTimer({ next: (after) => (after < due ? due : null) }, () => fired.push(realNow() - start));
  try {
    timer.start();
    assert.equal(timer.nextAt, due);
    // the clock is set back 300 ms before the timer rings: its time comes 300 ms later than the timer was set for
    await sleep(30);
    Date.now = () => realNow() - 300;
    await until(() => fired.length === 1, 'the timer to fire', 5000);
    assert.ok((fired[0] as number) >= 380, `fired ${fired[0]} ms after the start`);
    await sleep(300);
    assert.equal(fired.length, 1);
    assert.equal(timer.nextAt, null, 'no time left');
  } finally {
    Date.now = realNow;
    timer.stop();
  }
});

test('ScheduleTimer: when the wall clock passes the time while a slot rings, its timers keep their order (one reading for the slot)', async () => {
  const realNow = Date.now;
  const due = realNow() + 50;
  const fired: string[] = [];
  const timers = ['first', 'second', 'third'].map((name) => new ScheduleTimer({ next: (after) => (after < due ? due : null) }, () => fired.push(name)));
  try {
    for (const t of timers) t.start();
    // the slot rings 1 ms early on the wall clock; any later reading is past the time
    let readings = 0;
    await sleep(20);
    Date.now = () => (readings++ === 0 ? due - 1 : Math.max(realNow(), due + 1));
    await until(() => fired.length === 3, 'the three to fire', 5000);
    assert.deepEqual(fired, ['first', 'second', 'third']);
  } finally {
    Date.now = realNow;
    for (const t of timers) t.stop();
  }
});

test('ScheduleTimer: timers due at one time fire in one turn of the loop, however far apart they were set (a pool rolls in its order)', async () => {
  const due = Date.now() + 300;
  const schedule = { next: (after: number): number | null => (after < due ? due : null) };
  const turns: number[] = [];
  let turn = 0;
  const timers = [0, 1, 2].map((i) => new ScheduleTimer(schedule, () => {
    turns[i] = turn;
    // the turn ends: a later fire is in another one
    setImmediate(() => (turn = Math.max(turn, i + 1) + 10));
  }));
  try {
    // each set a few ms after the one before without a turn of the loop between, as a pool's processes
    // start: their own Node timers would have rung in different turns (the loop's clock stands still)
    for (const t of timers) {
      t.start();
      const until = performance.now() + 5;
      while (performance.now() < until);
    }
    await until(() => turns.filter((t) => t !== undefined).length === 3, 'the three to fire', 5000);
    assert.deepEqual(turns, [0, 0, 0]);
    // one stopped before its time, or by another's fire at that time, does not fire; the others do
    const due2 = Date.now() + 100;
    const schedule2 = { next: (after: number): number | null => (after < due2 ? due2 : null) };
    const fired: string[] = [];
    const stoppedEarly = new ScheduleTimer(schedule2, () => fired.push('stopped early'));
    const stopper = new ScheduleTimer(schedule2, () => {
      fired.push('stopper');
      stoppedByIt.stop();
    });
    const stoppedByIt = new ScheduleTimer(schedule2, () => fired.push('stopped by the stopper'));
    for (const t of [stoppedEarly, stopper, stoppedByIt]) t.start();
    stoppedEarly.stop();
    await until(() => fired.length > 0, 'a fire', 5000);
    await sleep(150);
    assert.deepEqual(fired, ['stopper']);
    assert.deepEqual([stoppedEarly.nextAt, stopper.nextAt, stoppedByIt.nextAt], [null, null, null]);
  } finally {
    for (const t of timers) t.stop();
  }
});

test('cron=: a job is started at its times, not again while it still runs; status says when it starts next; cron_restart= restarts a running program at its times and leaves a stopped one alone', async () => {
  const d = startDaemon(
    'tsv',
    '[program:job]\ncommand=/bin/sh -c "date +%%s.%%N; sleep 0.3"\ncron=*/2 * * * * *\nautostart=false\nautorestart=false\nstartsecs=0\nstdout_logfile={DIR}/job.log\n' +
      // takes 2.5 s, asked for every second
      '[program:slow]\ncommand=sleep 2.5\ncron=* * * * * *\nautostart=false\nautorestart=false\nstartsecs=0\n' +
      '[program:leaky]\ncommand=sleep 100\ncron_restart=*/3 * * * * *\nstartsecs=0\n' +
      '[program:idle]\ncommand=sleep 100\ncron_restart=* * * * * *\nautostart=false\nstartsecs=0\n',
  );
  try {
    await waitUp(d);
    assert.match(userCtl(d, 'status', 'idle'), /^idle +STOPPED +Not started\n$/);
    await until(() => count(mainLogLines(d), /spawned: 'job'/) >= 3, 'three runs of the job', 10000);
    const times = readFileSync(d.dir.join('job.log'), 'utf8').trim().split('\n').map(Number);
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number);
      assert.ok(gap > 1.7 && gap < 2.4, `runs ${gap} s apart`);
      // at whole even seconds
      assert.ok((times[i] as number) % 2 < 0.4, String(times[i]));
    }
    assert.ok(mainLogLines(d).includes('INFO starting job at its cron time (cron=*/2 * * * * *)'));
    await until(() => / EXITED /.test(userCtl(d, 'status', 'job')), 'the job to end');
    assert.match(userCtl(d, 'status', 'job'), /^job +EXITED +\w{3} \d\d \d\d:\d\d [AP]M, next start \w{3} \d\d \d\d:\d\d [AP]M \(cron\)\n$/);
    // the slow one: started at most once per 2.5 s, and the times it skips are said
    await until(() => mainLogLines(d).includes('INFO not starting slow at its cron time: it is still RUNNING (cron=* * * * * *)'), 'a skipped time');
    // the leaky one: a new pid every 3 s, the restart said in status
    assert.match(userCtl(d, 'status', 'leaky'), /^leaky +RUNNING +pid \d+, uptime 0:00:0\d, restart at \w{3} \d\d \d\d:\d\d [AP]M \(cron_restart\)\n$/);
    const first = pidOf(userCtl(d, 'status', 'leaky'));
    await until(() => pidOf(userCtl(d, 'status', 'leaky')) !== first && / RUNNING /.test(userCtl(d, 'status', 'leaky')), 'leaky restarted', 8000);
    assert.ok(mainLogLines(d).includes('INFO restarting leaky at its cron time (cron_restart=*/3 * * * * *)'));
    assert.equal(count(mainLogLines(d), /spawned: 'idle'/), 0, 'cron_restart does not start a program that is not running');
    const slowSpawns = count(mainLogLines(d), /spawned: 'slow'/);
    assert.ok(slowSpawns >= 1 && slowSpawns <= 4, `${slowSpawns} spawns of slow`);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('cron= after the wall clock is set (an NTP step on a Pi that booted behind): a job whose time the step passed starts at once, not late by the step; @every keeps its span across a set back', { skip: clockSetSkip, timeout: 60000 }, async () => {
  const dir = new TempDir('tsv-clockset-');
  const offsetFile = dir.file('faketime', '+0');
  // an hour and two minutes ahead, in the daemon's zone (UTC)
  const at = new Date(Date.now() + 62 * 60_000);
  const d = startDaemon(
    'tsv',
    `[program:job]\ncommand=/bin/true\ncron=${at.getUTCMinutes()} ${at.getUTCHours()} * * *\nautostart=false\nautorestart=false\nstartsecs=0\n` +
      '[program:every]\ncommand=/bin/true\ncron=@every 2s\nautostart=false\nautorestart=false\nstartsecs=0\n',
    { env: { LD_PRELOAD: FAKETIME_LIB as string, FAKETIME_TIMESTAMP_FILE: offsetFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1', TZ: 'UTC' } },
  );
  try {
    await waitUp(d);
    await until(() => count(mainLogLines(d), /spawned: 'every'/) >= 1, 'a first @every run', 10000);
    // set back an hour: @every goes on every 2 s (its next time moved back with the clock), not an hour later
    writeFileSync(offsetFile, '-3600');
    setClockToItself();
    const runs = count(mainLogLines(d), /spawned: 'every'/);
    await until(() => count(mainLogLines(d), /spawned: 'every'/) >= runs + 2, 'two more @every runs after the clock was set back', 10000);
    // forward two hours, past the job's time: not yet told, so not yet started...
    writeFileSync(offsetFile, '+7200');
    await sleep(1000);
    assert.equal(count(mainLogLines(d), /spawned: 'job'/), 0, 'the job waits while the daemon has not been told of a set');
    // ...and once the set is told, at once
    setClockToItself();
    await until(() => count(mainLogLines(d), /spawned: 'job'/) === 1, 'the job to start after the clock was set past its time', 5000);
    assert.ok(mainLogLines(d).includes(`INFO starting job at its cron time (cron=${at.getUTCMinutes()} ${at.getUTCHours()} * * *)`));
    // once, and its next time is tomorrow's
    await sleep(500);
    assert.equal(count(mainLogLines(d), /spawned: 'job'/), 1);
    assert.match(userCtl(d, 'status', 'job'), /^job +EXITED .*, next start \w{3} \d\d \d\d:\d\d [AP]M \(cron\)\n$/);
  } finally {
    await d.stop();
    d.cleanup();
    dir.cleanup();
  }
});

test('schedules under a POSIX TZ rule with summer time (CET-1CEST,M3.5.0,M10.5.0/3): each day on the C library\'s local time across both changes; a time the spring change skips runs an hour on', () => {
  const native = loadNative();
  assert.ok(native, nativeLoadError());
  inZone('CET-1CEST,M3.5.0,M10.5.0/3', () => {
    useLibcLocalTime((s) => native.localOffset(s));
    try {
      const times = (spec: string, from: string, n: number): string[] => {
        const schedule = parseSchedule(spec);
        const out: string[] = [];
        for (let t: number | null = Date.parse(from); out.length < n; ) out.push(new Date((t = schedule.next(t as number)) as number).toISOString());
        return out;
      };
      // 11:00 CET is 10:00Z, 11:00 CEST 09:00Z (the change: 2030-03-31 02:00 CET)
      assert.deepEqual(times('0 11 * * *', '2030-03-29T12:00:00Z', 3), ['2030-03-30T10:00:00.000Z', '2030-03-31T09:00:00.000Z', '2030-04-01T09:00:00.000Z']);
      // 02:30 does not exist on the 31st: 03:30 CEST
      assert.deepEqual(times('30 2 * * *', '2030-03-29T12:00:00Z', 3), ['2030-03-30T01:30:00.000Z', '2030-03-31T01:30:00.000Z', '2030-04-01T00:30:00.000Z']);
      // back on 2030-10-27 03:00 CEST: 02:30 comes twice, the first is taken
      assert.deepEqual(times('30 2 * * *', '2030-10-26T12:00:00Z', 2), ['2030-10-27T00:30:00.000Z', '2030-10-28T01:30:00.000Z']);
    } finally {
      useLibcLocalTime(null);
    }
  });
});

test('cron= under a POSIX TZ rule (IST-5:30, which Node takes for UTC): times are the C library\'s local time, as the main log\'s', { skip: !FAKETIME_LIB && 'needs libfaketime (apt-get install faketime)', timeout: 30000 }, async () => {
  const d = startDaemon('tsv', '[program:job]\ncommand=/bin/true\ncron=0 11 * * *\nautostart=false\nautorestart=false\nstartsecs=0\n', {
    // libfaketime reads the time in TZ: 05:29:58 UTC
    env: { LD_PRELOAD: FAKETIME_LIB as string, FAKETIME: '@2030-01-01 10:59:58', TZ: 'IST-5:30' },
  });
  try {
    await waitUp(d);
    assert.match(userCtl(d, 'status', 'job'), /, next start Jan 01 11:00 AM \(cron\)\n$/);
    await until(() => /spawned: 'job'/.test(d.log()), 'the job at 11:00 local time', 10000);
    assert.match(d.log(), /\n2030-01-01 11:00:0\d,\d{3} INFO starting job at its cron time \(cron=0 11 \* \* \*\)\n/);
    assert.match(userCtl(d, 'status', 'job'), /, next start Jan 02 11:00 AM \(cron\)\n$/);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('cron_restart= on a numprocs pool: at its time the processes are restarted one at a time, each once the one before is up again (startsecs=1)', async () => {
  const d = startDaemon(
    'tsv',
    '[program:pool]\ncommand=sleep 100\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=3\nstartsecs=1\ncron_restart=*/10 * * * * *\n',
  );
  const why = 'at its cron time (cron_restart=*/10 * * * * *)';
  // from the first line after the pool's start-up (a cron time may fall within its startsecs)
  let settled = 0;
  // the lines of the last roll that has begun since: its restarts, stops, spawns and successes
  const lastRoll = (): string[] => {
    const lines = mainLogLines(d);
    let from = lines.length - 1;
    while (from >= settled && !(lines[from].startsWith('INFO restarting pool_') && lines[from].endsWith(` ${why}`) && !lines[from].includes('is up again'))) from--;
    return from < settled
      ? []
      : lines
          .slice(from)
          .filter((l) => /^(INFO|WARN) (restarting|stopped|spawned|success)/.test(l))
          .map((l) => l.replace(/ with pid \d+| \(terminated by SIGTERM\)|, process has stayed.*/g, ''));
  };
  try {
    await waitUp(d);
    await until(() => mainLogLines(d).filter((l) => /^INFO success: pool_\d entered RUNNING/.test(l)).length >= 3, 'the pool up');
    settled = mainLogLines(d).length;
    await until(() => lastRoll().length >= 12, 'a whole roll', 30000);
    const roll = lastRoll().slice(0, 12);
    const names = [0, 1, 2].map((i) => /^INFO restarting (pool_\d)/.exec(roll[4 * i] as string)?.[1] as string);
    assert.deepEqual(names, ['pool_0', 'pool_1', 'pool_2'], roll.join('\n'));
    const expected = names.flatMap((n, i) => [
      `INFO restarting ${n}${i ? ` (${names[i - 1]} is up again)` : ''} ${why}`,
      `WARN stopped: ${n}`,
      `INFO spawned: '${n}'`,
      `INFO success: ${n} entered RUNNING state`,
    ]);
    assert.deepEqual(roll, expected, mainLogLines(d).join('\n'));
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('cron_restart= that comes again while a pool still rolls: the processes the roll has not restarted yet go first, so none is starved', async () => {
  // a roll takes ~3 s per process (startsecs=3) and the time comes every 2 s
  const d = startDaemon('tsv', '[program:roll]\ncommand=sleep 100\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=3\nstartsecs=3\ncron_restart=*/2 * * * * *\n');
  try {
    await waitUp(d);
    const restarts = (): string[] => mainLogLines(d).filter((l) => l.startsWith('INFO restarting roll_'));
    await until(() => restarts().length >= 4, 'four restarts', 40000);
    const got = restarts().slice(0, 4);
    assert.deepEqual(
      got.map((l) => /^INFO restarting (roll_\d)/.exec(l)?.[1]),
      ['roll_0', 'roll_1', 'roll_2', 'roll_0'],
      mainLogLines(d).join('\n'),
    );
    for (const l of got) assert.doesNotMatch(l, /restarting (roll_\d) \(\1 is up again\)/);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('cron_restart=: a stop, stop all or update while the program stops for its restart wins: the restart is called off, the stop answers once it has stopped, update replaces the group', { skip: oracleSkip }, async () => {
  // ignores SIGTERM, so each stop lasts stopwaitsecs (then SIGKILL)
  const conf = (wait: number): string =>
    `[program:stubborn]\ncommand=/bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done'\nstartsecs=0\nstopwaitsecs=${wait}\ncron_restart=@every 2s\n`;
  const d = startDaemon('tsv', conf(3));
  const stopping = (): Promise<void> => until(() => / STOPPING /.test(userCtl(d, 'status', 'stubborn')), 'the cron restart\'s stop', 10000);
  try {
    await waitUp(d);
    await stopping();
    // supervisorctl ignores NOT_RUNNING for stop: 'ERROR (not running)' with exit status 0, and the restart would go on
    assert.deepEqual(userCtlRun(d, 'stop', 'stubborn'), { out: 'stubborn: stopped\n', status: 0 });
    assert.match(userCtl(d, 'status', 'stubborn'), /^stubborn +STOPPED +\w{3} \d\d \d\d:\d\d [AP]M\n$/);
    assert.ok(mainLogLines(d).includes('INFO stubborn stays stopped once it has stopped: a stop was asked for (its restart at its cron time was due; cron_restart)'), d.log());
    const spawns = count(mainLogLines(d), /spawned: 'stubborn'/);
    await sleep(2500);
    assert.equal(count(mainLogLines(d), /spawned: 'stubborn'/), spawns, 'started again after the stop');

    assert.equal(userCtl(d, 'start', 'stubborn'), 'stubborn: started\n');
    await stopping();
    assert.deepEqual(userCtlRun(d, 'stop', 'all'), { out: 'stubborn: stopped\n', status: 0 });
    await sleep(2500);
    assert.match(userCtl(d, 'status', 'stubborn'), /^stubborn +STOPPED /);

    d.rewrite(conf(2));
    assert.equal(userCtl(d, 'start', 'stubborn'), 'stubborn: started\n');
    await stopping();
    // stopProcessGroup waits for it, so removeProcessGroup finds it stopped (else STILL_RUNNING, exit status 1)
    assert.deepEqual(userCtlRun(d, 'update'), { out: 'stubborn: stopped\nstubborn: updated process group\n', status: 0 });
    await until(() => / RUNNING /.test(userCtl(d, 'status', 'stubborn')), 'the new group to start');
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('supervisord ignores cron= and cron_restart=', { skip: oracleSkip }, () => assertSupervisordIgnores('cron=* * * * * *\ncron_restart=@every 2s\n'));

test('cron= and cron_restart= in the config: a bad pattern names file, line and what is wrong; cron= only for programs; a warning when startsecs is left at 1; config show', () => {
  const dir = new TempDir('tsv-cron-conf-');
  try {
    const run = (lines: string, ...args: string[]) => configOfX(dir, lines, ...args);
    const bad = run('cron=0 25 * * *\n', 'check');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /x\.conf:4: \[program:x\] cron: not a cron pattern: Invalid value for hour: 25/);
    assert.match(bad.stderr, /minute hour day-of-month month day-of-week \(e\.g\. 0 4 \* \* \* for 04:00 every day\)/);
    const badRestart = run('cron_restart=nightly\n', 'check');
    assert.equal(badRestart.status, 2);
    assert.match(badRestart.stderr, /x\.conf:4: \[program:x\] cron_restart: not a cron pattern: /);
    const listener = spawnConfig(dir, '[eventlistener:l]\ncommand=/bin/cat\nevents=TICK_60\ncron=@daily\n');
    assert.equal(listener.status, 2);
    assert.match(listener.stderr, /\[eventlistener:l\] sets cron=, which only a \[program:x\] section may/);
    const warned = run('cron=@daily\n', 'check');
    assert.equal(warned.status, 0, warned.stderr);
    assert.match(warned.stderr, /x\.conf:4: \[program:x\] cron: For \[program:x\], cron= starts a job, and startsecs=1 \(the default\) counts a job that ends within 1 s as a failed start/);
    const quiet = run('cron=0 4 * * *\nstartsecs=0\ncron_restart=@every 12h\n', 'check');
    assert.equal(quiet.stderr, '');
    const shown = run('cron_restart=0 4 * * *\n', 'show');
    assert.match(shown.stdout, /\n  cron_restart +0 4 \* \* \*  \(\S+x\.conf:4\)\n/);
    assert.match(shown.stdout, /\n  cron +none  \(default\)\n/);
  } finally {
    dir.cleanup();
  }
});

/** `tsv config check` of a config with no program x (configOfX has one) */
function spawnConfig(dir: TempDir, text: string): { status: number | null; stderr: string } {
  const f = dir.file('l.conf', `[supervisord]\n${text}`);
  return spawnSync(process.execPath, [TSV, 'config', 'check', '-c', f], { encoding: 'utf8', env: cleanEnv() });
}
