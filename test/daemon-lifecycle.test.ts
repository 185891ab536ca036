// The daemon as users run it: flags, daemonizing with readiness, -n, the
// pidfile, signals (TERM/INT, HUP reload, USR2 reopen), the control socket's
// link-and-probe bind (stale cleanup after kill -9, refusing to steal a live
// socket) and its re-creation after deletion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync, chmodSync, mkdirSync, lstatSync, statSync, copyFileSync, readlinkSync } from 'node:fs';
import { TempDir, pidAlive, sleep, switchesOver, withTimeout } from './helpers/daemon-env';
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createServer } from 'node:net';
import { daemonSync, daemonForeground, readPid, until, killTree, cleanEnv, TSV } from './helpers/daemon-cli';
import { freePort, listeningTcp, repoRoot } from './helpers/common';
import { join } from 'node:path';
import { pidfilePid } from '../src/daemon/pidfile';

function conf(dir: TempDir, programs: string, extra = ''): string {
  return dir.file(
    'supervisord.conf',
    `[supervisord]\nlogfile=${dir.join('supervisord.log')}\npidfile=${dir.join('supervisord.pid')}\nchildlogdir=${dir.path}\n${extra}\n` +
      `[unix_http_server]\nfile=${dir.join('s.sock')}\n` +
      '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n' +
      programs,
  );
}

async function stopDaemon(pidfile: string): Promise<void> {
  if (!existsSync(pidfile)) return;
  const pid = readPid(pidfile);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  await until(() => !pidAlive(pid), `daemon ${pid} to exit`).catch(() => killTree(pid));
}

test('flags: -h, -v, unknown option, conflicting option, positional args', () => {
  const h = daemonSync(['-h']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^supervisord -- run a set of applications as daemons\.\n\nUsage: tsv daemon \[options\]/);
  const v = daemonSync(['-v']);
  assert.equal(v.status, 0);
  assert.equal(v.stdout, '4.2.5\n');
  const bad = daemonSync(['-x']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'Error: option -x not recognized\nFor help, use tsv daemon -h\n');
  const twice = daemonSync(['-n', '-n']);
  assert.equal(twice.stderr, "Error: conflicting command line option '-n'\nFor help, use tsv daemon -h\n");
  const pos = daemonSync(['foo']);
  assert.equal(pos.stderr, "Error: positional arguments are not supported: ['foo']\nFor help, use tsv daemon -h\n");
  const ambiguous = daemonSync(['--log=x']);
  assert.equal(ambiguous.stderr, 'Error: option --log not a unique prefix\nFor help, use tsv daemon -h\n');
  const badval = daemonSync(['-m', '999']);
  assert.match(badval.stderr, /^Error: invalid value for -m '999': /);
});

test('flags are read whole first, then handled in order, as getopt and realize() do: the same output and exit code as supervisord', (t) => {
  if (!existsSync('/usr/bin/supervisord')) return t.skip('needs /usr/bin/supervisord');
  const cases = [['-v', '-h'], ['-h', '-v'], ['-h', '-m', 'zz'], ['-h', '-n', '-n'], ['-m', 'zz', '-x'], ['-m', 'zz', 'foo'], ['-n', '-n', '--log'], ['-e', 'junk', '-c'], ['-m', 'zz', '-h']];
  for (const args of cases) {
    const ref = spawnSync('/usr/bin/supervisord', args, { encoding: 'utf8', timeout: 20000, env: cleanEnv() });
    const ours = daemonSync(args);
    const norm = (x: string, prog: string): string => x.replaceAll(prog, 'PROG');
    assert.deepEqual(
      [ours.status, norm(ours.stdout, 'tsv daemon'), norm(ours.stderr, 'tsv daemon')],
      [ref.status, norm(ref.stdout, '/usr/bin/supervisord'), norm(ref.stderr, '/usr/bin/supervisord')],
      args.join(' '),
    );
  }
});

test('flags over the file: -u replaces a user= that does not exist, an empty -l or -j leaves the file\'s; an empty -c and a huge -a are refused', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '', 'user=no_such_user_tsv');
  const fg = daemonForeground(['-c', cfg, '-u', 'root', '-l', '', '-j', '']);
  try {
    const refused = daemonSync(['-n', '-c', cfg]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /user: Invalid user name no_such_user_tsv/);
    if (process.getuid?.() === 0) {
      await until(() => /supervisord started/.test(dir.read('supervisord.log')), 'started with -u root');
      assert.ok(existsSync(dir.join('supervisord.pid')), 'the pidfile from the file');
    }
    const empty = daemonSync(['-n', '-c', '']);
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /^Error: -c\/--configuration names no file/);
    const huge = daemonSync(['-n', '-c', cfg, '-u', 'root', '-a', '99999999999999999999']);
    assert.equal(huge.status, 2);
    assert.match(huge.stderr, /^Error: The minimum number of file descriptors required to run this process is /);
  } finally {
    await fg.terminate();
    dir.cleanup();
  }
});

test('daemonize: the parent returns 0 once the daemon serves; TERM removes socket and pidfile', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, `[program:sleeper]\ncommand=sleep 60\nstartsecs=0\n`);
  try {
    const r = daemonSync(['-c', cfg]);
    assert.equal(r.status, 0, r.stderr);
    // readiness: by the time the parent exits, socket and pidfile exist
    assert.ok(existsSync(dir.join('s.sock')), 'socket bound before the parent exited');
    const pid = readPid(dir.join('supervisord.pid'));
    assert.ok(pidAlive(pid));
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(fields[3]), pid, 'the daemon leads its own session (setsid)');
    assert.equal(lstatSync(dir.join('s.sock')).mode & 0o777, 0o700, 'chmod applied');
    await until(() => /success: sleeper entered RUNNING/.test(dir.read('supervisord.log')), 'sleeper RUNNING');
    const log = dir.read('supervisord.log');
    assert.match(log, /INFO daemonizing the supervisord process\n/);
    assert.match(log, new RegExp(`INFO supervisord started with pid ${pid}\\n`));
    process.kill(pid, 'SIGTERM');
    await until(() => !pidAlive(pid), 'daemon exit');
    assert.ok(!existsSync(dir.join('s.sock')), 'socket removed');
    assert.ok(!existsSync(dir.join('supervisord.pid')), 'pidfile removed');
    assert.match(dir.read('supervisord.log'), /WARN received SIGTERM indicating exit request\n.*INFO waiting for sleeper to die\n.*WARN stopped: sleeper \(terminated by SIGTERM\)\n/s);
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test('daemonize from an executable in a directory whose name is not UTF-8: the daemon is started as /proc/self/exe (the name in process.execPath lost the byte)', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, `[program:sleeper]\ncommand=sleep 60\nstartsecs=0\n`);
  // "lat\xe9in": Latin-1, as an old system's directory may be named
  const odd = Buffer.concat([Buffer.from(`${dir.path}/lat`), Buffer.from([0xe9]), Buffer.from('in')]);
  try {
    mkdirSync(odd);
    const node = Buffer.concat([odd, Buffer.from('/node')]);
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    // spawn takes no Buffer for the file: the shell gives the bytes
    const r = spawnSync('/bin/sh', ['-c', `exec "$(printf '%s/lat\\351in/node' "$D")" "$0" daemon -c "$1"`, TSV, cfg], { env: cleanEnv({ D: dir.path }), encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const pid = readPid(dir.join('supervisord.pid'));
    assert.ok(pidAlive(pid));
    assert.deepEqual(readlinkSync(Buffer.from(`/proc/${pid}/exe`), { encoding: 'buffer' }), node, 'the daemon runs the same executable');
    await until(() => /success: sleeper entered RUNNING/.test(dir.read('supervisord.log')), 'sleeper RUNNING');
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    rmSync(odd, { recursive: true, force: true });
    dir.cleanup();
  }
});

test('daemonize: a start-up failure is reported by the parent with the daemon\'s exit code', () => {
  const dir = new TempDir();
  try {
    const bad = dir.file('bad.conf', '[supervisord]\nlogfile=/nonexistent-dir-xyz/x.log\n');
    const r = daemonSync(['-c', bad]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Error: .*\/nonexistent-dir-xyz\/x\.log/);
    const cfg = conf(dir, '');
    mkdirSync(dir.join('ro'));
    const locked = dir.file('locked.conf', readFileSync(cfg, 'utf8').replace(dir.join('supervisord.log'), dir.join('ro', 'main.log')));
    chmodSync(dir.join('ro'), 0o500);
    if (process.getuid?.() !== 0) {
      const r2 = daemonSync(['-c', locked]);
      assert.equal(r2.status, 2);
      assert.match(r2.stderr, /could not open the main log file .*main\.log \(\[supervisord\] logfile\): EACCES \(the daemon runs as user \w+\)/);
    }
  } finally {
    dir.cleanup();
  }
});

