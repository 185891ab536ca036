// rlimit_* (tsv only): a program's own resource limits, set by the child
// before it switches to user=, read back from the program's /proc/self/limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cleanEnv, configOfX, TSV, until } from './helpers/daemon-cli';
import { TempDir } from './helpers/daemon-env';
import { oracleSkip, startDaemon, userCtl, waitUp, type Impl } from './helpers/events-env';
import { parseRlimit, rlimitText } from '../src/config/rlimits';

const root = process.getuid?.() === 0;

/** The daemon's (this process's) own hard limit of open files: a program may get up to it without privilege. */
function hardNofile(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files')) as string;
  return Number(line.split(/\s{2,}/)[2]);
}

/** soft and hard of one line of a /proc/PID/limits text */
function limitsOf(text: string, what: string): [string, string] {
  const line = text.split('\n').find((l) => l.startsWith(what));
  assert.ok(line, `no ${what} in ${text}`);
  const cells = line.split(/\s{2,}/);
  return [cells[1] as string, cells[2] as string];
}

test('rlimit_* values: N for soft and hard, SOFT:HARD, infinity or unlimited, sizes where the limit is in bytes; what is refused', () => {
  assert.deepEqual(parseRlimit('nofile', '65536'), { name: 'nofile', soft: 65536, hard: 65536 });
  assert.deepEqual(parseRlimit('nofile', ' 1024 : 65536 '), { name: 'nofile', soft: 1024, hard: 65536 });
  assert.deepEqual(parseRlimit('core', 'infinity'), { name: 'core', soft: null, hard: null });
  assert.deepEqual(parseRlimit('core', '0:Unlimited'), { name: 'core', soft: 0, hard: null });
  assert.deepEqual(parseRlimit('memlock', '64MB'), { name: 'memlock', soft: 64 << 20, hard: 64 << 20 });
  assert.deepEqual(parseRlimit('core', '9223372036854775807'), { name: 'core', soft: 2 ** 63, hard: 2 ** 63 });
  assert.equal(rlimitText(parseRlimit('memlock', '1024:64MB')), 'rlimit_memlock=1KB:64MB');
  assert.equal(rlimitText(parseRlimit('nofile', '1024:infinity')), 'rlimit_nofile=1024:infinity');
  for (const [name, bad, why] of [
    ['nofile', '64MB', /is not a limit \(invalid literal for int\(\)/],
    ['nofile', '-1', /cannot be negative/],
    ['nofile', '1:2:3', /is not a limit/],
    ['nofile', '', /is not a limit/],
    ['nofile', '100:10', /the soft limit 100 is above the hard limit 10/],
    ['core', 'infinity:0', /the soft limit infinity is above the hard limit 0/],
    // RLIM_INFINITY's value as some tools print it, and anything else a spawn could not set
    ['core', '18446744073709551615', /18446744073709551615 is above the largest limit, 9223372036854775807: write infinity for none/],
    ['nofile', '1024:99999999999999999999999', /is above the largest limit/],
    ['fsize', '17179869185GB', /is above the largest limit/],
  ] as const) {
    assert.throws(() => parseRlimit(name, bad), (e: Error & { hint?: string }) => why.test(e.message) && /^rlimit_\w+ takes /.test(e.hint ?? ''), `${name}=${bad}`);
  }
  assert.throws(() => parseRlimit('rtprio', '10', 'darwin'), /rlimit_rtprio is a limit of Linux only/);
  assert.deepEqual(parseRlimit('rtprio', '10', 'linux'), { name: 'rtprio', soft: 10, hard: 10 });
});

test('rlimit_* in the config: errors name file, line, section and option; config show lists them; a misspelt one is an unknown key', () => {
  const dir = new TempDir('tsv-rlimits-conf-');
  try {
    const bad = configOfX(dir, 'rlimit_nofile=lots\n', 'check');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /x\.conf:4: \[program:x\] rlimit_nofile: "lots" is not a limit/);
    assert.match(bad.stderr, /rlimit_nofile takes open files: a number \(soft and hard\), SOFT:HARD, or infinity; e\.g\. rlimit_nofile=65536/);
    const shown = configOfX(dir, 'rlimit_core=infinity\nrlimit_nofile=1024:4096\n', 'show');
    assert.equal(shown.status, 0, shown.stderr);
    // where the first of them in rlimit_nofile, rlimit_nproc, … order was written
    assert.match(shown.stdout, /\n {2}rlimits +rlimit_nofile=1024:4096, rlimit_core=infinity {2}\(\S+x\.conf:5\)\n/);
    assert.match(configOfX(dir, '', 'show').stdout, /\n {2}rlimits +none {2}\(default\)\n/);
    const typo = configOfX(dir, 'rlimit_files=10\n', 'check');
    assert.equal(typo.status, 0);
    assert.match(typo.stderr, /x\.conf:4: .*rlimit_files/);
  } finally {
    dir.cleanup();
  }
});

