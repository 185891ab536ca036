// stdout_logfile_prefix / stderr_logfile_prefix (tsv only): each line of a
// child log file begins with a text such as the process's name, so programs
// sharing the daemon's stdout in a container can be told apart (Supervisor
// issues #1201 and #1326). On a log that is not a regular file a line is
// written only once it has ended, so lines of programs sharing it stay whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { configOfX, daemonForeground, until } from './helpers/daemon-cli';
import { TempDir } from './helpers/daemon-env';
import { assertSupervisordIgnores, oracleSkip, startDaemon, userCtl, waitUp } from './helpers/events-env';
import { LineStamps } from '../src/log/line-stamps';
import { ChannelLog, HELD_LINE_MAX } from '../src/log/childlog';
import { MainLogger } from '../src/log/mainlog';
import { Level } from '../src/log/levels';
import { asctime } from '../src/log/asctime';

const STAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /;

test('LineStamps with a prefix: the prefix and one space begin each line, after the time when both are on; a line split across chunks gets one', () => {
  const t = Date.UTC(2026, 10, 26, 6, 0, 0, 1);
  const p = new LineStamps(() => t, false, { time: false, prefix: 'web_1 |' });
  assert.equal(p.apply(Buffer.from('one\ntw')).toString(), 'web_1 | one\nweb_1 | tw');
  assert.equal(p.apply(Buffer.from('o\n\u00e9t\u00e9\n')).toString(), 'o\nweb_1 | \u00e9t\u00e9\n');
  assert.equal(p.stamp().toString(), 'web_1 | ');
  const both = new LineStamps(() => t, true, { time: true, prefix: '[\u00e9]' });
  assert.equal(both.apply(Buffer.from('x\n')).toString(), `\n${asctime(t)} [\u00e9] x\n`);
  assert.equal(both.stamp().toString(), `${asctime(t)} [\u00e9] `);
});

/**
 * A FIFO read by `cat` into a file (a pipe holds 64 KiB, so a reader must keep
 * up), and held open for writing by the test, so `cat` sees no end between
 * the test's writers.
 */
function fifo(dir: TempDir, name: string): { path: string; fd: number; text: () => string; arrived: (act: () => void) => Promise<string>; close: () => Promise<void> } {
  const path = dir.join(name);
  const out = dir.join(`${name}.out`);
  execFileSync('mkfifo', [path]);
  const cat = spawn('/bin/sh', ['-c', 'exec cat "$0" > "$1"', path, out], { stdio: 'ignore' });
  const ended = new Promise<void>((r) => cat.on('exit', () => r()));
  const fd = openSync(path, constants.O_WRONLY);
  let taken = 0;
  let marks = 0;
  const all = (): string => (existsSync(out) ? readFileSync(out, 'utf8') : '');
  return {
    path,
    fd,
    text: all,
    // what `act` wrote, once through: a marker the test writes after it has come out
    arrived: async (act) => {
      act();
      const mark = `<mark ${++marks}>`;
      writeSync(fd, mark);
      await until(() => all().endsWith(mark), 'the FIFO to pass on what was written');
      const s = all();
      const got = s.slice(taken, s.length - mark.length);
      taken = s.length;
      return got;
    },
    // a writer left open (a failed test's channel) would keep cat waiting
    close: async () => {
      closeSync(fd);
      cat.kill();
      await ended;
    },
  };
}

function channel(logfile: string, prefix: string | null, timestamps = false): ChannelLog {
  const main = new MainLogger(Level.INFO);
  main.setSinks([]);
  return new ChannelLog(
    { processName: 'p', channel: 'stdout', logfile, maxbytes: 0, backups: 0, syslog: false, timestamps, prefix, gzip: null, rotate: null, captureMaxbytes: 0, stripAnsi: () => false, ident: 'tsv' },
    main,
    { output: () => undefined, communication: () => undefined },
  );
}

