// *_logfile_rotate / logfile_rotate (tsv only): logs also rotated when an
// hour, day, week or month of local time begins (Supervisor issue #1265).
// supervisord ignores the keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { configOfX, until } from './helpers/daemon-cli';
import { TempDir } from './helpers/daemon-env';
import { FAKETIME_LIB, assertSupervisordIgnores, oracleSkip, startDaemon, userCtl, waitUp } from './helpers/events-env';
import { nextPeriodStart, periodStart, type RotatePeriod } from '../src/log/rotate-period';
import { LogFile } from '../src/log/logfile';
import { inZone } from './helpers/common';
import { loadNative, nativeLoadError } from '../src/daemon/native';
import { useLibcLocalTime } from '../src/log/asctime';

const iso = (ms: number): string => new Date(ms).toISOString();
const at = (s: string): number => Date.parse(s);
const bounds = (p: RotatePeriod, t: string): [string, string] => [iso(periodStart(p, at(t))), iso(nextPeriodStart(p, at(t)))];

test('rotation periods begin at the hour, at local midnight, on Monday and on the first of the month, across DST changes (a zone name and the same rules as a POSIX TZ) and in a :30 zone', () => {
  inZone('UTC', () => {
    assert.deepEqual(bounds('hourly', '2026-11-26T03:10:00Z'), ['2026-11-26T03:00:00.000Z', '2026-11-26T04:00:00.000Z']);
    assert.deepEqual(bounds('daily', '2026-11-26T23:59:59.999Z'), ['2026-11-26T00:00:00.000Z', '2026-11-27T00:00:00.000Z']);
    assert.deepEqual(bounds('daily', '2026-11-27T00:00:00Z'), ['2026-11-27T00:00:00.000Z', '2026-11-28T00:00:00.000Z']);
    // 2026-11-26 is a Thursday; a Sunday still belongs to the week that began on Monday
    assert.deepEqual(bounds('weekly', '2026-11-26T12:00:00Z'), ['2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
    assert.deepEqual(bounds('weekly', '2026-11-29T23:00:00Z'), ['2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
    assert.deepEqual(bounds('weekly', '2026-11-30T00:00:00Z'), ['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z']);
    assert.deepEqual(bounds('monthly', '2026-12-15T08:00:00Z'), ['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });
  inZone('Europe/Berlin', () => {
    // 29 March 2026: 02:00 CET becomes 03:00 CEST, a day of 23 hours
    assert.deepEqual(bounds('daily', '2026-03-29T10:00:00Z'), ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    assert.deepEqual(bounds('hourly', '2026-03-29T00:30:00Z'), ['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z']);
    assert.deepEqual(bounds('hourly', '2026-03-29T01:30:00Z'), ['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z']);
    // 25 October 2026: 03:00 CEST becomes 02:00 CET, the hour from 02:00 comes twice, each an hour of its own
    assert.deepEqual(bounds('hourly', '2026-10-25T00:30:00Z'), ['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z']);
    assert.deepEqual(bounds('hourly', '2026-10-25T01:30:00Z'), ['2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z']);
    assert.deepEqual(bounds('daily', '2026-10-25T12:00:00Z'), ['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
  });
  // the same rules as a POSIX TZ, which Node reads as UTC: the daemon's local time is the C library's then
  const native = loadNative();
  assert.ok(native, nativeLoadError());
  inZone('CET-1CEST,M3.5.0,M10.5.0/3', () => {
    useLibcLocalTime((s) => native.localOffset(s));
    try {
      assert.deepEqual(bounds('daily', '2026-03-28T23:00:00Z'), ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
      assert.deepEqual(bounds('daily', '2026-03-29T10:00:00Z'), ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
      assert.deepEqual(bounds('hourly', '2026-03-29T00:30:00Z'), ['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z']);
      assert.deepEqual(bounds('hourly', '2026-03-29T01:30:00Z'), ['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z']);
      assert.deepEqual(bounds('daily', '2026-10-24T22:00:00Z'), ['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
      assert.deepEqual(bounds('daily', '2026-10-25T12:00:00Z'), ['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
      assert.deepEqual(bounds('weekly', '2026-03-29T12:00:00Z'), ['2026-03-22T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    } finally {
      useLibcLocalTime(null);
    }
  });
  inZone('Asia/Kolkata', () => {
    assert.deepEqual(bounds('hourly', '2026-11-26T03:10:00Z'), ['2026-11-26T02:30:00.000Z', '2026-11-26T03:30:00.000Z']);
    assert.deepEqual(bounds('daily', '2026-11-26T03:10:00Z'), ['2026-11-25T18:30:00.000Z', '2026-11-26T18:30:00.000Z']);
  });
});

test('a log with a rotation period rotates at its first write in a new period (an empty file stays); a file last written in an earlier period rotates at the first write after it is opened', () => {
  const dir = new TempDir('tsv-rotate-period-');
  const realNow = Date.now;
  try {
    inZone('UTC', () => {
      let now = at('2030-01-01T23:59:59Z');
      Date.now = () => now;
      const f = new LogFile(dir.join('c.log'), 0, 3, undefined, null, 'daily');
      f.write('a\n');
      now = at('2030-01-01T23:59:59.900Z');
      f.write('b\n');
      assert.equal(dir.read('c.log'), 'a\nb\n');
      now = at('2030-01-02T00:00:00.500Z');
      f.write('c\n');
      assert.equal(dir.read('c.log.1'), 'a\nb\n');
      assert.equal(dir.read('c.log'), 'c\n');
      now = at('2030-01-02T23:00:00Z');
      f.write('d\n');
      assert.equal(dir.read('c.log'), 'c\nd\n');
      // a day without output, then output: one rotation, yesterday's empty file is not one
      now = at('2030-01-04T09:00:00Z');
      f.write('e\n');
      assert.equal(dir.read('c.log.1'), 'c\nd\n');
      assert.equal(dir.read('c.log.2'), 'a\nb\n');
      assert.equal(dir.read('c.log'), 'e\n');
      f.close();
      const e = new LogFile(dir.join('e.log'), 0, 3, undefined, null, 'hourly');
      now = at('2030-01-04T10:00:00Z');
      e.write('x\n');
      assert.deepEqual(readdirSync(dir.path).filter((n) => n.startsWith('e.log')), ['e.log']);
      e.close();
    });
    Date.now = realNow;
    // files on disk, by their modification times
    const yesterday = new Date(Date.now() - 86400_000);
    writeFileSync(dir.join('old.log'), 'from yesterday\n');
    utimesSync(dir.join('old.log'), yesterday, yesterday);
    writeFileSync(dir.join('empty.log'), '');
    utimesSync(dir.join('empty.log'), yesterday, yesterday);
    writeFileSync(dir.join('today.log'), 'from today\n');
    for (const name of ['old.log', 'empty.log', 'today.log']) {
      const f = new LogFile(dir.join(name), 0, 3, undefined, null, 'daily');
      f.write('new\n');
      f.close();
    }
    assert.equal(dir.read('old.log.1'), 'from yesterday\n');
    assert.equal(dir.read('old.log'), 'new\n');
    assert.equal(dir.read('empty.log'), 'new\n');
    assert.equal(dir.read('today.log'), 'from today\nnew\n');
    assert.ok(!existsSync(dir.join('empty.log.1')) && !existsSync(dir.join('today.log.1')));
  } finally {
    Date.now = realNow;
    dir.cleanup();
  }
});

test('*_logfile_rotate=daily and logfile_rotate=daily at midnight (libfaketime): a program\'s log and the main log each split at the day, backups gzipped with *_logfile_compress, nothing lost', { skip: !FAKETIME_LIB && 'needs libfaketime (apt-get install faketime)', timeout: 60000 }, async () => {
  const d = startDaemon(
    'tsv',
    '[program:talk]\ncommand=/bin/sh -c "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.2; done"\nstartsecs=0\nstdout_logfile={DIR}/talk.log\n' +
      'stdout_logfile_maxbytes=0\nstdout_logfile_backups=3\nstdout_logfile_timestamps=true\nstdout_logfile_rotate=daily\nstdout_logfile_compress=true\n',
    { env: { LD_PRELOAD: FAKETIME_LIB as string, FAKETIME: '@2030-01-01 23:59:57', TZ: 'UTC' }, supervisord: 'logfile_rotate=daily\n' },
  );
  try {
    await waitUp(d);
    const gz = d.dir.join('talk.log.1.gz');
    await until(() => existsSync(gz) && readFileSync(d.dir.join('talk.log'), 'utf8').split('\n').length > 3, 'the day\'s first rotation, gzipped', 20000);
    userCtl(d, 'stop', 'talk');
    const before = gunzipSync(readFileSync(gz)).toString().split('\n').filter(Boolean);
    const after = readFileSync(d.dir.join('talk.log'), 'utf8').split('\n').filter(Boolean);
    assert.ok(before.length >= 3 && before.every((l) => l.startsWith('2030-01-01 23:59:')), before.join('\n'));
    assert.ok(after.every((l) => l.startsWith('2030-01-02 00:00:')), after.join('\n'));
    assert.deepEqual(
      [...before, ...after].map((l) => l.slice(24)),
      Array.from({ length: before.length + after.length }, (_, i) => `line ${i + 1}`),
    );
    assert.ok(!existsSync(d.dir.join('talk.log.1')), 'the plain backup is gone once gzipped');
    // the main log: the start on the first day, the stop on the second
    await until(() => d.log().includes('stopped: talk'), 'the stop in the main log');
    const mainBefore = readFileSync(d.dir.join('supervisord.log.1'), 'utf8');
    assert.match(mainBefore, /^2030-01-01 23:59:\d\d,\d{3} [A-Z]{4} /);
    assert.match(mainBefore, / INFO supervisord started with pid /);
    assert.ok(mainBefore.split('\n').filter(Boolean).every((l) => l.startsWith('2030-01-01 ')), mainBefore);
    assert.ok(d.log().split('\n').filter(Boolean).every((l) => l.startsWith('2030-01-02 ')), d.log());
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('supervisord ignores *_logfile_rotate and logfile_rotate', { skip: oracleSkip }, () =>
  assertSupervisordIgnores('stdout_logfile_rotate=daily\nstderr_logfile_rotate=hourly\n', 'logfile_rotate=weekly\n'),
);

test('*_logfile_rotate and logfile_rotate in the config: hourly, daily, weekly, monthly or none; errors name file and line; warnings where it has no effect; config show', () => {
  const dir = new TempDir('tsv-rotate-conf-');
  try {
    const run = (lines: string, ...args: string[]) => configOfX(dir, lines, ...args);
    const bad = run('stdout_logfile_rotate=nightly\n', 'check');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /x\.conf:4: \[program:x\] stdout_logfile_rotate: not a valid rotation period: 'nightly'/);
    assert.match(bad.stderr, /use hourly, daily, weekly, monthly or none/);
    const noEffect = (lines: string, why: string): void => {
      const r = run(lines, 'check');
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stderr.includes(`has no effect: ${why}\n`), r.stderr);
    };
    noEffect('stderr_logfile=NONE\nstderr_logfile_rotate=daily\n', 'there is no stderr log file (stderr_logfile=NONE)');
    noEffect('redirect_stderr=true\nstderr_logfile_rotate=Weekly\n', 'stderr goes to the stdout log (redirect_stderr=true), for which stdout_logfile_rotate decides');
    // compression of backups rotated by time alone
    const quiet = run('stdout_logfile_rotate=hourly\nstdout_logfile_maxbytes=0\nstdout_logfile_compress=true\nstderr_logfile_rotate=none\n', 'check');
    assert.equal(quiet.stderr, '');
    noEffect('stdout_logfile_maxbytes=0\nstdout_logfile_compress=true\n', 'the log is not rotated into backups (stdout_logfile_backups must be more than 0, and stdout_logfile_maxbytes more than 0 or stdout_logfile_rotate set)');
    const shown = run('stdout_logfile_rotate=monthly\n', 'show');
    assert.match(shown.stdout, /\n  stdout_logfile_rotate +monthly  \(\S+x\.conf:4\)\n/);
    assert.match(shown.stdout, /\n  stderr_logfile_rotate +none  \(default\)\n/);
  } finally {
    dir.cleanup();
  }
});