test('rlimit_*: the program runs with its limits, as the user it switches to; a limit it cannot have fails the spawn with the reason in its log', { skip: root ? false : 'needs root (user=nobody)' }, async () => {
  const hard = hardNofile();
  const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8'));
  const d = startDaemon(
    'tsv',
    "[program:lim]\ncommand=/bin/sh -c 'cat /proc/self/limits; id -u; exec sleep 100'\nstartsecs=0\nuser=nobody\n" +
      `rlimit_nofile=512:${hard - 1}\nrlimit_core=0:infinity\nrlimit_stack=4MB\nstdout_logfile={DIR}/lim.out\n` +
      `[program:plain]\ncommand=/bin/sh -c 'cat /proc/self/limits; exec sleep 100'\nstartsecs=0\nstdout_logfile={DIR}/plain.out\n` +
      `[program:toomuch]\ncommand=/bin/sleep 100\nstartretries=0\nrlimit_nofile=${nrOpen + 1}\nstderr_logfile={DIR}/toomuch.err\n`,
  );
  try {
    await waitUp(d);
    const out = d.dir.join('lim.out');
    await until(() => existsSync(out) && /^65534$/m.test(readFileSync(out, 'utf8')), 'lim to print its limits');
    const text = readFileSync(out, 'utf8');
    assert.deepEqual(limitsOf(text, 'Max open files'), ['512', String(hard - 1)]);
    assert.deepEqual(limitsOf(text, 'Max core file size'), ['0', 'unlimited']);
    assert.deepEqual(limitsOf(text, 'Max stack size'), [String(4 << 20), String(4 << 20)]);
    // a program without rlimit_* has the daemon's
    await until(() => existsSync(d.dir.join('plain.out')) && readFileSync(d.dir.join('plain.out'), 'utf8').includes('Max open files'), 'plain');
    const own = readFileSync('/proc/self/limits', 'utf8');
    assert.deepEqual(limitsOf(readFileSync(d.dir.join('plain.out'), 'utf8'), 'Max open files'), limitsOf(own, 'Max open files'));
    // past nr_open nobody may go: the child says so and exits 127, as for a failed setuid
    await until(() => / FATAL /.test(userCtl(d, 'status', 'toomuch')), 'toomuch to give up');
    assert.equal(
      readFileSync(d.dir.join('toomuch.err'), 'utf8'),
      `supervisor: couldn't set rlimit_nofile=${nrOpen + 1}: EPERM (above /proc/sys/fs/nr_open, or above the daemon's hard limit, which only root may raise)\n` +
        'supervisor: child process was not spawned\n',
    );
  } finally {
    await d.stop();
    d.cleanup();
  }
});

