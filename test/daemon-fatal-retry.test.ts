// fatalretrysecs (tsv only): a program that gave up (FATAL) is started again
// that many seconds later, with its startretries anew, for ever; what
// Supervisor users have asked for since 2014 (its issue #487) and do with a
// cron job of `supervisorctl start`. A stop calls the retry off; supervisord
// ignores the key and leaves the program FATAL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { TSV, cleanEnv, until } from './helpers/daemon-cli';
import { TempDir, load, sleep } from './helpers/daemon-env';
import { logLineMs, mainLogLines, oracleSkip, shutdownMs, startDaemon, userCtl, waitUp, type Daemon, type Impl } from './helpers/events-env';
import { processConfigsEqual } from '../src/daemon/supervisor';

/** Runs once {DIR}/ready exists; until then it ends at once (a database not up yet, a USB device not plugged in). */
const WAITER = (retry: number): string =>
  `[program:waiter]\ncommand=/bin/sh -c "test -e {DIR}/ready && exec sleep 300"\nstartretries=0\nfatalretrysecs=${retry}\n`;
/** The same without the option: Supervisor's FATAL for good. */
const PLAIN = '[program:plain]\ncommand=/bin/sh -c "test -e {DIR}/ready && exec sleep 300"\nstartretries=0\n';

/** Main-log lines (without their timestamps) that match re. */
const lines = (d: Daemon, re: RegExp): string[] => mainLogLines(d).filter((l) => re.test(l));

