// How children are set up: argv splitting (Python shlex rules), PATH lookup,
// environment, own process group, real pipes, umask, directory, no leaked
// descriptors, and user= with supplementary groups (initgroups).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { TempDir, writeConf, load, startEngine, waitState, type TestEngine } from './helpers/daemon-env';
import { withTestUser } from './helpers/test-user';
import { ProcessState } from '../src/daemon/states';
import { shlexSplit } from '../src/config/shlex';
import { daemonSync, readPid, until } from './helpers/daemon-cli';
import { haveSupervisord, startSide, stopSides, cleanupSides, type Side } from './helpers/daemon-oracle';
import { repoRoot } from './helpers/common';
import { join } from 'node:path';

async function runProgram(body: string, name: string, fn?: (t: TestEngine, dir: TempDir) => Promise<void>, extra = ''): Promise<TempDir> {
  const dir = new TempDir();
  const te = startEngine(load(writeConf(dir, body, extra)));
  try {
    await waitState(te.engine, name, ProcessState.EXITED, 15000);
    if (fn) await fn(te, dir);
  } finally {
    await te.close();
  }
  return dir;
}

test('shlexSplit follows Python shlex.split(posix=True)', () => {
  // expected values produced by /usr/bin/python3 -c 'import shlex; print(shlex.split(s))'
  const cases: [string, string[]][] = [
    [`a b  c`, ['a', 'b', 'c']],
    [`/bin/sh -c "echo 'hi there'; exit 2"`, ['/bin/sh', '-c', "echo 'hi there'; exit 2"]],
    [`a "" b`, ['a', '', 'b']],
    [`a\\ b c`, ['a b', 'c']],
    [`"a\\"b" 'c\\'`, ['a"b', 'c\\']],
    [`"x\\y" "\\$HOME"`, ['x\\y', '\\$HOME']],
    [`foo#bar # baz`, ['foo#bar', '#', 'baz']],
    [`ab"cd"ef 'g'h`, ['abcdef', 'gh']],
    [``, []],
  ];
  for (const [input, want] of cases) assert.deepEqual(shlexSplit(input), want, input);
  assert.throws(() => shlexSplit(`"open`), /No closing quotation/);
  assert.throws(() => shlexSplit(`trailing\\`), /No escaped character/);
});

test('shlexSplit agrees with Python on a batch of commands', () => {
  const inputs = [`echo "a b" 'c d' e\\ f`, `x="1 2" y`, `'it''s'`, `"\\\\"`, `a\\"b`, `"a\\nb"`, `\\'x\\'`];
  const py = execFileSync('/usr/bin/python3', ['-c', 'import shlex,json,sys; print(json.dumps([shlex.split(s) for s in json.load(sys.stdin)]))'], {
    input: JSON.stringify(inputs),
  }).toString();
  assert.deepEqual(inputs.map((s) => shlexSplit(s)), JSON.parse(py));
});