for (const impl of ['tsv', 'supervisord'] as Impl[]) {
  test(`rlimit_* against ${impl}: ${impl === 'tsv' ? 'a changed limit makes reread say the program changed' : 'supervisord ignores the keys and runs the program'}`, { skip: impl === 'supervisord' ? oracleSkip : false }, async () => {
    const body = (core: string): string => `[program:p]\ncommand=/bin/sleep 100\nstartsecs=0\nrlimit_core=${core}\nrlimit_nofile=256\n`;
    const d = startDaemon(impl, body('0'));
    try {
      await waitUp(d);
      await until(() => / RUNNING /.test(userCtl(d, 'status', 'p')), 'p to run');
      if (impl === 'tsv') {
        d.rewrite(body('0'));
        assert.equal(userCtl(d, 'reread'), 'No config updates to processes\n');
        d.rewrite(body('infinity'));
        assert.equal(userCtl(d, 'reread'), 'p: changed\n');
      }
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
}

test('minfds above a hard limit the daemon may not raise: supervisord\'s words (and its number), then a hint with the real limit and where to raise it', { skip: root && existsSync('/usr/bin/setpriv') && existsSync('/usr/bin/prlimit') ? false : 'needs root, setpriv and prlimit (to take CAP_SYS_RESOURCE away)' }, () => {
  const dir = new TempDir();
  try {
    const conf = dir.file('c.conf', `[supervisord]\nlogfile=${dir.join('m.log')}\npidfile=${dir.join('p.pid')}\nminfds=8192\n[program:a]\ncommand=sleep 1\n`);
    // a hard limit of 4096, and no capability to raise it (a default container's lot)
    const jail = ['--nofile=1024:4096', 'setpriv', '--bounding-set', '-sys_resource', '--inh-caps', '-sys_resource'];
    const run = (argv: string[]): SpawnSyncReturns<string> => spawnSync('prlimit', [...jail, ...argv, '-n', '-c', conf], { encoding: 'utf8', env: cleanEnv(), timeout: 30000 });
    const ours = run([process.execPath, TSV, 'daemon']);
    assert.equal(ours.status, 2, ours.stderr);
    const [first, hint] = ours.stderr.split('\n');
    assert.match(first as string, /^Error: The minimum number of file descriptors required to run this process is 8192 .* will only allow you to open 8192 file descriptors\./);
    assert.equal(
      hint,
      '  hint: the hard limit here is 4096 and may not be raised by this process (setrlimit: EPERM; raising it needs root\'s CAP_SYS_RESOURCE): ' +
        'raise it before the daemon starts (LimitNOFILE= in a systemd unit, ulimit -Hn in what starts the daemon, --ulimit nofile= for a container), or lower [supervisord] minfds= to at most 4096',
    );
    if (existsSync('/usr/bin/supervisord')) {
      const theirs = run(['/usr/bin/supervisord']);
      assert.equal(theirs.status, 2, theirs.stderr);
      assert.equal(theirs.stderr.split('\n')[0], first);
    }
  } finally {
    dir.cleanup();
  }
});

test('minfds above the kernel\'s fs.nr_open: the hint names the sysctl, which no capability passes', { skip: existsSync('/proc/sys/fs/nr_open') ? false : 'no /proc/sys/fs/nr_open' }, () => {
  const dir = new TempDir();
  try {
    const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'latin1').trim());
    const conf = dir.file('c.conf', `[supervisord]\nlogfile=${dir.join('m.log')}\npidfile=${dir.join('p.pid')}\nminfds=${nrOpen + 1}\n[program:a]\ncommand=sleep 1\n`);
    const r = spawnSync(process.execPath, [TSV, 'daemon', '-n', '-c', conf], { encoding: 'utf8', env: cleanEnv(), timeout: 30000 });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.split('\n');
    assert.match(lines[0] as string, new RegExp(`^Error: The minimum number of file descriptors required to run this process is ${nrOpen + 1} `));
    assert.match(
      lines[1] as string,
      new RegExp(`^ {2}hint: the kernel lets no process open more than ${nrOpen} files \\(sysctl fs\\.nr_open; setrlimit: E[A-Z]+\\): lower \\[supervisord\\] minfds= to at most ${nrOpen}, or raise fs\\.nr_open first$`),
    );
  } finally {
    dir.cleanup();
  }
});