test('fatalretrysecs: FATAL, then started again after the wait with startretries anew, until the program stays up', async () => {
  const d = startDaemon('tsv', WAITER(1) + PLAIN);
  try {
    await waitUp(d);
    await until(() => lines(d, /spawned: 'waiter'/).length >= 3, 'three tries of waiter');
    const full = d.log().split('\n');
    // every give-up is followed by the retry a second later, not sooner
    const gaveUp = full.filter((l) => / gave up: waiter entered FATAL state/.test(l));
    const retried = full.filter((l) => / retrying: waiter, which gave up 1 seconds ago \(fatalretrysecs\)/.test(l));
    assert.ok(gaveUp.length >= 2 && retried.length >= 2, d.log());
    for (let i = 0; i < 2; i++) {
      const waited = logLineMs(retried[i] as string) - logLineMs(gaveUp[i] as string);
      assert.ok(waited >= 990 && waited < 3000, `retry ${i} came ${waited} ms after the give-up`);
    }
    // from the same reading of the log as gaveUp: a later reading may hold one more give-up
    assert.equal(full.filter((l) => /waiter will be started again in 1 seconds \(fatalretrysecs\)/.test(l)).length, gaveUp.length);
    // status while it waits: FATAL with Supervisor's words, then when it retries (without the option: Supervisor's words alone)
    await until(() => / FATAL /.test(userCtl(d, 'status', 'waiter')), 'waiter FATAL');
    assert.match(userCtl(d, 'status', 'waiter'), /^waiter +FATAL +Exited too quickly \(process log may have details\), retrying in 0:00:0[01] \(fatalretrysecs\)\n$/);
    assert.match(userCtl(d, 'status', 'plain'), /^plain +FATAL +Exited too quickly \(process log may have details\)\n$/);

    writeFileSync(d.dir.join('ready'), '');
    await until(() => / RUNNING /.test(userCtl(d, 'status', 'waiter')), 'waiter to stay up once ready', 15000);
    // the program without the option was tried once and left alone
    assert.equal(lines(d, /spawned: 'plain'/).length, 1);
    assert.match(userCtl(d, 'status', 'plain'), / FATAL /);
    // once up, no retry is pending: its deadline does not start it again
    const spawns = lines(d, /spawned: 'waiter'/).length;
    await sleep(1500);
    assert.equal(lines(d, /spawned: 'waiter'/).length, spawns);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('fatalretrysecs: stop (and stop all) call a pending retry off, STOPPED; start starts at once, once; a FATAL program without it is "not running" as in Supervisor', async () => {
  const d = startDaemon('tsv', WAITER(2) + PLAIN);
  try {
    await waitUp(d);
    await until(() => lines(d, /waiter will be started again/).length >= 1, 'the first give-up');
    assert.equal(userCtl(d, 'stop', 'waiter'), 'waiter: stopped\n');
    // called off: Supervisor's STOPPED and its time, nothing pending
    assert.match(userCtl(d, 'status', 'waiter'), /^waiter +STOPPED +[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M\n$/);
    assert.equal(userCtl(d, 'stop', 'plain'), 'plain: ERROR (not running)\n');
    assert.equal(lines(d, /stopped: waiter \(it was to be started again after FATAL; fatalretrysecs\)/).length, 1);
    await sleep(2500);
    assert.equal(lines(d, /spawned: 'waiter'/).length, 1, 'no retry after the stop');

    // stop all, as supervisorctl asks for it
    assert.match(userCtl(d, 'start', 'waiter'), /waiter: ERROR \(spawn error\)/);
    await until(() => lines(d, /waiter will be started again/).length >= 2, 'the second give-up');
    assert.equal(userCtl(d, 'stop', 'all'), 'waiter: stopped\n');
    await sleep(2500);
    assert.equal(lines(d, /spawned: 'waiter'/).length, 2);

    // a start while the retry is pending starts now, and the old deadline starts nothing more
    assert.match(userCtl(d, 'start', 'waiter'), /waiter: ERROR \(spawn error\)/);
    await until(() => lines(d, /waiter will be started again/).length >= 3, 'the third give-up');
    writeFileSync(d.dir.join('ready'), '');
    assert.equal(userCtl(d, 'start', 'waiter'), 'waiter: started\n');
    assert.equal(lines(d, /spawned: 'waiter'/).length, 4);
    await sleep(2500);
    assert.equal(lines(d, /spawned: 'waiter'/).length, 4);
    assert.match(userCtl(d, 'status', 'waiter'), / RUNNING /);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('fatalretrysecs: a pending retry does not hold up a shutdown, and a HUP reload does not carry it into the next run', async () => {
  const d = startDaemon('tsv', WAITER(300));
  try {
    await waitUp(d);
    await until(() => lines(d, /waiter will be started again in 300 seconds/).length === 1, 'the give-up');
    // the time left, counting down, in what the web page, the RPC and both ctls show
    assert.match(userCtl(d, 'status', 'waiter'), /^waiter +FATAL +Exited too quickly \(process log may have details\), retrying in 0:0(5:00|4:5\d) \(fatalretrysecs\)\n$/);
    await sleep(1100);
    const [, left] = /retrying in 0:0(\d:\d\d)/.exec(userCtl(d, 'status', 'waiter')) ?? [];
    assert.ok(left && left >= '4:50' && left <= '4:59', `${left} left after a second`);
    d.child.kill('SIGHUP');
    await until(() => lines(d, /waiter will be started again in 300 seconds/).length === 2, 'the give-up in the reloaded run');
    assert.equal(lines(d, /spawned: 'waiter'/).length, 2);
    const ms = await shutdownMs(d, 5000);
    assert.ok(ms < 3000, `shutdown took ${ms} ms`);
  } finally {
    d.cleanup();
  }
});

for (const impl of ['supervisord', 'tsv'] as Impl[]) {
  test(`fatalretrysecs under ${impl}: ${impl === 'tsv' ? 'retried' : 'ignored, FATAL for good'}`, { skip: impl === 'supervisord' ? oracleSkip : false }, async () => {
    const d = startDaemon(impl, WAITER(1));
    try {
      await waitUp(d);
      await until(() => / FATAL /.test(userCtl(d, 'status', 'waiter')), 'waiter FATAL');
      await sleep(2500);
      const tries = lines(d, /spawned: 'waiter'/).length;
      if (impl === 'supervisord') assert.equal(tries, 1);
      else assert.ok(tries >= 2, `${tries} tries`);
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
}

test('fatalretrysecs in the config: a negative value is refused with file, line, section and option; a change counts for update', () => {
  const dir = new TempDir('tsv-fatalretry-conf-');
  try {
    const bad = dir.file('bad.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nfatalretrysecs=-5\n');
    const r = spawnSync(process.execPath, [TSV, 'config', 'check', '-c', bad], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(r.status, 2);
    assert.match(r.stderr + r.stdout, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4`));
    assert.match(r.stderr + r.stdout, /\[program:x\]/);
    assert.match(r.stderr + r.stdout, /fatalretrysecs=-5 is not a number of seconds/);
    assert.match(r.stderr + r.stdout, /use 0 to leave a FATAL program alone/);

    const a = load(dir.file('a.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\n')).groups[0]?.processes[0];
    const b = load(dir.file('b.conf', '[supervisord]\n[program:x]\ncommand=/bin/true\nfatalretrysecs=60\n')).groups[0]?.processes[0];
    assert.ok(a && b);
    assert.equal(a.fatalretrysecs, 0);
    assert.equal(b.fatalretrysecs, 60);
    assert.equal(processConfigsEqual(a, b), false);
  } finally {
    dir.cleanup();
  }
});

test('fatalretrysecs: a program that put itself in the background is started again only once what it left no longer holds its output', async () => {
  const d = startDaemon('tsv', '[program:bg]\ncommand=/bin/sh -c "echo run >> {DIR}/runs; sleep 300 & echo $! > {DIR}/bg.pid"\nstartsecs=1\nfatalretrysecs=1\n');
  const runs = (): number => d.dir.read('runs').split('\n').filter(Boolean).length;
  try {
    await waitUp(d);
    await until(() => lines(d, /gave up: bg entered FATAL state, it put itself in the background/).length === 1, 'the give-up');
    assert.equal(lines(d, /bg will be started again in 1 seconds \(fatalretrysecs\), or as soon after as nothing of its last run holds its output/).length, 1);
    // three retry deadlines pass: each would have started another copy
    await sleep(3500);
    assert.equal(runs(), 1, 'no second copy while the first runs');
    process.kill(Number(d.dir.read('bg.pid')), 'SIGKILL');
    await until(() => runs() === 2, 'the retry once the copy is gone');
    assert.equal(lines(d, /retrying: bg, which gave up 1 seconds ago \(fatalretrysecs\)/).length, 1);
  } finally {
    for (const pid of d.dir.read('bg.pid').split('\n').filter(Boolean)) spawnSync('kill', ['-9', pid]);
    await d.stop();
    d.cleanup();
  }
});