test('environment: daemon env + SUPERVISOR_* + [supervisord] environment, program wins', async () => {
  const body =
    '[program:env]\ncommand=/usr/bin/env\nstartsecs=0\nautorestart=false\n' +
    'environment=FOO="prog",ONLY_PROG="1"\nstdout_logfile=%(here)s/env.out\n' +
    '[unix_http_server]\nfile=%(here)s/s.sock\n';
  const dir = await runProgram(body, 'env', undefined, 'environment=FOO="global",GLOBAL_ONLY="g"\n');
  try {
    const env = Object.fromEntries(
      dir
        .read('env.out')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.equal(env.SUPERVISOR_ENABLED, '1');
    assert.equal(env.SUPERVISOR_PROCESS_NAME, 'env');
    assert.equal(env.SUPERVISOR_GROUP_NAME, 'env');
    assert.equal(env.SUPERVISOR_SERVER_URL, `unix://${dir.join('s.sock')}`);
    assert.equal(env.FOO, 'prog');
    assert.equal(env.GLOBAL_ONLY, 'g');
    assert.equal(env.ONLY_PROG, '1');
    assert.equal(env.PATH, process.env.PATH);
  } finally {
    dir.cleanup();
  }
});

test('a NUL byte in an argument, an environment value or the directory: a spawn error naming it (FATAL, as Supervisor\'s child that is never spawned), not a program run with the value cut short; in a log path or a name: a config error', async () => {
  const body =
    '[program:arg]\ncommand=/bin/sh -c "echo arg=$0; sleep 100" a\0b\nstartretries=0\n' +
    '[program:env]\ncommand=/bin/sh -c "echo env=$A; sleep 100"\nenvironment=A="x\0y"\nstartretries=0\n' +
    '[program:dir]\ncommand=/bin/sh -c "pwd; sleep 100"\ndirectory=/tmp\0/nonexistent\nstartretries=0\n';
  const dir = new TempDir();
  const te = startEngine(load(writeConf(dir, body)));
  try {
    for (const name of ['arg', 'env', 'dir']) await waitState(te.engine, name, ProcessState.FATAL, 15000);
    const spawnerr = (name: string): string | null => te.engine.groups.get(name)?.processes.get(name)?.spawnerr ?? null;
    assert.equal(spawnerr('arg'), "embedded null byte in argument 3 of the command of 'arg'");
    assert.equal(spawnerr('env'), "embedded null byte in the environment variable A of 'env'");
    assert.equal(spawnerr('dir'), "embedded null byte in the directory of 'dir'");
  } finally {
    await te.close();
  }
  try {
    assert.throws(() => load(writeConf(dir, '[program:x]\ncommand=/bin/true\nstdout_logfile=/tmp/a\0b.log\n')), { message: "'/tmp/a\\x00b.log' holds a NUL byte, which no file name can", section: 'program:x', option: 'stdout_logfile' });
    assert.throws(() => load(writeConf(dir, '[program:a\0b]\ncommand=/bin/true\n')), /holds a NUL byte, which no file name can/);
  } finally {
    dir.cleanup();
  }
});

test('own process group, real pipes (> /dev/stdout works), umask, directory, no leaked fds', async () => {
  // an inherited, non-close-on-exec descriptor in the daemon must not reach the child
  const leak = openSync('/dev/null', 'r');
  const script =
    'echo pgid=$(ps -o pgid= -p $$ | tr -d " ") pid=$$; ls -l /proc/self/fd | sed 1d | awk "{print \\$9, \\$11}"; ' +
    'echo viastdout > /dev/stdout; echo viastderr > /dev/stderr; umask; pwd';
  const dir0 = new TempDir();
  try {
    const body =
      `[program:probe]\ncommand=/bin/sh -c '${script}'\nstartsecs=0\nautorestart=false\numask=027\ndirectory=${dir0.path}\n` +
      'stdout_logfile=%(here)s/probe.out\nstderr_logfile=%(here)s/probe.err\n';
    const dir = await runProgram(body, 'probe');
    try {
      const out = dir.read('probe.out');
      const m = /pgid=(\d+) pid=(\d+)/.exec(out);
      assert.ok(m, out);
      assert.equal(m[1], m[2], 'child leads its own process group');
      const fds = out.split('\n').filter((l) => /^\d+ /.test(l));
      const open = fds.map((l) => l.split(' ')[0]).filter((fd) => fd !== '3'); // 3 = ls reading /proc/self/fd
      assert.deepEqual(open, ['0', '1', '2'], out);
      for (const l of fds.slice(0, 3)) assert.match(l, /pipe:/, 'stdio are pipes, not sockets');
      assert.match(out, /^viastdout$/m);
      assert.match(out, /^0027$/m);
      assert.match(out, new RegExp(`^${dir0.path}$`, 'm'));
      assert.equal(dir.read('probe.err'), 'viastderr\n');
    } finally {
      dir.cleanup();
    }
  } finally {
    closeSync(leak);
    dir0.cleanup();
  }
});

test('redirect_stderr: one pipe, so stdout and stderr interleave in write order', async () => {
  const script = 'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done';
  const dir = await runProgram(
    `[program:mix]\ncommand=/bin/sh -c '${script}'\nstartsecs=0\nautorestart=false\nredirect_stderr=true\nstdout_logfile=%(here)s/mix.out\n`,
    'mix',
  );
  try {
    assert.equal(dir.read('mix.out'), 'out1\nerr1\nout2\nerr2\nout3\nerr3\nout4\nerr4\nout5\nerr5\n');
  } finally {
    dir.cleanup();
  }
});

test('children inherit ignored SIGPIPE and SIGXFSZ, as under Supervisor (Python ignores them)', async () => {
  const dir = await runProgram(
    `[program:sig]\ncommand=/bin/grep SigIgn /proc/self/status\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/sig.out\n`,
    'sig',
  );
  try {
    assert.equal(dir.read('sig.out').trim(), 'SigIgn:\t0000000001001000');
  } finally {
    dir.cleanup();
  }
});

function sh(cmd: string): string {
  return execFileSync('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

test('user=: uid, gid and supplementary groups match `id USER` (initgroups)', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to create a test user and switch to it');
    return;
  }
  await withTestUser('tsvu', 2, async (user) => {
    const dir = await runProgram(
      `[program:who]\ncommand=/usr/bin/id\nuser=${user.name}\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/who.out\n`,
      'who',
    );
    try {
      const got = dir.read('who.out').trim();
      assert.equal(got, user.id);
      assert.match(got, new RegExp(`groups=.*${user.groups[0]}.*${user.groups[1]}`));
    } finally {
      dir.cleanup();
    }
  });
});

test('user= listed in its own primary group: the kernel\'s group list is supervisord\'s, primary gid twice (getgrall), not getgrouplist\'s', async (t) => {
  if (process.getuid?.() !== 0 || !haveSupervisord()) {
    t.skip('needs root to create a test user, and the real supervisord');
    return;
  }
  await withTestUser('tsvp', 1, async (user) => {
    // useradd made the user's own group; listing the user in it too is what
    // `usermod -aG <own group>` does, and where getgrall and getgrouplist part.
    sh(`gpasswd -a ${user.name} ${user.name} >/dev/null`);
    const body = (out: string): string =>
      `[program:who]\ncommand=/bin/grep ^Groups: /proc/self/status\nuser=${user.name}\nstartsecs=0\nautorestart=false\nstdout_logfile=${out}\n`;
    const sides: Side[] = [];
    try {
      for (const impl of ['supervisord', 'tsv'] as const) sides.push(startSide(impl, body('{DIR}/who.out')));
      await until(() => sides.every((s) => existsSync(s.dir.join('who.out')) && s.dir.read('who.out').endsWith('\n')), 'both children wrote');
      const [sd, tsv] = sides.map((s) => s.dir.read('who.out'));
      const gid = sh(`id -g ${user.name}`).trim();
      assert.match(sd!, new RegExp(`\\b${gid} ${gid}\\b`), `supervisord repeats the primary gid: ${sd}`);
      assert.equal(tsv, sd);
    } finally {
      await stopSides(sides);
      cleanupSides(sides);
    }
  });
});

test('supervisord user= (-u): the daemon drops to the user before opening logs; its children run as that user', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to create a test user');
    return;
  }
  const user = `tsvd${process.pid % 100000}`;
  const dir = new TempDir();
  try {
    sh(`useradd --no-create-home --shell /bin/sh ${user}`);
    sh(`chown ${user} ${dir.path}`);
    const cfg = dir.file(
      'supervisord.conf',
      `[supervisord]\nlogfile=${dir.join('supervisord.log')}\npidfile=${dir.join('supervisord.pid')}\nchildlogdir=${dir.path}\nuser=${user}\n` +
        `[program:who]\ncommand=/usr/bin/id -un\nstartsecs=0\nautorestart=false\nstdout_logfile=${dir.join('who.out')}\n`,
    );
    const r = daemonSync(['-c', cfg]);
    assert.equal(r.status, 0, r.stderr);
    await until(() => dir.read('who.out') !== '', 'who ran');
    assert.equal(dir.read('who.out'), `${user}\n`);
    const pid = readPid(dir.join('supervisord.pid'));
    assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`Uid:\\s+${sh(`id -u ${user}`).trim()}\\s`));
    assert.match(dir.read('supervisord.log'), new RegExp(`INFO Set uid to user \\d+ succeeded`));
    assert.doesNotMatch(dir.read('supervisord.log'), /Supervisor is running as root/);
    process.kill(pid, 'SIGTERM');
    await until(() => !existsSync(dir.join('supervisord.pid')), 'daemon exit');
  } finally {
    try {
      const pid = Number(dir.read('supervisord.pid').trim());
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // not running
    }
    try {
      sh(`userdel ${user}`);
    } catch {
      // not created
    }
    dir.cleanup();
  }
});

