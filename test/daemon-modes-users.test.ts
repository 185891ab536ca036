// Modes and users where they meet the kernel, side by side with supervisord:
// a control socket's chmod= that is negative or -0 (handed to chmod(2) as
// Python hands a C int over), modes and umasks too large for a C int
// (supervisord fails late with a traceback; tsv refuses them with file and
// line), the user a failed socket chown names once privileges are dropped,
// and a stale pidfile the dropped daemon cannot replace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { TempDir } from './helpers/daemon-env';
import { TSV, cleanEnv, killTree, until } from './helpers/daemon-cli';
import { SUPERVISORD, haveSupervisord } from './helpers/daemon-oracle';

const skip = haveSupervisord() && process.getuid?.() === 0 ? false : 'needs /usr/bin/supervisord and root';
const impls = [
  { name: 'supervisord', argv: (conf: string) => [SUPERVISORD, '-n', '-c', conf] },
  { name: 'tsv', argv: (conf: string) => [process.execPath, TSV, 'daemon', '-n', '-c', conf] },
] as const;

function config(dir: TempDir, unixExtra: string, supervisordExtra = '', body = ''): string {
  return dir.file(
    'sv.conf',
    `[unix_http_server]\nfile=${dir.join('s.sock')}\n${unixExtra}\n` +
      `[supervisord]\nlogfile=${dir.join('main.log')}\npidfile=${dir.join('sd.pid')}\n${supervisordExtra}\n` +
      '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n' +
      body,
  );
}

/** Starts a daemon in the foreground until `ready` holds (or it exits), then ends it. */
async function runUntil(argv: readonly string[], ready: () => boolean): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(argv[0] as string, argv.slice(1), { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let code: number | null = null;
  void exited.then((c) => (code = c));
  try {
    await until(() => ready() || child.exitCode !== null || child.signalCode !== null, 'the daemon to be ready or gone', 20000);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
      if (child.exitCode === null) killTree(child.pid as number);
    }
  }
  await exited;
  return { code, stderr };
}

test('chmod= of -0, -1 and -7 gives the socket the mode supervisord gives it (chmod(2) of the C int); no abort', { skip }, async () => {
  for (const value of ['-0', '-1', '-7']) {
    const modes: string[] = [];
    for (const impl of impls) {
      const dir = new TempDir('tsv-modes-');
      try {
        const conf = config(dir, `chmod=${value}`);
        let mode = '';
        const sock = dir.join('s.sock');
        const r = await runUntil(impl.argv(conf), () => {
          if (!existsSync(sock) || !readFileSync(dir.join('main.log'), 'utf8').includes('supervisord started')) return false;
          mode = (statSync(sock).mode & 0o7777).toString(8);
          return true;
        });
        assert.notEqual(mode, '', `${impl.name} chmod=${value}: no socket (exit ${r.code}): ${r.stderr}`);
        modes.push(mode);
      } finally {
        dir.cleanup();
      }
    }
    assert.equal(modes[1], modes[0], `chmod=${value}: tsv's socket mode against supervisord's`);
  }
});