test('a prefixed channel keeps an unfinished line back from a log that is not a regular file: written with its end, at HELD_LINE_MAX, or when the channel closes; a regular file gets it at once', async () => {
  const dir = new TempDir('tsv-prefix-');
  const f = fifo(dir, 'shared');
  try {
    const ch = channel(f.path, 'a |');
    assert.equal(await f.arrived(() => ch.feed(Buffer.from('one\ntw'))), 'a | one\n');
    assert.equal(await f.arrived(() => ch.feed(Buffer.from('o and'))), '');
    assert.equal(await f.arrived(() => ch.feed(Buffer.from(' more\nthr'))), 'a | two and more\n');
    // a line longer than HELD_LINE_MAX goes out in pieces; the head only on its first
    assert.equal(await f.arrived(() => ch.feed(Buffer.alloc(HELD_LINE_MAX, 'x'))), `a | thr${'x'.repeat(HELD_LINE_MAX)}`);
    assert.equal(await f.arrived(() => ch.feed(Buffer.from('y\nlast'))), 'y\n');
    assert.equal(await f.arrived(() => ch.close()), 'a | last');

    // without a prefix or time, nothing is held (Supervisor's behaviour)
    const plain = channel(f.path, null);
    assert.equal(await f.arrived(() => plain.feed(Buffer.from('half'))), 'half');
    plain.close();

    const file = dir.join('regular.log');
    const reg = channel(file, 'a |', true);
    reg.feed(Buffer.from('one\ntw'));
    assert.match(dir.read('regular.log'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} a \| one\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} a \| tw$/);
    reg.close();
  } finally {
    await f.close();
    dir.cleanup();
  }
});

test('*_logfile_prefix in a container: programs sharing the daemon\'s stdout, one writing its lines in two pieces, another whole lines in between; every line arrives whole with its own prefix, %(process_name)s per numprocs worker, stderr its own, the time first', async () => {
  const dir = new TempDir('tsv-prefix-d-');
  // slow: each line in two writes 0.2 s apart; fast: whole lines every 0.05 s, so some land while a slow line is unfinished
  const slow = dir.file('slow.sh', 'for i in 1 2 3 4 5; do printf "$1-$i-begin "; sleep 0.2; printf "end\\n"; done; printf "$1-err\\n" >&2; exec sleep 100\n');
  const fast = dir.file('fast.sh', 'for i in $(seq 1 25); do echo "fast-$i"; sleep 0.05; done; exec sleep 100\n');
  const conf = dir.file(
    'supervisord.conf',
    `[supervisord]\nlogfile=${dir.join('main.log')}\npidfile=${dir.join('s.pid')}\n` +
      `[unix_http_server]\nfile=${dir.join('s.sock')}\n` +
      '[program:slow]\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=2\n' +
      `command=/bin/sh ${slow} %(program_name)s_%(process_num)d\nstartsecs=0\n` +
      'stdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nstdout_logfile_prefix=[%(process_name)s]\n' +
      'stderr_logfile=/dev/stdout\nstderr_logfile_maxbytes=0\nstderr_logfile_prefix=[%(process_name)s:err]\n' +
      `[program:fast]\ncommand=/bin/sh ${fast}\nstartsecs=0\n` +
      'stdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nstdout_logfile_prefix=%(program_name)s |\nstdout_logfile_timestamps=true\n',
  );
  // the daemon's stdout a FIFO, as a container's is a pipe
  const f = fifo(dir, 'stdout');
  const d = daemonForeground(['-s', '-c', conf], [], {}, f.fd);
  try {
    const all = (): boolean => ['[slow_1:err] slow_1-err\n', '[slow_0:err] slow_0-err\n', 'fast-25\n'].every((s) => f.text().includes(s));
    await until(all, 'all output', 15000);
    const lines = f.text().trimEnd().split('\n');
    const seen = new Map<string, number>();
    for (const l of lines) {
      const m = /^(?:\[(slow_[01])\] \1-\d-begin end|\[(slow_[01]):err\] \2-err|(fast) \| fast-\d+)$/.exec(l.replace(STAMP, ''));
      assert.ok(m, `a line not whole or not its own: ${JSON.stringify(l)}\n${f.text()}`);
      const who = m[1] ?? (m[2] ? `${m[2]}:err` : m[3]);
      seen.set(who, (seen.get(who) ?? 0) + 1);
      assert.equal(STAMP.test(l), who === 'fast', l);
    }
    assert.deepEqual(Object.fromEntries([...seen].sort()), { fast: 25, slow_0: 5, 'slow_0:err': 1, slow_1: 5, 'slow_1:err': 1 });
  } finally {
    await d.terminate();
    await f.close();
    dir.cleanup();
  }
});