test('capture mode through a real process: PROCESS_COMMUNICATION payload as an event, the rest in the log', async () => {
  const dir = new TempDir();
  const body =
    `[program:comm]\ncommand=/bin/sh -c 'printf "before<!--XSUPERVISOR:BEGIN-->payload<!--XSUPERVISOR:END-->after-this-is-long-enough-to-flush\\n"; sleep 1'\n` +
    'startsecs=0\nautorestart=false\nstdout_capture_maxbytes=1KB\nstdout_logfile=%(here)s/comm.out\n';
  const te = startEngine(load(writeConf(dir, body)));
  try {
    const got = await new Promise<string>((resolve) => te.engine.events.on('processCommunication', (e) => resolve(`${e.name}/${e.channel}:${e.data}`)));
    assert.equal(got, 'comm/stdout:payload');
    await waitState(te.engine, 'comm', ProcessState.EXITED);
    assert.equal(dir.read('comm.out'), 'beforeafter-this-is-long-enough-to-flush\n');
  } finally {
    await te.close();
    dir.cleanup();
  }
});

test('a C locale: children get the LC_CTYPE that supervisord\'s Python coerces it to (PEP 538), and nothing otherwise', async (t) => {
  if (!existsSync('/usr/bin/supervisord')) return t.skip('needs /usr/bin/supervisord');
  const envs: Record<string, string>[] = [
    {},
    { LANG: 'C' },
    { LANG: 'POSIX' },
    { LC_CTYPE: 'C', LANG: 'C.UTF-8' },
    { LANG: 'xx_YY.UTF-8' }, // not installed: the C locale stays
    { LANG: 'C.UTF-8' },
    { LC_ALL: 'C' },
    { PYTHONCOERCECLOCALE: '0' },
  ];
  const { spawn } = await import('node:child_process');
  const ctypeUnder = async (cmd: string[], env: Record<string, string>): Promise<string> => {
    const dir = new TempDir();
    try {
      const conf = writeConf(dir, `[program:p]\ncommand=/bin/sh -c 'echo "\${LC_CTYPE-unset}"'\nstartsecs=0\nautorestart=false\nstdout_logfile=%(here)s/p.out\n`);
      const child = spawn(cmd[0] as string, [...cmd.slice(1), '-n', '-c', conf], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdio: 'ignore' });
      try {
        await until(() => existsSync(dir.join('p.out')) && dir.read('p.out').endsWith('\n'), `p ran under ${cmd[0]}`);
        return dir.read('p.out').trim();
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    } finally {
      dir.cleanup();
    }
  };
  const TSV_DAEMON = [process.execPath, join(repoRoot(), 'build/tsv.cjs'), 'daemon'];
  const seen: string[] = [];
  for (const env of envs) {
    const [ref, ours] = await Promise.all([ctypeUnder(['/usr/bin/supervisord'], env), ctypeUnder(TSV_DAEMON, env)]);
    assert.equal(ours, ref, JSON.stringify(env));
    seen.push(ref);
  }
  assert.ok(seen.includes('C.UTF-8') && seen.includes('unset'), `both outcomes covered: ${seen}`);
});