test('a chmod= or umask= too large for a C int: supervisord fails on it late, tsv refuses the config naming file, line and option', { skip }, async () => {
  for (const [section, line] of [
    ['unix', 'chmod=37777777777'],
    ['supervisord', 'umask=40000000000'],
  ] as const) {
    const dir = new TempDir('tsv-modes-');
    try {
      const conf = section === 'unix' ? config(dir, line) : config(dir, '', line);
      const py = spawnSync(SUPERVISORD, ['-c', conf], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
      const ts = spawnSync(process.execPath, [TSV, 'daemon', '-c', conf], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
      // supervisord: a traceback in the foreground, a daemon that dies unseen once forked
      if (section === 'unix') assert.match(py.stderr, /OverflowError: Python int too large to convert to C int/);
      assert.equal(ts.status, 2, ts.stderr);
      const option = line.split('=')[0] as string;
      assert.match(ts.stderr, new RegExp(`${conf.replace(/[.]/g, '\\.')}:\\d+: \\[(unix_http_server|supervisord)\\] ${option}`));
      assert.match(ts.stderr, /is out of range for a mode or umask \(supervisord fails on it: Python int too large to convert to C int\)/);
      assert.doesNotMatch(ts.stderr, /Assertion failed|node::/);
    } finally {
      spawnSync('pkill', ['-f', dir.path]);
      dir.cleanup();
    }
  }
});

test("a socket chown= the dropped daemon may not make names that user ([supervisord] user=), not the launcher's $USER, as supervisord does", { skip }, async () => {
  const lines: string[] = [];
  for (const impl of impls) {
    const dir = new TempDir('tsv-modes-');
    try {
      chmodSync(dir.path, 0o777);
      const conf = config(dir, 'chown=root', 'user=nobody');
      const r = await runUntil(impl.argv(conf), () => false);
      const line = r.stderr.split('\n').find((l) => l.startsWith('Error: Not permitted to chown')) ?? r.stderr;
      lines.push(line.replace(dir.path, '<DIR>'));
      assert.equal(r.code, 2, `${impl.name}: ${r.stderr}`);
    } finally {
      dir.cleanup();
    }
  }
  assert.match(lines[0] as string, /the current user \(nobody\) can successfully chown$/);
  assert.equal(lines[1], lines[0]);
});

test('a stale pidfile the dropped daemon cannot replace is not said to be replaced; supervisord and tsv both say they could not write it', { skip }, async () => {
  const logs: string[] = [];
  for (const impl of impls) {
    const dir = new TempDir('tsv-modes-');
    try {
      chmodSync(dir.path, 0o777);
      const conf = config(dir, '', 'user=nobody');
      writeFileSync(dir.join('sd.pid'), '999999\n', { mode: 0o644 });
      chownSync(dir.join('sd.pid'), 0, 0);
      // the directory stays root's with the sticky bit: nobody may not remove root's file
      chmodSync(dir.path, 0o1777);
      const log = dir.join('main.log');
      await runUntil(impl.argv(conf), () => existsSync(log) && /could not write pidfile|supervisord started/.test(readFileSync(log, 'utf8')));
      const text = readFileSync(log, 'utf8');
      logs.push(text);
      assert.match(text, /CRIT could not write pidfile /, impl.name);
      assert.equal(readFileSync(dir.join('sd.pid'), 'utf8'), '999999\n', `${impl.name}: the file stays as it was`);
    } finally {
      dir.cleanup();
    }
  }
  assert.doesNotMatch(logs[1] as string, /replacing stale pidfile/);
});

test('user= with a group or empty: the hint says what user= takes, not a useradd that cannot work', () => {
  const dir = new TempDir('tsv-modes-');
  try {
    for (const value of ['a:b', '']) {
      const conf = dir.file('u.conf', `[supervisord]\nlogfile=${dir.join('main.log')}\n[program:x]\ncommand=/bin/true\nuser=${value}\n`);
      const r = spawnSync(process.execPath, [TSV, 'daemon', '-n', '-c', conf], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 2);
      assert.match(r.stderr, new RegExp(`^Error: .*u\\.conf:5: \\[program:x\\] user: Invalid user name ${value}\\n  hint: user= takes one user name or uid, with no group`));
      assert.doesNotMatch(r.stderr, /useradd/);
    }
  } finally {
    dir.cleanup();
  }
});

test("a restart to a [supervisord] user= the dropped daemon cannot become is refused with nothing stopped, as a config that no longer loads is (supervisord stops everything, then exits)", { skip }, async () => {
  const dir = new TempDir('tsv-modes-');
  try {
    chmodSync(dir.path, 0o1777);
    const conf = config(dir, '', 'user=nobody', `[supervisorctl]\nserverurl=unix://${dir.join('s.sock')}\n[program:p]\ncommand=/bin/sleep 100007\nstartsecs=0\n`);
    const ctl = (...args: string[]) => spawnSync(process.execPath, [TSV, 'ctl', '-c', conf, ...args], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
    const log = dir.join('main.log');
    let checked = false;
    await runUntil([process.execPath, TSV, 'daemon', '-n', '-c', conf], () => {
      if (!existsSync(log) || !/success: p entered RUNNING/.test(readFileSync(log, 'utf8'))) return false;
      const pid = ctl('pid', 'p').stdout.trim();
      writeFileSync(conf, readFileSync(conf, 'utf8').replace('user=nobody', 'user=daemon'));
      const r = ctl('reload');
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.equal(
        r.stdout,
        "ERROR: CANT_REREAD: restart refused, nothing was stopped: the configuration names [supervisord] user=daemon, and a daemon that runs as nobody cannot become that user (Can't drop privilege as nonroot user)\n",
      );
      assert.equal(ctl('pid', 'p').stdout.trim(), pid, 'p still runs, the same process');
      checked = true;
      return true;
    });
    assert.ok(checked, readFileSync(log, 'utf8'));
  } finally {
    dir.cleanup();
  }
});

test("a [supervisord] directory= the dropped daemon may not enter: the same CRIT line as supervisord's, in Python's words", { skip }, async () => {
  const lines: string[] = [];
  for (const impl of impls) {
    const dir = new TempDir('tsv-modes-');
    try {
      chmodSync(dir.path, 0o1777);
      const closed = dir.join('rootonly');
      spawnSync('mkdir', ['-m', '0700', closed]);
      const conf = config(dir, '', `user=nobody\ndirectory=${closed}`);
      const argv = impl.argv(conf).filter((a) => a !== '-n');
      spawnSync(argv[0] as string, argv.slice(1), { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
      const log = dir.join('main.log');
      await until(() => existsSync(log) && /can't chdir into/.test(readFileSync(log, 'utf8')), `${impl.name}: the chdir line`, 20000);
      lines.push((readFileSync(log, 'utf8').split('\n').find((l) => l.includes("can't chdir into")) ?? '').replace(/^\S+ \S+ /, '').replaceAll(dir.path, '<DIR>'));
      await until(() => existsSync(dir.join('sd.pid')), `${impl.name}: its pidfile`, 20000);
      process.kill(Number(readFileSync(dir.join('sd.pid'), 'utf8')), 'SIGTERM');
      await until(() => !existsSync(dir.join('sd.pid')), `${impl.name}: gone`, 20000);
    } finally {
      dir.cleanup();
    }
  }
  assert.equal(lines[0], "CRIT can't chdir into '<DIR>/rootonly': [Errno 13] Permission denied: '<DIR>/rootonly'");
  assert.equal(lines[1], lines[0]);
});