test('an AUTO child log the daemon cannot create at start-up is an error naming the file, the program and the user, in the foreground and daemonizing', () => {
  const dir = new TempDir();
  try {
    // an identifier with a `/` puts the AUTO name in a directory that does not exist (supervisord: a FileNotFoundError traceback, exit 1)
    const slash = dir.file('slash.conf', readFileSync(conf(dir, '[program:a]\ncommand=sleep 60\n', 'identifier=id/x'), 'utf8'));
    const cases: [string, string, RegExp][] = [[slash, 'ENOENT', new RegExp(`^Error: could not create ${dir.path}/a-stdout---id/x-\\w{8}\\.log, `)]];
    if (process.getuid?.() === 0) {
      // as root, a user= daemon and a root-owned childlogdir it cannot write (supervisord: a PermissionError traceback, exit 1)
      mkdirSync(dir.join('shared'), { mode: 0o777 });
      chmodSync(dir.join('shared'), 0o777);
      chmodSync(dir.path, 0o755);
      mkdirSync(dir.join('child'), { mode: 0o755 });
      const locked = dir.file(
        'locked.conf',
        `[supervisord]\nlogfile=${dir.join('shared', 'main.log')}\npidfile=${dir.join('shared', 'pid')}\nuser=nobody\nchildlogdir=${dir.join('child')}\n` +
          `[unix_http_server]\nfile=${dir.join('shared', 's.sock')}\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
          '[program:a]\ncommand=sleep 60\n',
      );
      cases.push([locked, 'EACCES', new RegExp(`^Error: could not create ${dir.path}/child/a-stdout---supervisor-\\w{8}\\.log, `)]);
    }
    for (const [cfg, code, file] of cases) {
      for (const flags of [['-n'], []]) {
        const r = daemonSync([...flags, '-c', cfg]);
        assert.equal(r.status, 2, r.stderr);
        const [first, ...rest] = r.stderr.split('\n');
        assert.match(first, file);
        assert.match(first, new RegExp(`, the AUTO stdout_logfile of program a \\(\\[supervisord\\] childlogdir, identifier\\): ${code} \\(the daemon runs as user \\w+\\)$`));
        assert.deepEqual(rest, ['For help, use tsv daemon -h', '']);
      }
    }
  } finally {
    dir.cleanup();
  }
});

test('an AUTO child log that cannot be made when update adds a program: a 500 as from supervisord, and the main log names the file without a stack trace', async () => {
  const dir = new TempDir();
  try {
    // an identifier with a `/` puts AUTO names in a directory that does not exist; a has no log files, so the daemon starts
    const cfg = conf(dir, `[supervisorctl]\nserverurl=unix://${dir.join('s.sock')}\n[program:a]\ncommand=sleep 60\nstdout_logfile=NONE\nstderr_logfile=NONE\n`, 'identifier=id/x');
    const r = daemonSync(['-c', cfg]);
    assert.equal(r.status, 0, r.stderr);
    writeFileSync(cfg, readFileSync(cfg, 'utf8') + '[program:b]\ncommand=sleep 60\n');
    const ctl = (...args: string[]): SpawnSyncReturns<string> =>
      spawnSync(process.execPath, [TSV, 'ctl', '-c', cfg, ...args], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
    const u = ctl('update');
    assert.match(u.stdout, /^error: <class 'xmlrpc.client.ProtocolError'>, <ProtocolError for .*: 500 Internal Server Error>/);
    assert.equal(u.status, 1);
    const log = dir.read('supervisord.log');
    assert.match(log, /CRIT Handling XML-RPC request with data .*addProcessGroup.* raised an unexpected exception: AutoLogError: could not create .*\/b-stdout---id\/x-\w{8}\.log, the AUTO stdout_logfile of program b .*: ENOENT\n/);
    assert.doesNotMatch(log, /^\s+at /m, 'no stack trace');
    // nothing half-done: b is still only available, and added once the directory is there
    assert.match(ctl('avail').stdout, /^b +avail/m);
    mkdirSync(dir.join('b-stdout---id'));
    mkdirSync(dir.join('b-stderr---id'));
    assert.equal(ctl('update').stdout, 'b: added process group\n');
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test("a stale socket the daemon's user cannot remove (another user's, in a sticky directory like /tmp) ends the start with an error naming it and its owner; supervisord retries for ever", { skip: process.getuid?.() === 0 ? false : 'needs root to act as two users' }, () => {
  const dir = new TempDir();
  try {
    chmodSync(dir.path, 0o755);
    mkdirSync(dir.join('sticky'));
    chmodSync(dir.join('sticky'), 0o1777);
    // root's, left behind by a daemon that was killed (Python exits without unlinking what it bound)
    execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', dir.join('sticky', 'sock')]);
    mkdirSync(dir.join('own'));
    const nobody = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':');
    execFileSync('chown', [`${nobody[2]}:${nobody[3]}`, dir.join('own')]);
    const cfg = dir.file(
      'own.conf',
      `[supervisord]\nlogfile=${dir.join('own', 'main.log')}\npidfile=${dir.join('own', 'pid')}\nchildlogdir=${dir.join('own')}\n` +
        `[unix_http_server]\nfile=${dir.join('sticky', 'sock')}\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n`,
    );
    chmodSync(cfg, 0o644);
    const r = spawnSync('setpriv', ['--reuid', nobody[2]!, '--regid', nobody[3]!, '--clear-groups', process.execPath, TSV, 'daemon', '-n', '-c', cfg], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(
      r.stderr,
      `Unlinking stale socket ${dir.join('sticky', 'sock')}\nError: Cannot open an HTTP server: the stale socket ${dir.join('sticky', 'sock')} (owned by root 0) cannot be removed: EPERM; remove it as its owner or root, or choose another [unix_http_server] file=\nFor help, use tsv daemon -h\n`,
    );
    assert.ok(existsSync(dir.join('sticky', 'sock')), 'left for its owner');
  } finally {
    dir.cleanup();
  }
});

test("what is at the socket's path but no socket (a file, a directory) is left as it is and named, exit 2; supervisord unlinks a file (a file= naming the config deletes the config) and retries a directory for ever", () => {
  const dir = new TempDir();
  try {
    mkdirSync(dir.join('a-dir'));
    writeFileSync(dir.join('a-file'), 'precious\n');
    const cases: [string, string, string][] = [
      ['a-file', 'a regular file', `[unix_http_server] file= names the socket the daemon makes: choose a path where nothing is, or remove ${dir.join('a-file')} if it is not needed`],
      ['a-dir', 'a directory', `[unix_http_server] file= names the socket itself, not its directory: write a path in it, such as ${dir.join('a-dir', 'supervisor.sock')}`],
    ];
    for (const [name, kind, hint] of cases) {
      const cfg = dir.file(`${name}.conf`, `[supervisord]\nlogfile=${dir.join('main.log')}\npidfile=${dir.join('pid')}\n[unix_http_server]\nfile=${dir.join(name)}\n`);
      const r = spawnSync(process.execPath, [TSV, 'daemon', '-n', '-c', cfg], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, `Error: Cannot open an HTTP server: ${dir.join(name)} is ${kind}, not a socket, and is left as it is\n  hint: ${hint}\nFor help, use tsv daemon -h\n`);
    }
    assert.equal(readFileSync(dir.join('a-file'), 'utf8'), 'precious\n');
    assert.ok(statSync(dir.join('a-dir')).isDirectory());
  } finally {
    dir.cleanup();
  }
});

test('TERM or Ctrl-C while the start waits on a socket that answers nobody ends it at once, as supervisord (no handlers yet) ends; a daemonizing start takes its daemon along', async () => {
  const dir = new TempDir();
  // a process that accepts on the socket path and never answers: the start waits up to 5 s to tell whether it is alive
  const mute = createServer(() => {});
  await new Promise<void>((r) => mute.listen(dir.join('s.sock'), r));
  try {
    const cfg = conf(dir, '[program:a]\ncommand=sleep 60\n');
    const fg = daemonForeground(['-c', cfg]);
    await sleep(1000);
    const t0 = Date.now();
    fg.kill('SIGTERM');
    await withTimeout(fg.exited, 3000, 'the foreground start to end');
    assert.ok(Date.now() - t0 < 2000, 'at once, not after the 5 s the probe may take');
    // the daemonizing parent passes Ctrl-C on to the daemon it waits for
    const parent = spawn(process.execPath, [TSV, 'daemon', '-c', cfg], { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    parent.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const ended = new Promise<number | null>((r) => parent.on('exit', (code) => r(code)));
    await sleep(1000);
    parent.kill('SIGINT');
    assert.equal(await withTimeout(ended, 3000, 'the parent to end'), 1);
    assert.match(err, /Error: the daemon was killed by SIGINT during start-up\n$/);
    assert.equal(spawnSync('pgrep', ['-f', cfg]).status, 1, 'no daemon left behind');
  } finally {
    mute.close();
    dir.cleanup();
  }
});

test("the daemon's process name is supervisord (pgrep -x, ps -C, killall find it as they find supervisord), its command line unchanged", async () => {
  const dir = new TempDir();
  try {
    const fg = daemonForeground(['-c', conf(dir, '')]);
    try {
      await until(() => existsSync(dir.join('s.sock')), 'the socket');
      assert.equal(readFileSync(`/proc/${fg.pid}/comm`, 'utf8'), 'supervisord\n');
      assert.match(readFileSync(`/proc/${fg.pid}/cmdline`, 'utf8'), /tsv\.cjs\0daemon\0-n\0-c\0/);
      assert.ok(spawnSync('pgrep', ['-x', 'supervisord'], { encoding: 'utf8' }).stdout.split('\n').includes(String(fg.pid)));
    } finally {
      await fg.terminate();
    }
  } finally {
    dir.cleanup();
  }
});

test('a relative childlogdir with directory=: AUTO logs are made where the daemon was started and found after it changes directory (absolute, as mkstemp makes them)', async () => {
  const dir = new TempDir();
  try {
    mkdirSync(dir.join('logs'));
    mkdirSync(dir.join('elsewhere'));
    const cfg = conf(dir, "[program:p]\ncommand=/bin/sh -c 'echo hello; exec sleep 60'\nstartsecs=0\n", `directory=${dir.join('elsewhere')}`);
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(`childlogdir=${dir.path}\n`, 'childlogdir=logs\n'));
    const r = spawnSync(process.execPath, [TSV, 'daemon', '-c', cfg], { cwd: dir.path, env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 0, r.stderr);
    await until(() => readdirSync(dir.join('logs')).some((n) => n.startsWith('p-stdout---') && readFileSync(dir.join('logs', n), 'utf8') === 'hello\n'), 'hello in logs/');
    assert.deepEqual(readdirSync(dir.join('elsewhere')), [], 'nothing made in the new directory');
    // the child may write before the daemon's next turn logs RUNNING (startsecs=0)
    await until(() => /success: p entered RUNNING/.test(dir.read('supervisord.log')), 'p RUNNING in the daemon log');
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test('an option supervisord would pass to its rpc interface factory is refused as supervisord refuses it, [DEFAULT]\'s too', { skip: !existsSync('/usr/bin/supervisord') }, () => {
  const dir = new TempDir();
  try {
    const base = readFileSync(conf(dir, '[program:p]\ncommand=sleep 60\n'), 'utf8');
    const extra = dir.file('extra.conf', base.replace('make_main_rpcinterface\n', 'make_main_rpcinterface\nretries = 3\n'));
    const inherited = dir.file('default.conf', `[DEFAULT]\nautostart=false\n${base}`);
    for (const [cfg, option, line] of [[extra, 'retries', 10], [inherited, 'autostart', 2]] as const) {
      const real = spawnSync('/usr/bin/supervisord', ['-n', '-c', cfg], { encoding: 'utf8', timeout: 20000 });
      assert.equal(real.status, 2, real.stderr);
      assert.equal(real.stderr, 'Error: Could not make supervisor rpc interface\nFor help, use /usr/bin/supervisord -h\n');
      assert.match(dir.read('supervisord.log'), new RegExp(`unexpected keyword argument '${option}'`));
      unlinkSync(dir.join('supervisord.log'));
      // supervisord leaves its socket behind (bound before the factory failed)
      assert.ok(existsSync(dir.join('s.sock')));
      unlinkSync(dir.join('s.sock'));
      const ours = daemonSync(['-n', '-c', cfg]);
      assert.equal(ours.status, 2, ours.stderr);
      const section = option === 'autostart' ? 'DEFAULT' : 'rpcinterface:supervisor';
      assert.equal(
        ours.stderr.split('\n')[0],
        `Error: ${cfg}:${line}: [${section}] ${option}: Could not make supervisor rpc interface: supervisor.rpcinterface:make_main_rpcinterface takes no option ${option}`,
      );
      assert.match(ours.stderr, /\n {2}hint: .*\nFor help, use tsv daemon -h\n$/);
      assert.ok(!existsSync(dir.join('s.sock')) && !existsSync(dir.join('supervisord.pid')), 'nothing left behind');
      const check = spawnSync(process.execPath, [TSV, 'config', 'check', '-c', cfg], { env: cleanEnv(), encoding: 'utf8' });
      assert.equal(check.status, 2, 'config check catches it too');
    }
  } finally {
    dir.cleanup();
  }
});

test('a second daemon on a live socket exits 2 with Supervisor\'s message and does not touch the first', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '[program:p]\ncommand=sleep 60\nstartsecs=0\n');
  try {
    assert.equal(daemonSync(['-c', cfg]).status, 0);
    const pid = readPid(dir.join('supervisord.pid'));
    await until(() => /success: p entered RUNNING/.test(dir.read('supervisord.log')), 'p RUNNING');
    const autoBefore = readFileSync(`/proc/${pid}/cmdline`);
    const r = daemonSync(['-c', cfg]);
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      'Error: Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord.\n' +
        `  hint: [unix_http_server] file=${dir.join('s.sock')}: a running daemon answers on this socket (\`supervisorctl -s unix://${dir.join('s.sock')} pid\` asks it for its pid); stop it first, or give this config another file=\n` +
        'For help, use tsv daemon -h\n',
    );
    assert.ok(pidAlive(pid), 'first daemon still runs');
    assert.equal(readPid(dir.join('supervisord.pid')), pid, 'pidfile untouched');
    assert.ok(existsSync(dir.join('s.sock')));
    assert.deepEqual(readFileSync(`/proc/${pid}/cmdline`), autoBefore);
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test('the control sockets listen with supervisord\'s backlog (1024, unix and inet alike; Node\'s default would be 511)', async (t) => {
  if (!existsSync('/usr/bin/supervisord')) return t.skip('needs /usr/bin/supervisord');
  // ss shows a listening socket's backlog as its Send-Q, the column before the local address
  const backlogs = (args: string[], local: string): number[] => {
    const out = spawnSync('ss', [...args, '-lnH'], { encoding: 'utf8' }).stdout;
    return out.split('\n').flatMap((l) => {
      const f = l.trim().split(/\s+/);
      const at = f.findIndex((x) => x === local || x.startsWith(`${local}.`));
      return at > 0 ? [Number(f[at - 1])] : [];
    });
  };
  const seen: Record<string, { unix: number[]; inet: number[] }> = {};
  for (const [name, file, args] of [
    ['supervisord', '/usr/bin/supervisord', ['-n']],
    ['tsv', process.execPath, [TSV, 'daemon', '-n']],
  ] as const) {
    const dir = new TempDir();
    const port = await freePort();
    const cfg = conf(dir, `[inet_http_server]\nport=127.0.0.1:${port}\n`);
    const child = spawn(file, [...args, '-c', cfg], { env: cleanEnv(), stdio: 'ignore' });
    try {
      await until(() => existsSync(dir.join('supervisord.log')) && /supervisord started/.test(dir.read('supervisord.log')), `${name} started`);
      // bound as <file>.<pid> and linked to <file>: ss names the first
      seen[name] = { unix: backlogs(['-x'], dir.join('s.sock')), inet: backlogs(['-t'], `127.0.0.1:${port}`) };
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    } finally {
      if (child.exitCode === null && child.signalCode === null) killTree(child.pid!);
      dir.cleanup();
    }
  }
  assert.deepEqual(seen.supervisord, { unix: [1024], inet: [1024] }, 'what supervisord does');
  assert.deepEqual(seen.tsv, seen.supervisord);
});

test('a daemon without credentials or inet servers, V8\'s flags on node\'s command line, loads neither node:crypto, the resolver nor node:v8 (each costs ~1-2 MiB resident)', async () => {
  const dir = new TempDir();
  // AUTO logs (their random names), the unix socket and a program: what every daemon does
  const cfg = conf(dir, '[program:p]\ncommand=sleep 60\nstartsecs=0\n');
  const probe = dir.file('probe.cjs', `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(dir.join('modules.txt'))}, process.moduleLoadList.join('\\n')));\n`);
  const flags: string[] = JSON.parse(readFileSync(join(repoRoot(), 'src/daemon/v8-flags.json'), 'utf8'));
  const child = spawn(process.execPath, [...flags, '--require', probe, TSV, 'daemon', '-n', '-c', cfg], { env: cleanEnv(), stdio: 'ignore' });
  try {
    await until(() => existsSync(dir.join('supervisord.log')) && /success: p entered RUNNING/.test(dir.read('supervisord.log')), 'p RUNNING');
    const ctl = spawnSync(process.execPath, [TSV, 'ctl', '-s', `unix://${dir.join('s.sock')}`, 'status'], { encoding: 'utf8', env: cleanEnv() });
    assert.match(ctl.stdout, /^p\s+RUNNING/, 'the socket answers');
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const loaded = dir.read('modules.txt').split('\n');
    assert.ok(loaded.includes('NativeModule http'), 'the list is the daemon\'s');
    assert.deepEqual(loaded.filter((m) => /^NativeModule (crypto|dns\/promises|dns|v8)$/.test(m)), []);
  } finally {
    if (child.exitCode === null && child.signalCode === null) killTree(child.pid!);
    dir.cleanup();
  }
});

test('a socket path too long for sun_path: refused as supervisord refuses it, with the length, and no file left behind', () => {
  const dir = new TempDir();
  try {
    const long = dir.join('z'.padEnd(110 - dir.path.length - 1, 'x'));
    const cfg = dir.file('long.conf', readFileSync(conf(dir, ''), 'utf8').replace(dir.join('s.sock'), long));
    const r = daemonSync(['-n', '-c', cfg]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^Error: Cannot open an HTTP server: socket\.error reported AF_UNIX path too long \(.* is 110 bytes; .*at most 107/);
    assert.deepEqual(readdirSync(dir.path).filter((f) => f.startsWith('z')), [], 'no socket file, whole or cut short');
    if (existsSync('/usr/bin/supervisord')) {
      const oracle = spawnSync('/usr/bin/supervisord', ['-n', '-c', cfg], { encoding: 'utf8', timeout: 20000, env: cleanEnv() });
      assert.equal(oracle.status, 2);
      assert.match(oracle.stderr, /^Error: Cannot open an HTTP server: socket\.error reported AF_UNIX path too long\n/);
    }
  } finally {
    dir.cleanup();
  }
});

test('a socket whose directory is missing (/var/run/supervisor after a reboot): ENOENT as supervisord says, not the EACCES libuv turns it into', () => {
  const dir = new TempDir();
  try {
    writeFileSync(dir.join('plainfile'), '');
    for (const [sub, expected, why] of [
      ['missing-dir', 'errno.ENOENT (2)', 'the directory DIR does not exist (create it before the daemon starts, or choose another file=)'],
      ['plainfile', 'errno.ENOTDIR (20)', 'DIR is not a directory'],
    ] as const) {
      const cfg = dir.file(`${sub}.conf`, readFileSync(conf(dir, ''), 'utf8').replace(dir.join('s.sock'), dir.join(sub, 's.sock')));
      const r = daemonSync(['-n', '-c', cfg]);
      assert.equal(r.status, 2);
      assert.equal(r.stderr.split('\n')[0], `Error: Cannot open an HTTP server: socket.error reported ${expected}`);
      // Supervisor's words first, for scripts; then which setting, and what to do
      assert.ok(r.stderr.split('\n')[1]?.startsWith(`  hint: [unix_http_server] file=${dir.join(sub, 's.sock')}: ${why.replace('DIR', dir.join(sub))}`), r.stderr);
      if (existsSync('/usr/bin/supervisord')) {
        const oracle = spawnSync('/usr/bin/supervisord', ['-n', '-c', cfg], { encoding: 'utf8', timeout: 20000, env: cleanEnv() });
        assert.equal(oracle.status, 2);
        assert.equal(r.stderr.split('\n')[0], oracle.stderr.split('\n')[0]);
      }
    }
    // under /run the hint says why it is gone and what re-creates it at boot
    const run = `/run/tsv-test-missing-${process.pid}`;
    const r = daemonSync(['-n', '-c', dir.file('run.conf', readFileSync(conf(dir, ''), 'utf8').replace(dir.join('s.sock'), `${run}/s.sock`))]);
    assert.equal(r.status, 2);
    assert.ok(r.stderr.split('\n')[1]?.startsWith(`  hint: [unix_http_server] file=${run}/s.sock: the directory ${run} does not exist (/run and /var/run are emptied at each boot: create it before the daemon starts, e.g. RuntimeDirectory=`), r.stderr);
  } finally {
    dir.cleanup();
  }
});

/** A foreground start with `[inet_http_server] port=PORT`: exit 2, and the first line of tsv's error and supervisord's (when there). */
function inetRefusal(dir: TempDir, port: string): { tsv: string; supervisord: string | null } {
  const first = (t: string): string => t.split('\n')[0] as string;
  const cfg = dir.file('inet.conf', `${readFileSync(conf(dir, ''), 'utf8')}\n[inet_http_server]\nport=${port}\n`);
  const r = daemonSync(['-n', '-c', cfg]);
  assert.equal(r.status, 2, `${port}: ${r.stderr}`);
  if (!existsSync('/usr/bin/supervisord')) return { tsv: first(r.stderr), supervisord: null };
  const oracle = spawnSync('/usr/bin/supervisord', ['-n', '-c', cfg], { encoding: 'utf8', timeout: 20000, env: cleanEnv() });
  assert.equal(oracle.status, 2, `${port}: ${oracle.stderr}`);
  return { tsv: first(r.stderr), supervisord: first(oracle.stderr) };
}

test('an inet port another program holds: supervisord\'s words, then a hint naming the option and how to find the holder', async () => {
  const dir = new TempDir();
  const holder = createServer();
  try {
    const port = await freePort();
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', r));
    const cfg = dir.file('inet.conf', `${readFileSync(conf(dir, ''), 'utf8')}\n[inet_http_server]\nport=127.0.0.1:${port}\n`);
    const r = daemonSync(['-n', '-c', cfg]);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.split('\n');
    assert.equal(lines[0], 'Error: Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord.');
    assert.equal(lines[1], `  hint: [inet_http_server] port=127.0.0.1:${port}: something already listens on port ${port} (\`ss -ltnp 'sport = :${port}'\` names it); stop it first, or give this config another port=`);
    if (existsSync('/usr/bin/supervisord')) {
      const oracle = spawnSync('/usr/bin/supervisord', ['-n', '-c', cfg], { encoding: 'utf8', timeout: 20000, env: cleanEnv() });
      assert.equal(oracle.status, 2, oracle.stderr);
      assert.equal(oracle.stderr.split('\n')[0], lines[0]);
    }
  } finally {
    holder.close();
    dir.cleanup();
  }
});

test('an inet server on an IPv6 address: refused as supervisord refuses it (AF_INET only, -9)', () => {
  const dir = new TempDir();
  try {
    for (const port of ['::1:19637', ':::19638']) {
      const { tsv, supervisord } = inetRefusal(dir, port);
      assert.equal(tsv, 'Error: Cannot open an HTTP server: socket.error reported -9');
      if (supervisord !== null) assert.equal(tsv, supervisord);
    }
  } finally {
    dir.cleanup();
  }
});

test('an inet server on an IPv4-mapped IPv6 address listens on the IPv4 address, as supervisord does', async () => {
  const dir = new TempDir();
  const port = await freePort();
  const cfg = dir.file('mapped.conf', `${readFileSync(conf(dir, ''), 'utf8')}\n[inet_http_server]\nport=::ffff:127.0.0.1:${port}\n`);
  const d = daemonForeground(['-c', cfg]);
  try {
    // /proc/PID/net/tcp lists IPv4 sockets only: 127.0.0.1 is 0100007F there
    const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    await until(() => listeningTcp(d.pid).includes(want), `${want} among ${d.pid}'s IPv4 listening sockets`);
  } finally {
    await d.terminate();
    dir.cleanup();
  }
});

test('an inet server host that does not resolve: the getaddrinfo error number, as supervisord prints a gaierror', () => {
  const dir = new TempDir();
  try {
    // Supervisor keeps the brackets: "[::1]" is looked up as a name
    const { tsv, supervisord } = inetRefusal(dir, '[::1]:19636');
    // -2 (EAI_NONAME) here; a resolver that cannot be reached gives -3 (EAI_AGAIN)
    assert.match(tsv, /^Error: Cannot open an HTTP server: socket\.error reported -\d+$/);
    if (supervisord !== null) assert.equal(tsv, supervisord);
  } finally {
    dir.cleanup();
  }
});

test('the shutdown report at loglevel=blather names each waiting process\'s state, as supervisord does', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, `[program:ig]\ncommand=/bin/sh -c "trap '' TERM; exec sleep 60"\nstartsecs=0\nstopwaitsecs=2\n`, 'loglevel=blather');
  try {
    assert.equal(daemonSync(['-c', cfg]).status, 0);
    await until(() => /success: ig entered RUNNING/.test(dir.read('supervisord.log')), 'ig RUNNING');
    await stopDaemon(dir.join('supervisord.pid'));
    const log = dir.read('supervisord.log');
    assert.match(log, /INFO waiting for ig to die\n.* BLAT ig state: STOPPING\n/);
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
  test(`a ${sig === 'SIGTERM' ? 'shutdown' : 'restart'} that waits for one group while another program is in BACKOFF: the daemon sleeps meanwhile (its retry will not come)`, async () => {
    const dir = new TempDir();
    const cfg = conf(
      dir,
      // slow's group stops first and takes stopwaitsecs; flaky waits its turn in BACKOFF
      `[program:slow]\ncommand=/bin/sh -c "trap '' TERM; while :; do sleep 0.2; done"\nstartsecs=1\nstopwaitsecs=4\npriority=999\n` +
        '[program:flaky]\ncommand=/bin/sh -c "sleep 0.2; exit 1"\nstartsecs=1\nstartretries=100\npriority=1\n',
    );
    try {
      assert.equal(daemonSync(['-c', cfg]).status, 0);
      const pid = readPid(dir.join('supervisord.pid'));
      await until(() => /success: slow entered RUNNING/.test(dir.read('supervisord.log')) && /exited: flaky .*\n(?![^]*spawned: 'flaky')/.test(dir.read('supervisord.log')), 'slow RUNNING, flaky in BACKOFF');
      process.kill(pid, sig);
      await until(() => /waiting for flaky, slow to die/.test(dir.read('supervisord.log')), 'the stop to wait for slow');
      const switches = await switchesOver(pid, 2000);
      assert.ok(switches < 100, `the daemon was switched ${switches} times in 2 s while it waited (a 1 ms timer: ~2000)`);
      if (sig === 'SIGTERM') await until(() => !pidAlive(pid), 'the daemon to exit', 20000);
      else await until(() => (dir.read('supervisord.log').match(/spawned: 'slow'/g) ?? []).length === 2, 'the restart to start slow again', 20000);
      // as under supervisord: no retry of flaky once the stop began
      const during = dir.read('supervisord.log').split(/received SIG\w+ indicating/)[1] as string;
      assert.match(during, /stopped: slow \(terminated by SIGKILL\)/);
      assert.doesNotMatch(during.split('stopped: slow')[0] as string, /spawned: 'flaky'/);
    } finally {
      await stopDaemon(dir.join('supervisord.pid'));
      dir.cleanup();
    }
  });
}

test('a second SIGHUP during a restart reads the config again: one that loads replaces the one read at the first; one that does not is named, and the restart under way goes on', async () => {
  const dir = new TempDir();
  const x = `[program:x]\ncommand=/bin/sh -c "trap '' TERM; while :; do sleep 0.1; done"\nstartsecs=0\nstopwaitsecs=2\n`;
  const cfg = conf(dir, x);
  const log = (): string => dir.read('supervisord.log');
  const spawns = (name: string): number => (log().match(new RegExp(`spawned: '${name}'`, 'g')) ?? []).length;
  try {
    assert.equal(daemonSync(['-c', cfg]).status, 0);
    const pid = readPid(dir.join('supervisord.pid'));
    await until(() => /success: x entered RUNNING/.test(log()), 'x RUNNING');
    // x takes stopwaitsecs to stop: the second HUP comes while it does
    process.kill(pid, 'SIGHUP');
    await until(() => /waiting for x to die/.test(log()), 'the restart to wait for x');
    conf(dir, `${x}[program:y]\ncommand=/bin/sleep 100\nstartsecs=0\n`);
    process.kill(pid, 'SIGHUP');
    await until(() => spawns('x') === 2 && spawns('y') === 1, 'the restart to run the config read at the second HUP', 20000);

    const reports = (): number => (log().match(/waiting for .* to die/g) ?? []).length;
    const before = reports();
    process.kill(pid, 'SIGHUP');
    await until(() => reports() > before, 'the second restart to wait for x');
    writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}startretries=abc\n`);
    process.kill(pid, 'SIGHUP');
    await until(() => spawns('x') === 3 && spawns('y') === 2, 'the restart under way to go on', 20000);
    assert.doesNotMatch(log(), /restart refused/);
    assert.match(log(), /ERRO the restart under way keeps the configuration read when it began: the configuration no longer loads: \S+supervisord\.conf:\d+: \[program:y\] startretries: invalid literal for int\(\) with base 10: 'abc'\n/);
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test('a pidfile that names no process (0, a number above any pid, hex) is replaced without a word; the start is not told a process runs', async () => {
  assert.deepEqual(
    ['0', '00', '100000000000000000000', '4194305', '0x10', '-5', '', 'abc', '12 13'].map(pidfilePid),
    [null, null, null, null, null, null, null, null, null],
  );
  assert.deepEqual([' 12\n', '4194304', '007'].map(pidfilePid), [12, 4194304, 7]);
  for (const text of ['0\n', '100000000000000000000\n']) {
    const dir = new TempDir();
    const cfg = conf(dir, '');
    try {
      writeFileSync(dir.join('supervisord.pid'), text);
      assert.equal(daemonSync(['-c', cfg]).status, 0);
      assert.notEqual(readPid(dir.join('supervisord.pid')), 0);
      assert.doesNotMatch(dir.read('supervisord.log'), /pidfile/, text);
    } finally {
      await stopDaemon(dir.join('supervisord.pid'));
      dir.cleanup();
    }
  }
});

test('a command that names a FIFO: the spawn fails (EACCES) and the daemon goes on answering, not waiting in the open of the FIFO to explain why', async () => {
  const dir = new TempDir();
  const fifo = dir.join('fifo');
  execFileSync('mkfifo', ['-m', '0755', fifo]);
  const cfg = conf(dir, `[program:fifo]\ncommand=${fifo}\nstartsecs=1\nstartretries=1\n[program:ok]\ncommand=sleep 60\nstartsecs=0\n`);
  try {
    assert.equal(daemonSync(['-c', cfg]).status, 0);
    await until(() => /gave up: fifo entered FATAL state/.test(dir.read('supervisord.log')), 'fifo FATAL', 20000);
    const r = spawnSync(process.execPath, [TSV, 'ctl', '-s', `unix://${dir.join('s.sock')}`, 'status'], { env: cleanEnv(), encoding: 'utf8', timeout: 10000 });
    assert.equal(r.signal, null, 'the ctl got its answer');
    assert.match(r.stdout, /^fifo +FATAL/m);
    assert.match(r.stdout, /^ok +RUNNING/m);
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test('stale socket after kill -9 is unlinked and replaced; stale pidfile replaced', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '[program:p]\ncommand=sleep 60\nstartsecs=0\nstopasgroup=true\n');
  try {
    assert.equal(daemonSync(['-c', cfg]).status, 0);
    const pid = readPid(dir.join('supervisord.pid'));
    await until(() => /spawned: 'p' with pid (\d+)/.test(dir.read('supervisord.log')), 'p spawned');
    const child = Number(/spawned: 'p' with pid (\d+)/.exec(dir.read('supervisord.log'))![1]);
    process.kill(pid, 'SIGKILL');
    await until(() => !pidAlive(pid), 'daemon killed');
    process.kill(-child, 'SIGKILL');
    assert.ok(existsSync(dir.join('s.sock')), 'stale socket left behind');
    const r = daemonSync(['-c', cfg]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, `Unlinking stale socket ${dir.join('s.sock')}\n`);
    const pid2 = readPid(dir.join('supervisord.pid'));
    assert.notEqual(pid2, pid);
    assert.match(dir.read('supervisord.log'), new RegExp(`replacing stale pidfile .* \\(pid ${pid} is not running\\)`));
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test('socket chmod and chown from [unix_http_server] are applied', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('chown to another user needs root');
    return;
  }
  const dir = new TempDir();
  const cfg = dir.file(
    'supervisord.conf',
    `[supervisord]\nlogfile=${dir.join('supervisord.log')}\npidfile=${dir.join('supervisord.pid')}\nchildlogdir=${dir.path}\n` +
      `[unix_http_server]\nfile=${dir.join('s.sock')}\nchmod=0770\nchown=nobody:nogroup\n`,
  );
  try {
    assert.equal(daemonSync(['-c', cfg]).status, 0);
    const st = lstatSync(dir.join('s.sock'));
    assert.equal(st.mode & 0o777, 0o770);
    assert.equal(st.uid, Number(readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':')[2]));
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test('socket file deleted under a running daemon is re-created', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '');
  try {
    assert.equal(daemonSync(['-c', cfg]).status, 0);
    const before = lstatSync(dir.join('s.sock')).ino;
    unlinkSync(dir.join('s.sock'));
    await until(() => existsSync(dir.join('s.sock')), 'socket re-created');
    assert.notEqual(lstatSync(dir.join('s.sock')).ino, before);
    assert.match(dir.read('supervisord.log'), /re-created socket file .*s\.sock/);
    // and it is live: a second daemon is refused
    assert.equal(daemonSync(['-c', cfg]).status, 2);
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test("a socket that cannot be re-created (its directory gone): one warning for the removal, not one per inotify event; each SIGUSR2 tries again and says so", async () => {
  const dir = new TempDir();
  mkdirSync(dir.join('run'));
  const cfg = dir.file('supervisord.conf', readFileSync(conf(dir, ''), 'utf8').replaceAll(dir.join('s.sock'), dir.join('run', 's.sock')));
  try {
    assert.equal(daemonSync(['-c', cfg]).status, 0);
    const pid = Number(dir.read('supervisord.pid'));
    // the directory moves away with the socket, and a file takes its name: nothing can be bound there
    renameSync(dir.join('run'), dir.join('old'));
    writeFileSync(dir.join('run'), '');
    unlinkSync(dir.join('old', 's.sock'));
    const warned = (): number => dir.read('supervisord.log').split('\n').filter((l) => l.includes('could not re-create socket file')).length;
    await until(() => warned() > 0, 'a warning');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(warned(), 1, dir.read('supervisord.log'));
    process.kill(pid, 'SIGUSR2');
    await until(() => warned() === 2, 'SIGUSR2 tried again and said so');
    rmSync(dir.join('run'));
    mkdirSync(dir.join('run'));
    process.kill(pid, 'SIGUSR2');
    await until(() => existsSync(dir.join('run', 's.sock')), 'socket re-created');
    // the file is linked into place a moment before the line is written
    await until(() => /re-created socket file .*s\.sock/.test(dir.read('supervisord.log')), 'the re-creation in the log');
    assert.equal(warned(), 2);
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test('USR1 opens no debugger: logged at blather, the daemon carries on', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '[program:a]\ncommand=sleep 60\nstartsecs=0\n', 'loglevel=blather');
  const fg = daemonForeground(['-c', cfg]);
  try {
    await until(() => /success: a entered RUNNING/.test(fg.output()), 'a RUNNING');
    fg.kill('SIGUSR1');
    await until(() => /BLAT received SIGUSR1 indicating nothing/.test(fg.output()), 'USR1 handled');
    await sleep(300);
    assert.doesNotMatch(fg.output(), /Debugger listening|inspector/i);
    fg.kill('SIGTERM');
    assert.equal(await fg.exited, 0);
  } finally {
    await fg.terminate();
    dir.cleanup();
  }
});

test('-n: foreground, log copied to stdout, INT stops in order and exits 0', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '[program:a]\ncommand=sleep 60\nstartsecs=0\npriority=1\n[program:b]\ncommand=sleep 60\nstartsecs=0\npriority=2\n');
  const fg = daemonForeground(['-c', cfg]);
  try {
    await until(() => (fg.output().match(/entered RUNNING/g) ?? []).length === 2, 'both RUNNING');
    assert.equal(readPid(dir.join('supervisord.pid')), fg.pid, 'pidfile holds the foreground pid');
    assert.doesNotMatch(fg.output(), /daemonizing/);
    fg.kill('SIGINT');
    assert.equal(await fg.exited, 0);
    const out = fg.output();
    assert.match(out, /WARN received SIGINT indicating exit request/);
    assert.ok(out.indexOf('stopped: b') < out.indexOf('stopped: a'), 'higher priority number stops first');
  } finally {
    await fg.terminate();
    dir.cleanup();
  }
});

test('-n on a pipe shared with other writers (a container\'s stdout): the daemon leaves its stdout and stderr blocking, so they get no EAGAIN', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '[program:a]\ncommand=sleep 60\nstartsecs=0\n');
  // one pipe (a real one: Node's own stdio would be a socket pair) for the daemon's stdout and stderr and a
  // shell's, as an entrypoint `supervisord -n & ...` shares it
  const sh = spawn('/bin/sh', ['-c', `(exec 2>&1; "$0" "$1" daemon -n -c "$2" & sleep 30; wait) | cat`, process.execPath, TSV, cfg], { stdio: ['ignore', 'pipe', 'ignore'], env: cleanEnv() });
  let seen = '';
  sh.stdout?.on('data', (b: Buffer) => (seen += b.toString()));
  try {
    await until(() => seen.includes("entered RUNNING"), 'a RUNNING', 20000);
    const pid = readPid(dir.join('supervisord.pid'));
    // the open file description's flags are the pipe's, for every process that shares it
    for (const fd of [1, 2]) {
      const flags = parseInt(/^flags:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1] ?? 'NaN', 8);
      assert.equal(flags & 0o4000, 0, `fd ${fd} of the daemon is O_NONBLOCK (flags 0${flags.toString(8)})`);
    }
    process.kill(pid, 'SIGTERM');
    await until(() => !pidAlive(pid), 'the daemon gone');
    assert.match(seen, /WARN received SIGTERM indicating exit request/);
  } finally {
    killTree(sh.pid as number);
    dir.cleanup();
  }
});

for (const impl of ['supervisord', 'tsv'] as const) {
  test(`${impl}: a daemonizing start with logfile=/dev/stdout: the main log goes on reaching the caller's stdout (a container's log) after the start returns`, { skip: impl === 'supervisord' && !existsSync('/usr/bin/supervisord') }, async () => {
    const dir = new TempDir();
    const cfg = dir.file(
      'supervisord.conf',
      `[supervisord]\nlogfile=/dev/stdout\nlogfile_maxbytes=0\npidfile=${dir.join('supervisord.pid')}\nchildlogdir=${dir.path}\n` +
        `[unix_http_server]\nfile=${dir.join('s.sock')}\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
        '[program:web]\ncommand=sleep 60\nstartsecs=1\n',
    );
    const cmd = impl === 'tsv' ? [process.execPath, TSV, 'daemon'] : ['/usr/bin/supervisord'];
    // stdout a pipe (docker's is one; Node's own would be a socket, which /dev/stdout cannot open)
    const start = spawn('/bin/sh', ['-c', '("$@"; echo "rc=$?" >&2) | cat', 'sh', ...cmd, '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    let out = '';
    let err = '';
    start.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    start.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    const eof = new Promise((r) => start.stdout?.once('close', r));
    try {
      await until(() => err.includes('rc='), 'the start to return');
      assert.equal(err, 'rc=0\n');
      await until(() => out.includes('success: web entered RUNNING state'), 'the RUNNING line after the start returned', 15000);
      process.kill(readPid(dir.join('supervisord.pid')), 'SIGTERM');
      // the daemon holds the caller's stdout until it ends
      await withTimeout(eof, 15000, 'the end of the stdout the daemon wrote');
      for (const line of ['INFO daemonizing the supervisord process', "INFO spawned: 'web' with pid", 'WARN received SIGTERM indicating exit request', 'WARN stopped: web (terminated by SIGTERM)']) {
        assert.ok(out.includes(line), `${line}\n${out}`);
      }
    } finally {
      await stopDaemon(dir.join('supervisord.pid'));
      dir.cleanup();
    }
  });
}

test('a TZ Node cannot read (a POSIX rule: IST-5:30): times are the C library\'s local time, as supervisord\'s (cron= too: daemon-cron), with nothing to warn of; a zone name is read as it is', async () => {
  for (const [tz, offsetMin] of [
    ['IST-5:30', 330],
    ['Asia/Kolkata', 330],
  ] as const) {
    const dir = new TempDir();
    const cfg = conf(dir, '[program:once]\ncommand=/bin/true\nstartsecs=0\nautorestart=false\n');
    const fg = daemonForeground(['-c', cfg], [], { TZ: tz });
    try {
      await until(() => fg.output().includes("exited: once (exit status 0; expected)"), 'the program to exit');
      const lines = fg.output().split('\n');
      assert.ok(!lines.some((l) => l.includes('TZ=')), fg.output());
      // the main log's time is local time (date prints it as the C library reads TZ)
      const started = lines.find((l) => l.includes('supervisord started with pid')) as string;
      const stamp = Date.parse(`${started.slice(0, 19).replace(' ', 'T')}Z`);
      const localNow = Date.now() + offsetMin * 60_000;
      assert.ok(Math.abs(localNow - stamp) < 60_000, `${started} is not UTC${offsetMin / 60}`);
      // and so is the stop time in the status
      const want = execFileSync('date', ['+%b %d %I:%M %p'], { env: { TZ: tz }, encoding: 'utf8' }).trim();
      const status = spawnSync(process.execPath, [TSV, 'ctl', '-s', `unix://${dir.join('s.sock')}`, 'status', 'once'], { encoding: 'utf8', env: cleanEnv() }).stdout;
      assert.ok(status.includes(want) || status.includes(execFileSync('date', ['-d', '-1 min', '+%b %d %I:%M %p'], { env: { TZ: tz }, encoding: 'utf8' }).trim()), `${status} (${want})`);
    } finally {
      await fg.terminate();
      dir.cleanup();
    }
  }
});

test('-n found in the working directory: the root warning about the search is printed once, as supervisord prints it', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('the warning is for root only');
  const impls: [string, string, string[]][] = [['tsv', process.execPath, [TSV, 'daemon', '-n']]];
  if (existsSync('/usr/bin/supervisord')) impls.push(['supervisord', '/usr/bin/supervisord', ['-n']]);
  const counts: Record<string, number> = {};
  for (const [name, file, args] of impls) {
    const dir = new TempDir();
    conf(dir, '');
    const child = spawn(file, args, { cwd: dir.path, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    try {
      await until(() => existsSync(dir.join('supervisord.log')) && /supervisord started/.test(readFileSync(dir.join('supervisord.log'), 'utf8')), `${name} started`);
      child.kill('SIGTERM');
      await exited;
    } finally {
      if (child.exitCode === null && child.signalCode === null) killTree(child.pid!);
      dir.cleanup();
    }
    counts[name] = (out.match(/UserWarning: Supervisord is running as root and it is searching for its configuration file/g) ?? []).length;
  }
  assert.equal(counts.tsv, 1, 'tsv warns once');
  if ('supervisord' in counts) assert.equal(counts.supervisord, counts.tsv, 'as often as supervisord');
});

test('found without -c, then -d elsewhere: a restart reads the file found at start again, not what a search from the new directory finds; the root warning stays one', async () => {
  const dir = new TempDir();
  conf(dir, '[program:keep]\ncommand=sleep 600\nstartsecs=0\n');
  // a decoy where a search from -d's directory finds one first (else it goes on to /etc/supervisor/supervisord.conf)
  mkdirSync(dir.join('wd'));
  writeFileSync(
    dir.join('wd', 'supervisord.conf'),
    `[supervisord]\nlogfile=${dir.join('decoy.log')}\npidfile=${dir.join('decoy.pid')}\n[unix_http_server]\nfile=${dir.join('decoy.sock')}\n` +
      '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[program:decoy]\ncommand=sleep 600\n',
  );
  const child = spawn(process.execPath, [TSV, 'daemon', '-n', '-d', 'wd'], { cwd: dir.path, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const log = (): string => (existsSync(dir.join('supervisord.log')) ? dir.read('supervisord.log') : '');
  const starts = (): number => (log().match(/success: keep entered RUNNING/g) ?? []).length;
  try {
    await until(() => starts() === 1, 'keep RUNNING');
    for (const n of [2, 3]) {
      child.kill('SIGHUP');
      await until(() => starts() === n || existsSync(dir.join('decoy.log')) || child.exitCode !== null, `restart ${n - 1}`);
      assert.ok(!existsSync(dir.join('decoy.log')), `restart ${n - 1} read the decoy:\n${existsSync(dir.join('decoy.log')) ? dir.read('decoy.log') : ''}`);
      assert.equal(starts(), n, log());
      assert.ok(existsSync(dir.join('s.sock')), 'the socket is the same');
    }
    if (process.getuid?.() === 0) assert.equal((out.match(/UserWarning: Supervisord is running as root/g) ?? []).length, 1, out);
    child.kill('SIGTERM');
    await exited;
  } finally {
    if (child.exitCode === null && child.signalCode === null) killTree(child.pid!);
    dir.cleanup();
  }
});

test('an exception nobody caught is logged at CRIT with its stack and the daemon keeps supervising', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '[program:keep]\ncommand=sleep 600\nstartsecs=0\nautorestart=true\n');
  // The fault comes from outside tsv's code, through Node's own --require: a
  // signal listener that throws, and one that leaves a rejected promise.
  const preload = dir.file(
    'inject.cjs',
    "process.on('SIGWINCH', () => { throw new Error('injected fault'); });\n" +
      "process.on('SIGURG', () => { Promise.reject(new TypeError('injected rejection')); });\n",
  );
  const fg = daemonForeground(['-c', cfg], ['--require', preload]);
  const log = (): string => (existsSync(dir.join('supervisord.log')) ? dir.read('supervisord.log') : '');
  let firstPid = 0;
  const status = (): string =>
    spawnSync(process.execPath, [TSV, 'ctl', '-s', `unix://${dir.join('s.sock')}`, 'status', 'keep'], { env: cleanEnv(), encoding: 'utf8' }).stdout;
  try {
    await until(() => /success: keep entered RUNNING/.test(log()), 'keep RUNNING');
    firstPid = Number(/pid (\d+)/.exec(status())?.[1]);
    let gone = false;
    void fg.exited.then(() => (gone = true));
    fg.kill('SIGWINCH');
    await until(() => gone || /CRIT uncaught exception in tsv/.test(log()), 'the CRIT line');
    assert.equal(gone, false, `the daemon died of the exception:\n${fg.output()}`);
    assert.match(log(), /CRIT uncaught exception in tsv \(a bug: please report it\); the daemon keeps supervising: Error: injected fault\n {4}at .*inject\.cjs/);
    fg.kill('SIGWINCH');
    await until(() => /again \(2 times in all\)/.test(log()), 'the repeat line');
    assert.match(log(), /CRIT uncaught exception again \(2 times in all\): Error: injected fault\n/);
    fg.kill('SIGURG');
    await until(() => /unhandled promise rejection/.test(log()), 'the rejection line');
    assert.match(log(), /CRIT unhandled promise rejection in tsv \(a bug: please report it\); the daemon keeps supervising: TypeError: injected rejection\n/);

    // still supervising: the control socket answers, and a crash is restarted
    assert.equal(fg.output().includes('exited with'), false);
    assert.match(status(), /^keep +RUNNING +pid \d+/);
    process.kill(firstPid, 'SIGKILL');
    await until(() => {
      const m = /RUNNING +pid (\d+)/.exec(status());
      return m !== null && Number(m[1]) !== firstPid;
    }, 'keep restarted after a crash');
    fg.kill('SIGTERM');
    assert.equal(await fg.exited, 0);
    assert.equal(existsSync(dir.join('s.sock')), false);
    assert.equal(existsSync(dir.join('supervisord.pid')), false);
  } finally {
    await fg.terminate();
    // a daemon that died of it leaves its child behind
    if (firstPid && pidAlive(firstPid)) process.kill(firstPid, 'SIGKILL');
    dir.cleanup();
  }
});

test('HUP: stop everything, re-read the config, start again in the same process', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '[program:one]\ncommand=sleep 60\nstartsecs=0\n');
  const fg = daemonForeground(['-c', cfg]);
  try {
    await until(() => /success: one entered RUNNING/.test(fg.output()), 'one RUNNING');
    writeFileSync(cfg, readFileSync(cfg, 'utf8') + '[program:two]\ncommand=sleep 60\nstartsecs=0\n');
    fg.kill('SIGHUP');
    await until(() => /success: two entered RUNNING/.test(fg.output()), 'two RUNNING after reload');
    const out = fg.output();
    assert.match(out, /WARN received SIGHUP indicating restart request\n/);
    assert.match(out, /WARN stopped: one \(terminated by SIGTERM\)\n/);
    assert.equal((out.match(/spawned: 'one'/g) ?? []).length, 2, 'one restarted');
    assert.equal((out.match(/supervisord started with pid (\d+)/g) ?? []).length, 2);
    assert.equal(readPid(dir.join('supervisord.pid')), fg.pid, 'same pid after reload');
    fg.kill('SIGTERM');
    assert.equal(await fg.exited, 0);
  } finally {
    await fg.terminate();
    dir.cleanup();
  }
});

test('HUP or reload with a config that no longer loads: refused before anything stops, the error in the main log', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '[program:one]\ncommand=sleep 60\nstartsecs=0\n');
  const good = readFileSync(cfg, 'utf8');
  const fg = daemonForeground(['-c', cfg]);
  const ctl = (...args: string[]) =>
    spawnSync(process.execPath, [TSV, 'ctl', '-s', `unix://${dir.join('s.sock')}`, ...args], { env: cleanEnv(), encoding: 'utf8' });
  const refusals = (): number => (fg.output().match(/ERRO restart refused/g) ?? []).length;
  try {
    await until(() => /success: one entered RUNNING/.test(fg.output()), 'one RUNNING');
    const pid = /RUNNING +pid (\d+)/.exec(ctl('status', 'one').stdout)?.[1];
    writeFileSync(cfg, good + 'a stray line\n[program:two]\ncommand=sleep 60\n');
    fg.kill('SIGHUP');
    await until(() => refusals() === 1, 'the HUP refused');
    assert.match(
      fg.output(),
      new RegExp(
        `WARN received SIGHUP indicating restart request\n.* ERRO restart refused, nothing was stopped: the configuration no longer loads: ` +
          `${cfg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: \\[[^\\]]+\\]: this line is not \`key = value\`.*\n  value: "a stray line"\n  hint: `,
      ),
    );
    // the restart RPC (supervisorctl reload) is refused the same way, and says so: CANT_REREAD, as reread says it
    const reason = new RegExp(`restart refused, nothing was stopped: the configuration no longer loads: ${cfg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: `);
    const reload = ctl('reload');
    assert.equal(reload.status, 1);
    assert.match(reload.stdout, new RegExp(`^ERROR: CANT_REREAD: ${reason.source}.*\n  value: "a stray line"\n  hint: `));
    assert.doesNotMatch(reload.stdout, /Restarted supervisord/);
    await until(() => refusals() === 2, 'the reload refused');
    // Python's supervisorctl prints its one line for a fault it does not expect, and exits 1
    const py = spawnSync('/usr/bin/supervisorctl', ['-s', `unix://${dir.join('s.sock')}`, 'reload'], { env: cleanEnv(), encoding: 'utf8' });
    if (py.error === undefined) {
      assert.equal(py.status, 1);
      assert.match(py.stdout, new RegExp(`^error: <class 'xmlrpc\\.client\\.Fault'>, <Fault 92: 'CANT_REREAD: ${reason.source}`));
      await until(() => refusals() === 3, 'the reload refused');
    }
    assert.doesNotMatch(fg.output(), /stopped: one|waiting for one/);
    assert.match(ctl('status', 'one').stdout, new RegExp(`^one +RUNNING +pid ${pid},`));
    assert.equal(fg.output().match(/supervisord started with pid/g)?.length, 1);

    // fixed: the next HUP restarts with the config as it is now
    writeFileSync(cfg, good + '[program:two]\ncommand=sleep 60\nstartsecs=0\n');
    fg.kill('SIGHUP');
    await until(() => /success: two entered RUNNING/.test(fg.output()), 'two RUNNING after the fixed reload');
    assert.match(fg.output(), /WARN stopped: one \(terminated by SIGTERM\)\n/);
    fg.kill('SIGTERM');
    assert.equal(await fg.exited, 0);
  } finally {
    await fg.terminate();
    dir.cleanup();
  }
});

test('USR2 reopens the main log and every child log', async () => {
  const dir = new TempDir();
  const cfg = conf(
    dir,
    `[program:ticker]\ncommand=/bin/sh -c "while :; do echo tick; sleep 0.1; done"\nstartsecs=0\nstdout_logfile=${dir.join('ticker.log')}\n`,
  );
  const fg = daemonForeground(['-c', cfg]);
  try {
    await until(() => /success: ticker entered RUNNING/.test(fg.output()), 'ticker RUNNING');
    renameSync(dir.join('supervisord.log'), dir.join('supervisord.log.old'));
    writeFileSync(dir.join('ticker.log'), '');
    renameSync(dir.join('ticker.log'), dir.join('ticker.log.old'));
    fg.kill('SIGUSR2');
    // as in Supervisor, both lines go to the old file, written just before the reopen
    await until(() => /supervisord logreopen/.test(dir.read('supervisord.log.old')), 'USR2 handled');
    assert.match(dir.read('supervisord.log.old'), /INFO received SIGUSR2 indicating log reopen request\n.*INFO supervisord logreopen\n/s);
    await until(() => existsSync(dir.join('supervisord.log')), 'main log re-created');
    await until(() => dir.read('ticker.log').startsWith('tick\n'), 'child log written at its path again');
    fg.kill('SIGTERM');
    assert.equal(await fg.exited, 0);
  } finally {
    await fg.terminate();
    dir.cleanup();
  }
});

test('a negative umask keeps its low 9 bits, as Python\'s os.umask hands it to umask(2): [supervisord] -7 is 0771, a program\'s -1 is 0777', async () => {
  const dir = new TempDir();
  const cfg = conf(
    dir,
    `[program:d]\ncommand=/bin/sh -c "umask"\nstartsecs=0\nautorestart=false\nstdout_logfile=${dir.join('d.out')}\n` +
      `[program:p]\ncommand=/bin/sh -c "umask"\nstartsecs=0\nautorestart=false\numask=-1\nstdout_logfile=${dir.join('p.out')}\n`,
    'umask=-7',
  );
  try {
    const r = daemonSync(['-c', cfg]);
    assert.equal(r.status, 0, r.stderr);
    await until(() => existsSync(dir.join('d.out')) && dir.read('d.out') !== '' && existsSync(dir.join('p.out')) && dir.read('p.out') !== '', 'both ran');
    assert.equal(dir.read('d.out'), '0771\n');
    assert.equal(dir.read('p.out'), '0777\n');
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test('daemon umask (-m) applies to children when daemonizing; AUTO logs purged at start unless -k', async () => {
  const dir = new TempDir();
  writeFileSync(dir.join('old-stdout---supervisor-abcdefgh.log'), 'old');
  const cfg = conf(dir, `[program:u]\ncommand=/bin/sh -c "umask"\nstartsecs=0\nautorestart=false\nstdout_logfile=${dir.join('u.out')}\n`);
  try {
    assert.equal(daemonSync(['-c', cfg, '-m', '077']).status, 0);
    await until(() => dir.read('u.out') !== '', 'u ran');
    assert.equal(dir.read('u.out'), '0077\n');
    assert.ok(!existsSync(dir.join('old-stdout---supervisor-abcdefgh.log')), 'old AUTO log purged');
    await stopDaemon(dir.join('supervisord.pid'));
    writeFileSync(dir.join('old-stdout---supervisor-abcdefgh.log'), 'old');
    assert.equal(daemonSync(['-c', cfg, '-k']).status, 0);
    await sleep(100);
    assert.ok(existsSync(dir.join('old-stdout---supervisor-abcdefgh.log')), 'kept with -k (nocleanup)');
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

const pid1Skip = process.getuid?.() === 0 ? false : 'needs root for a new pid namespace (unshare)';

for (const impl of ['tsv', 'supervisord'] as const) {
  const skip = pid1Skip || (impl === 'supervisord' && !existsSync('/usr/bin/supervisord') ? 'needs /usr/bin/supervisord' : false);
  test(`${impl} as PID 1 (a container): orphans of a program that end at once are all reaped at once, no zombie left; SIGTERM stops it`, { skip }, async () => {
    const dir = new TempDir('tsv-pid1-');
    // 20 orphans (their parent subshell exits at once) that end 0.2 s later, then a count of the zombies
    const script = dir.file(
      'orphans.sh',
      `#!/bin/sh\nfor i in $(seq 1 20); do (sleep 0.2 &); done\nsleep 1\nps -eo stat= | grep -c '^Z' > ${dir.join('zombies.txt')}\nexec sleep 100\n`,
      0o755,
    );
    const conf = dir.file(
      'supervisord.conf',
      `[supervisord]\nlogfile=${dir.join('main.log')}\npidfile=${dir.join('s.pid')}\n[unix_http_server]\nfile=${dir.join('s.sock')}\n` +
        `[program:orphans]\ncommand=${script}\nstartsecs=0\n`,
    );
    const daemon = impl === 'tsv' ? [process.execPath, TSV, 'daemon'] : ['/usr/bin/supervisord'];
    // --kill-child: when unshare is killed, the daemon gets the SIGTERM `docker stop` would send it
    const ns = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child=SIGTERM', ...daemon, '-n', '-c', conf], { env: cleanEnv(), stdio: 'ignore' });
    const exited = new Promise<void>((r) => ns.on('exit', () => r()));
    try {
      await until(() => existsSync(dir.join('zombies.txt')) && readFileSync(dir.join('zombies.txt'), 'utf8').endsWith('\n'), 'the zombie count', 15000);
      const log = readFileSync(dir.join('main.log'), 'utf8');
      assert.match(log, /supervisord started with pid 1\n/);
      assert.equal(readFileSync(dir.join('zombies.txt'), 'utf8'), '0\n', log);
      assert.equal((log.match(/ INFO reaped unknown pid \d+ \(exit status 0\)\n/g) ?? []).length, 20, log);
      // unshare itself ignores SIGTERM (it leaves it to its child): killed, it hands the daemon SIGTERM
      ns.kill('SIGKILL');
      await exited;
      await until(() => /stopped: orphans \(terminated by SIGTERM\)\n/.test(readFileSync(dir.join('main.log'), 'utf8')), 'the program stopped', 10000);
    } finally {
      if (ns.exitCode === null && ns.signalCode === null) killTree(ns.pid as number);
      dir.cleanup();
    }
  });
}

test("NODE_OPTIONS under plain node is for the programs: a daemonizing start's daemon runs without it (no --require of the app's, no debugger port), the programs get it as it was", async () => {
  const dir = new TempDir();
  try {
    dir.file('mark.js', "require('fs').appendFileSync(__dirname + '/marks', process.pid + '\\n');\n");
    const options = `--require ${dir.join('mark.js')} --inspect=127.0.0.1:0`;
    const cfg = conf(dir, `[program:app]\ncommand=/bin/sh -c 'printf %%s "$NODE_OPTIONS" > ${dir.join('opts')}; env > ${dir.join('env')}; exec sleep 60'\nstartsecs=0\n`);
    const r = spawnSync(process.execPath, [TSV, 'daemon', '-c', cfg], { env: cleanEnv({ NODE_OPTIONS: options }), encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 0, r.stderr);
    await until(() => existsSync(dir.join('env')) && /\n$/.test(dir.read('env')), 'the program wrote its environment');
    assert.equal(dir.read('opts'), options);
    assert.doesNotMatch(dir.read('env'), /TSV_HELD/);
    const pid = readPid(dir.join('supervisord.pid'));
    // the node that started it (and the program's own node, had it one) loads the file; the daemon does not
    assert.ok(!dir.read('marks').split('\n').includes(String(pid)), `the daemon ${pid} loaded the --require`);
    assert.deepEqual(listeningTcp(pid), [], 'a debugger port in the daemon');
  } finally {
    await stopDaemon(dir.join('supervisord.pid'));
    dir.cleanup();
  }
});

test('NODE_OPTIONS under plain node: a daemon in the foreground closes the debugger port --inspect opened, and says so', async () => {
  const dir = new TempDir();
  const cfg = conf(dir, '[program:app]\ncommand=/bin/sleep 60\nstartsecs=0\n');
  const d = spawn(process.execPath, [TSV, 'daemon', '-n', '-c', cfg], { env: cleanEnv({ NODE_OPTIONS: '--inspect=127.0.0.1:0' }), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  d.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  try {
    await until(() => existsSync(dir.join('supervisord.log')) && /success: app/.test(dir.read('supervisord.log')), 'app RUNNING');
    assert.match(err, /closed the debugger port that --inspect in NODE_OPTIONS opened in the daemon/);
    assert.deepEqual(listeningTcp(d.pid as number), []);
  } finally {
    d.kill('SIGTERM');
    await until(() => d.exitCode !== null || d.signalCode !== null, 'the daemon to exit').catch(() => d.kill('SIGKILL'));
    dir.cleanup();
  }
});

test("loglevel=blather: a daemonizing start logs supervisord's fork line before daemonizing, as supervisord does", { skip: existsSync('/usr/bin/supervisord') ? false : 'needs supervisord' }, async () => {
  for (const impl of ['supervisord', 'tsv'] as const) {
    const dir = new TempDir();
    const cfg = conf(dir, '[program:a]\ncommand=sleep 60\nstartsecs=0\n', 'loglevel=blather');
    try {
      const r = impl === 'tsv' ? daemonSync(['-c', cfg]) : spawnSync('/usr/bin/supervisord', ['-c', cfg], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      await until(() => /success: a entered RUNNING/.test(dir.read('supervisord.log')), `${impl}: a RUNNING`);
      assert.match(dir.read('supervisord.log'), /\n[-\d]+ [\d:,]+ BLAT supervisord forked; parent exiting\n[-\d]+ [\d:,]+ INFO daemonizing the supervisord process\n/, impl);
    } finally {
      await stopDaemon(dir.join('supervisord.pid'));
      dir.cleanup();
    }
  }
});

test("the daemon's log says where tsv's own config warnings are (FILE:LINE:, as config check does); Supervisor's own keep its words", async () => {
  const dir = new TempDir();
  try {
    const cfg = conf(dir, '[program:t]\ncommand=sleep 60\nautostart=false\nautostrat=true\nredirect_stderr=true\nstderr_logfile=%(here)s/t.err\n');
    const r = daemonSync(['-c', cfg]);
    assert.equal(r.status, 0, r.stderr);
    const pid = readPid(dir.join('supervisord.pid'));
    try {
      const log = readFileSync(dir.join('supervisord.log'), 'utf8');
      const lineOf = (text: string): number => readFileSync(cfg, 'utf8').split('\n').indexOf(text) + 1;
      assert.ok(log.includes(`WARN ${cfg}:${lineOf('autostrat=true')}: unknown option autostrat in [program:t] is ignored\n`), log);
      assert.ok(log.includes('WARN For [program:t], redirect_stderr=true but stderr_logfile has also been set to a filename, the filename has been ignored\n'), log);
    } finally {
      process.kill(pid, 'SIGTERM');
      await until(() => !existsSync(dir.join('supervisord.pid')), 'daemon exit');
    }
  } finally {
    dir.cleanup();
  }
});