test('*_logfile_prefix on a regular file: tail shows it; the prefix of a stopped program\'s unfinished last line is written when it exits', { skip: oracleSkip }, async () => {
  const d = startDaemon(
    'tsv',
    "[program:p]\ncommand=/bin/sh -c \"printf 'one\\ntwo'; sleep 0.3\"\nstartsecs=0\nautorestart=false\nstdout_logfile={DIR}/p.log\nstdout_logfile_prefix=p:\n",
  );
  try {
    await waitUp(d);
    await until(() => / EXITED /.test(userCtl(d, 'status', 'p')), 'p to exit');
    assert.equal(d.dir.read('p.log'), 'p: one\np: two');
    assert.match(userCtl(d, 'tail', 'p'), /^p: one\np: two\n?$/);
  } finally {
    await d.stop();
    d.cleanup();
  }
});

test('*_logfile_prefix in the config: expansions with %(process_name)s, a control character refused with file and line, warnings where it has no effect; config show', () => {
  const dir = new TempDir('tsv-prefix-conf-');
  try {
    const run = (lines: string, ...args: string[]) => configOfX(dir, lines, ...args);
    const bad = run('stdout_logfile_prefix=a\n  b\n', 'check');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /x\.conf:4: \[program:x\] stdout_logfile_prefix: stdout_logfile_prefix="a\\nb": a line break or another control character cannot begin each line\n/);
    assert.match(bad.stderr, /hint: e\.g\. stdout_logfile_prefix=%\(process_name\)s \|/);
    const unknown = run('stdout_logfile_prefix=%(nope)s\n', 'check');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /x\.conf:4: \[program:x\] stdout_logfile_prefix: %\(nope\)s cannot be expanded here/);
    assert.match(unknown.stderr, /process_name/);
    const none = run('stdout_logfile=NONE\nstdout_logfile_prefix=x\n', 'check');
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stderr, /x\.conf:5: \[program:x\] stdout_logfile_prefix: For \[program:x\], stdout_logfile_prefix=x has no effect: there is no stdout log file \(stdout_logfile=NONE\)\n/);
    const merged = run('redirect_stderr=true\nstderr_logfile_prefix=e\n', 'check');
    assert.match(merged.stderr, /stderr_logfile_prefix=e has no effect: stderr goes to the stdout log \(redirect_stderr=true\), for which stdout_logfile_prefix decides\n/);
    const shown = run('process_name=%(program_name)s_%(process_num)d\nnumprocs=2\nstdout_logfile_prefix=%(process_name)s@%(host_node_name)s |\n', 'show', '--json');
    assert.equal(shown.status, 0, shown.stderr);
    const host = execFileSync('uname', ['-n'], { encoding: 'utf8' }).trim();
    const json = JSON.parse(shown.stdout) as { groups: { processes: Record<string, unknown>[] }[] };
    assert.deepEqual(
      json.groups[0].processes.map((p) => [p.name, p.stdout_logfile_prefix, p.stderr_logfile_prefix]),
      [
        ['x_0', `x_0@${host} |`, null],
        ['x_1', `x_1@${host} |`, null],
      ],
    );
    assert.equal(run('stdout_logfile_prefix=   \n', 'check').stderr, '');
  } finally {
    dir.cleanup();
  }
});

test('supervisord ignores *_logfile_prefix', { skip: oracleSkip }, () => assertSupervisordIgnores('stdout_logfile_prefix=%(program_name)s |\nstderr_logfile_prefix=err\n'));
